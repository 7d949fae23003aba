"""The sampling runbook, as the on-call engineer would use it: every file it names is generated,
every command names the objects the other targets really emit, and what it promises per mode is
the plan's own retention model."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from tracegen.blueprint.loader import load_text
from tracegen.plan.builder import build_plan
from tracegen.targets import ansible, build_all, kubernetes, runbook

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
