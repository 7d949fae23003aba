"""The sampling runbook, as the on-call engineer would use it: every file it names is generated,
every command names the objects the other targets really emit, and what it promises per mode is
the plan's own retention model."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from tracegen.blueprint.loader import load_text
from tracegen.plan.builder import build_plan
from tracegen.targets import ansible, build_all, kubernetes, kubernetes_collectors, runbook

ROOT = Path(__file__).resolve().parent.parent
CHECKOUT = ROOT / "blueprints" / "checkout.yaml"
VM_FLEET = ROOT / "blueprints" / "vm-fleet.yaml"
LOCAL = ROOT / "tests" / "e2e" / "blueprints" / "sampling-promise.yaml"


def plan_of(path: Path, edit=None):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if edit:
        edit(data)
    return build_plan(load_text(yaml.safe_dump(data, sort_keys=False), path.name))


def with_checkout_sampling(data: dict) -> None:
    data["sampling"] = yaml.safe_load(CHECKOUT.read_text(encoding="utf-8"))["sampling"]


def runbooks(plan) -> dict[str, str]:
    return {a.environment: a.content for a in runbook.build(plan)}


def test_one_runbook_per_environment_with_modes_naming_only_generated_overlays():
    plan = plan_of(CHECKOUT)
    paths = {a.path for a in build_all(plan)}
    books = runbooks(plan)
    assert set(books) == {env.name for env in plan.environments}
    for env, text in books.items():
        assert f"{env}/runbook/sampling-modes.md" in paths
        named = set(re.findall(r"`([a-z0-9-]+)\.yaml`", text.split("## Before you switch")[0]))
        assert {"baseline", "incident", "canary"} <= named
        for mode in named:
            assert f"{env}/collector/modes/{mode}.yaml" in paths, mode


def test_kubernetes_commands_name_the_real_gateway_workload():
    plan = plan_of(CHECKOUT)
    book = runbooks(plan)["prod"]
    manifests = [d for a in kubernetes.build(plan) if a.environment == "prod" and a.path.endswith("gateway.yaml")
                 for d in yaml.safe_load_all(a.content) if d]
    (workload,) = [d for d in manifests if d["kind"] in ("StatefulSet", "Deployment")]
    name, namespace = workload["metadata"]["name"], workload["metadata"]["namespace"]
    assert f"kubectl -n {namespace} patch {workload['kind'].lower()} {name} --type=json" in book
    mounted = {item["path"] for volume in workload["spec"]["template"]["spec"]["volumes"]
               for item in (volume.get("configMap") or {}).get("items", [])}
    assert "modes/incident.yaml" in mounted and "/conf/modes/<mode>.yaml" in book
    # GitOps: the blueprint route, because Argo CD's self-heal reverts a manual patch.
    assert "overrides:\n      sampling: {active_mode: <mode>}" in book
    assert "prod/argocd/application.yaml" in book


def test_vm_command_uses_the_ansible_target_variables():
    plan = plan_of(VM_FLEET)
    book = runbooks(plan)["prod"]
    assert runbook.ANSIBLE_GATEWAYS == ansible.GATEWAYS_GROUP
    group_vars = {a.path: a.content for a in ansible.build(plan) if a.environment == "prod"}
    gateway_vars = yaml.safe_load(group_vars[f"prod/ansible/inventory/group_vars/{ansible.GATEWAYS_GROUP}/tracegen.yml"])
    assert runbook.ANSIBLE_MODE_VARIABLE in gateway_vars
    assert f"--limit {ansible.GATEWAYS_GROUP} -e {runbook.ANSIBLE_MODE_VARIABLE}=<mode>" in book


def test_local_runbook_relinks_and_reloads_every_gateway():
    plan = plan_of(LOCAL, with_checkout_sampling)
    book = runbooks(plan)["e2e"]
    assert "ln -sfn modes/baseline.yaml active-mode.yaml" in book
    assert "otelcol --config=gateway-0.yaml --config=active-mode.yaml &" in book
    assert "otelcol --config=gateway-1.yaml --config=active-mode.yaml &" in book
    assert "kill -HUP" in book


def test_the_table_is_the_plans_retention_model():
    plan = plan_of(CHECKOUT)
    env = next(e for e in plan.environments if e.name == "prod")
    book = runbooks(plan)["prod"]
    incident = env.sampling.of("incident")
    row = next(line for line in book.splitlines() if line.startswith("| `incident` |"))
    assert f"{100 * incident.retention.healthy:.4g} %" in row
    assert f"| {incident.volumes.exported_spans_per_sec:.0f} |" in row


def test_no_modes_no_runbook():
    def drop_modes(data):
        with_checkout_sampling(data)
        data["sampling"].pop("modes")
    assert runbooks(plan_of(LOCAL, drop_modes)) == {}


def edge_head(data):
    data["sampling"]["strategy"] = "edge_head"
    data["standards"]["sampling_targets"] = {"errors": 0.1, "slow": 0.1, "coverage": 0.1, "healthy_min": 0.01}


def head_section(book: str) -> str:
    return book.split("## The head rate, at the same time")[1].split("## Check")[0]


def test_edge_head_runbook_switches_the_head_rates_the_sdks_poll_on_kubernetes():
    plan = plan_of(CHECKOUT, edge_head)
    artifacts = build_all(plan)
    book = runbooks(plan)["prod"]
    head = head_section(book)
    polling = re.findall(r"`([a-z-]+)`", head.split("poll every")[1].split("\n")[1])
    assert polling == ["fulfillment", "payments"]                  # Go and Java poll; Node and Python cannot
    for mode in ("default", "incident", "canary"):
        assert f"prod/collector/sampling-strategies/{mode}.json" in {a.path for a in artifacts}
    assert runbook.AGENT_CONFIG_MAP == kubernetes_collectors.AGENT_CONFIG_MAP
    agent = next(a for a in artifacts if a.path == "prod/kubernetes/agent.yaml")
    (config_map,) = [d for d in yaml.safe_load_all(agent.content)
                     if d and d["kind"] == "ConfigMap" and d["metadata"]["name"] == runbook.AGENT_CONFIG_MAP]
    for key in ("sampling-strategies-active.json", "sampling-strategies-incident.json"):
        assert key in config_map["data"]
    assert (f"kubectl -n {config_map['metadata']['namespace']} get configmap {runbook.AGENT_CONFIG_MAP} -o json"
            in head)
    assert """.data["sampling-strategies-active.json"] = .data["sampling-strategies-<mode>.json"]""" in head
    fixed = book.split("**What no mode can raise.**")[1].split("\n\n")[0]
    assert "`edge-gateway` (10 %)" in fixed and "payments" not in fixed and "fulfillment" not in fixed


def test_edge_head_runbook_renames_the_strategies_file_on_the_local_platform():
    def go_stock(data):
        with_checkout_sampling(data)
        edge_head(data)
        data["services"]["stock"].update(language="go", framework=None)
    plan = plan_of(LOCAL, go_stock)
    paths = {a.path for a in build_all(plan)}
    head = head_section(runbooks(plan)["e2e"])
    assert "`stock`." in head
    assert "cd e2e/collector/sampling-strategies && cp <mode>.json active.json.new && mv active.json.new active.json" in head
    assert "e2e/collector/sampling-strategies/incident.json" in paths
