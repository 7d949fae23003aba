"""The Ansible target and the otel_collector role, against Ansible itself where it runs quickly
(ansible-lint, --syntax-check, ansible-inventory, the role's argument checks on localhost). The
real rollout on hosts is tests/e2e/test_ansible_rollout.py."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tracegen.blueprint.loader import load
from tracegen.plan import collector_common as cc
from tracegen.plan import collector_exporters as ex
from tracegen.plan.builder import build_plan
from tracegen.plan.refusals import PlanRefused
from tracegen.targets import ansible as target
from tracegen.validators.ansible import roles_path

ROOT = Path(__file__).resolve().parent.parent
ROLE = ROOT / "roles" / "otel_collector"
needs_ansible = pytest.mark.skipif(not shutil.which("ansible-lint") or not shutil.which("ansible-playbook"),
                                   reason="ansible-core and ansible-lint are not installed")


def _plan(path: Path):
    return build_plan(load(path), source=str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else path.name)


def _artifacts(path: Path = ROOT / "blueprints" / "vm-fleet.yaml") -> dict:
    return {a.path: a for a in target.build(_plan(path))}


def _blueprint(tmp_path: Path, mutate) -> Path:
    data = yaml.safe_load((ROOT / "blueprints" / "vm-fleet.yaml").read_text())
    mutate(data)
    path = tmp_path / "bp.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _doc(artifact) -> object:
    return yaml.safe_load(artifact.content)


def test_each_vm_environment_gets_playbook_inventory_vars_and_service_env():
    artifacts = _artifacts()
    prod = {p: a.kind for p, a in artifacts.items() if p.startswith("prod/")}
    assert prod["prod/ansible/site.yml"] == "ansible-playbook"
    assert prod["prod/ansible/inventory/hosts.yml"] == "ansible-inventory"
    assert prod["prod/ansible/inventory/group_vars/otel_gateways/tracegen.yml"] == "ansible-vars"
    assert prod["prod/ansible/inventory/group_vars/otel_agents/tracegen.yml"] == "ansible-vars"
    assert prod["prod/ansible/inventory/host_vars/web-1.prod.example.net.yml"] == "ansible-vars"
    assert {p for p, k in prod.items() if k == "sdk-env"} == {
        f"prod/ansible/files/otel-env/{s}.env" for s in ("storefront", "orders", "billing-worker")}
    assert all(p.startswith(("prod/ansible/", "staging/ansible/")) for p in artifacts)


def test_environments_without_vms_emit_nothing():
    for example in ("checkout.yaml", "minimal.yaml"):
        plan = _plan(ROOT / "blueprints" / example)
        vm = [e.name for e in plan.environments if any(t.platform == "vm" for t in e.agents)]
        assert not vm or example == "checkout.yaml"
        assert all(a.environment in vm for a in target.build(plan))


def test_inventory_follows_the_blueprints_groups_and_gateways():
    inventory = _doc(_artifacts()["prod/ansible/inventory/hosts.yml"])
    children = inventory["all"]["children"]
    assert set(children["otel_gateways"]["hosts"]) == {"otel-gw-1.prod.example.net", "otel-gw-2.prod.example.net"}
    groups = children["otel_agents"]["children"]
    # "app_" keeps blueprint groups clear of Ansible's own (the staging blueprint has a group named "all").
    assert set(groups) == {"app_web", "app_app", "app_workers"}
    assert set(groups["app_web"]["hosts"]) == {f"web-{i}.prod.example.net" for i in (1, 2, 3)}
    staging = _doc(_artifacts()["staging/ansible/inventory/hosts.yml"])
    assert set(staging["all"]["children"]["otel_agents"]["children"]) == {"app_all"}


def test_addresses_become_ansible_host(tmp_path):
    def mutate(data):
        data["environments"]["prod"]["platform"]["vm"]["groups"]["web"]["hosts"] = [
            {"name": "web-1.prod.example.net", "address": "10.0.0.5"}]
    artifacts = _artifacts(_blueprint(tmp_path, mutate))
    web = _doc(artifacts["prod/ansible/inventory/hosts.yml"])["all"]["children"]["otel_agents"]["children"]["app_web"]
    assert web["hosts"]["web-1.prod.example.net"] == {"ansible_host": "10.0.0.5"}


def test_agents_list_the_same_gateways_as_their_load_balancer():
    plan = _plan(ROOT / "blueprints" / "vm-fleet.yaml")
    env = next(e for e in plan.environments if e.name == "prod")
    agent = env.collectors.agent("vm").data
    balancer = next(v for k, v in agent["exporters"].items() if k.startswith(("load_balancing", "loadbalancing")))
    agents = _doc(_artifacts()["prod/ansible/inventory/group_vars/otel_agents/tracegen.yml"])
    assert agents["tracegen_gateway_endpoints"] == balancer["resolver"]["static"]["hostnames"]
    assert agents["otel_collector_config_src"].endswith("/../collector/agent-vm.yaml")
    # Mutual TLS to the gateways: the host's own certificate and key, and the CA (topology.tls.vm).
    assert agents["otel_collector_tls_files"] == ["ca.crt", "collector.crt", "collector.key"]
    assert balancer["protocol"]["otlp"]["tls"] == {
        "insecure": False, "ca_file": "/etc/otelcol/tls/ca.crt",
        "cert_file": "/etc/otelcol/tls/collector.crt", "key_file": "/etc/otelcol/tls/collector.key"}
    assert agents["otel_collector_environment"] == {}     # agents talk to gateways only: no credentials


def test_gateways_get_credentials_as_vault_references_only():
    artifacts = _artifacts()
    gateways = _doc(artifacts["prod/ansible/inventory/group_vars/otel_gateways/tracegen.yml"])
    assert gateways["otel_collector_environment"] == {"HONEYCOMB_API_KEY": "{{ vault_honeycomb_api_key }}"}
    assert gateways["otel_collector_tls_files"] == ["ca.crt", "collector.crt", "collector.key"]
    assert gateways["otel_collector_memory_max"] == "4096M" and gateways["otel_collector_cpu_quota"] == "200%"
    # Honeycomb is prod-only in the blueprint: staging's gateways need no key.
    staging = _doc(artifacts["staging/ansible/inventory/group_vars/otel_gateways/tracegen.yml"])
    assert staging["otel_collector_environment"] == {}


def test_the_playbook_rolls_gateways_first_in_canary_batches():
    plays = _doc(_artifacts()["prod/ansible/site.yml"])
    assert [p["hosts"] for p in plays] == ["otel_gateways", "otel_agents"]
    for play in plays:
        assert play["roles"] == [{"role": "otel_collector"}]
        batches = play["vars"][play["serial"].strip("{} ")]
        assert batches[0] == 1, "the first batch is one canary host"
        assert isinstance(play["vars"][play["max_fail_percentage"].strip("{} ")], int)
    assert plays[0]["vars"]["tracegen_gateway_max_fail_percentage"] == 0


def test_service_env_files_point_the_sdks_at_the_local_agent():
    artifacts = _artifacts()
    lines = artifacts["prod/ansible/files/otel-env/orders.env"].content.splitlines()
    orders = dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))
    assert orders["OTEL_SERVICE_NAME"] == "orders"
    # Java agent 2.x: http/protobuf; the host's agent listens on loopback only (localhost may be ::1 first).
    assert orders["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://127.0.0.1:4318"
    assert orders["OTEL_EXPORTER_OTLP_PROTOCOL"] == "http/protobuf"
    assert orders["OTEL_TRACES_SAMPLER"] == "parentbased_always_on"   # the gateways decide
    assert "deployment.environment.name=prod" in orders["OTEL_RESOURCE_ATTRIBUTES"]
    assert orders["OTEL_METRICS_EXPORTER"] == "none"
    web1 = _doc(artifacts["prod/ansible/inventory/host_vars/web-1.prod.example.net.yml"])
    assert web1 == {"tracegen_services": ["storefront"]}


def test_a_host_cannot_be_gateway_and_agent(tmp_path):
    def mutate(data):
        data["environments"]["prod"]["platform"]["vm"]["gateways"] = ["web-1.prod.example.net"]
    # the planner refuses it (plan/refusals.py), so `check` reports it as TG001 before any target runs
    with pytest.raises(PlanRefused, match="both a gateway and an application host"):
        _artifacts(_blueprint(tmp_path, mutate))


def test_output_is_deterministic():
    first, second = _artifacts(), _artifacts()
    assert {p: a.content for p, a in first.items()} == {p: a.content for p, a in second.items()}


def test_role_paths_agree_with_the_collector_configs():
    defaults = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
    tls_directory = ex.TLS_DIRECTORY
    assert f"{defaults['otel_collector_config_dir']}/tls" == tls_directory
    assert cc.QUEUE_DIRECTORY.startswith(defaults["otel_collector_state_dir"] + "/")


def test_every_role_variable_is_specified_and_documented():
    defaults = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
    spec = yaml.safe_load((ROLE / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]["options"]
    required = {name for name, option in spec.items() if option.get("required")}
    assert set(defaults) | required == set(spec)
    assert not required & set(defaults), "a required variable with a default is never missing"
    for name, value in defaults.items():
        assert spec[name].get("default") == value, name
    readme = (ROLE / "README.md").read_text()
    assert all(f"`{name}`" in readme for name in spec), [n for n in spec if f"`{name}`" not in readme]


@needs_ansible
def test_role_passes_ansible_lint_production_profile():
    result = subprocess.run(["ansible-lint", "--nocolor", "--offline", "--profile", "production",
                             "roles/otel_collector"], cwd=ROOT, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "NO_COLOR": "1"})
    assert result.returncode == 0, result.stdout + result.stderr


def _run_role(tmp_path: Path, variables: dict) -> subprocess.CompletedProcess:
    """The role on localhost with only these variables: the argument checks fail before any change."""
    playbook = tmp_path / "play.yml"
    playbook.write_text(yaml.safe_dump([{"name": "Try the role", "hosts": "localhost", "gather_facts": False,
                                         "roles": [{"role": "otel_collector", **variables}]}]))
    env = {**os.environ, "ANSIBLE_ROLES_PATH": roles_path(), "ANSIBLE_NOCOLOR": "1",
           "ANSIBLE_LOCALHOST_WARNING": "0", "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0"}
    return subprocess.run(["ansible-playbook", "-c", "local", "-i", "localhost,", str(playbook), "--check", "-vvv"],
                          cwd=tmp_path, capture_output=True, text=True, env=env, timeout=120)


@needs_ansible
@pytest.mark.parametrize("variables, message", [
    ({"otel_collector_config_src": "/x.yaml"}, "missing required arguments: otel_collector_version"),
    ({"otel_collector_version": "0.160.0", "otel_collector_config_src": "/x.yaml",
      "otel_collector_service_manager": "upstart"}, "otel_collector_service_manager must be one of: systemd, process"),
    ({"otel_collector_version": "0.160.0", "otel_collector_config_src": "/x.yaml"},
     "set exactly one of otel_collector_binary_url"),
    ({"otel_collector_version": "0.160.0", "otel_collector_config_src": "/x.yaml",
      "otel_collector_binary_url": "https://example.invalid/otelcol", "otel_collector_binary_checksum": "md5:abc"},
     "sha256:<64 hex digits>"),
    ({"otel_collector_version": "0.160.0", "otel_collector_config_src": "/x.yaml", "otel_collector_binary_src": "/b",
      "otel_collector_environment": {"BAD-NAME": "x", "TOKEN": "s3cret-1\ns3cret-2"}},
     "offending names: ['TOKEN', 'BAD-NAME']"),
    ({"otel_collector_version": "0.160.0", "otel_collector_config_src": "/x.yaml", "otel_collector_binary_src": "/b",
      "otel_collector_environment": ["s3cret-in-a-list"]}, "'otel_collector_environment' is of type list"),
])
def test_bad_role_variables_fail_early_with_a_clear_message(tmp_path, variables, message):
    result = _run_role(tmp_path, variables)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert message in " ".join(output.split()), output[-3000:]
    assert "s3cret" not in output, "a secret value reached the log"


@needs_ansible
def test_tracegen_validate_runs_ansible_lint_and_the_syntax_check(tmp_path):
    out = tmp_path / "out"
    build = subprocess.run([sys.executable, "-m", "tracegen", "build", "blueprints/vm-fleet.yaml", "-o", str(out)],
                           cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert build.returncode == 0, build.stderr
    validate = [sys.executable, "-m", "tracegen", "validate", str(out), "--only", "ansible"]
    good = subprocess.run(validate, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert good.returncode == 0, good.stdout + good.stderr
    manifest = json.loads((out / "tracegen-manifest.json").read_text())["artifacts"]
    checked = {e["path"] for e in manifest if e["kind"] in {"ansible-playbook", "ansible-inventory", "ansible-vars"}}
    assert all(f"ok    {path}" in good.stdout for path in checked), good.stdout
    # A playbook Ansible cannot load fails validation, with Ansible's own words.
    site = out / "prod" / "ansible" / "site.yml"
    site.write_text(site.read_text().replace("ansible.builtin.wait_for:", "ansible.builtin.wait_for_it:"))
    bad = subprocess.run(validate, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert bad.returncode == 1
    assert "fail  prod/ansible/site.yml" in bad.stdout and "wait_for_it" in bad.stdout
