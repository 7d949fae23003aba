"""The CollectorSet (tracegen/plan/collectors.py): computed once by the planner, and every output that
carries a collector config carries its bytes, its components and its secrets."""

from __future__ import annotations

from pathlib import Path

import yaml

from tracegen.blueprint.loader import load
from tracegen.plan import collectors
from tracegen.plan.builder import build_plan
from tracegen.targets import build_all

ROOT = Path(__file__).resolve().parent.parent
SECTIONS = ("receivers", "processors", "exporters", "connectors", "extensions")


def plan_of(name: str):
    return build_plan(load(ROOT / "blueprints" / f"{name}.yaml"), f"blueprints/{name}.yaml")


def test_targets_read_the_planned_configs_and_never_build_their_own(monkeypatch):
    plan = plan_of("checkout")
    calls = []
    monkeypatch.setattr(collectors, "_config", lambda *a, **k: calls.append(a))   # builds every config
    artifacts = {a.path: a for a in build_all(plan)}
    assert calls == []
    for env in plan.environments:
        for config in env.collectors.configs:
            assert artifacts[f"{env.name}/collector/{config.path}"].content == config.text


def test_kubernetes_config_maps_embed_the_planned_bytes():
    plan = plan_of("checkout")
    artifacts = {a.path: a.content for a in build_all(plan)}
    for env in plan.environments:
        agent = env.collectors.agent("kubernetes")
        docs = list(yaml.safe_load_all(artifacts[f"{env.name}/kubernetes/agent.yaml"]))
        (config_map,) = [d for d in docs if d["kind"] == "ConfigMap"]
        assert config_map["data"]["agent.yaml"] == agent.text
        docs = list(yaml.safe_load_all(artifacts[f"{env.name}/kubernetes/gateway.yaml"]))
        (config_map,) = [d for d in docs if d["kind"] == "ConfigMap"]
        held = set(config_map["data"].values())
        assert {c.text for c in env.collectors.configs if c.role == "gateway"} == held


def test_components_are_what_the_configs_name():
    for name in ("checkout", "vm-fleet", "minimal"):
        for env in plan_of(name).environments:
            for config in env.collectors.configs:
                named = {key.split("/", 1)[0] for section in SECTIONS for key in config.data.get(section, {})}
                assert len(named) == len(config.components), (name, config.path)
            assert env.collectors.components == frozenset().union(*(c.components for c in env.collectors.configs))


def test_only_the_tier_that_exports_references_the_credentials():
    prod = next(e for e in plan_of("checkout").environments if e.name == "prod")
    assert prod.collectors.agent("kubernetes").secrets == ()
    (gateway,) = prod.collectors.gateways
    assert gateway.secrets == ("HONEYCOMB_API_KEY",)
    assert "${env:HONEYCOMB_API_KEY}" in gateway.text


def test_connector_metric_names_follow_the_connectors_in_use():
    for env in plan_of("checkout").environments:     # both connectors on
        metrics = {m.prometheus for m in env.collectors.metrics}
        assert metrics
        connectors = {c for c in env.collectors.components if c.startswith("connector/")}
        assert ("traces_span_metrics_calls_total" in metrics) == ("connector/span_metrics" in connectors)
        assert ("traces_service_graph_request_total" in metrics) == ("connector/service_graph" in connectors)
        assert {m.connector for m in env.collectors.metrics} == connectors


def _env_file(text: str) -> list[tuple[str, str]]:
    """NAME=value lines as `sh` reads them (values double-quoted with backslash escapes, or bare)."""
    import shlex

    pairs = []
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            pairs.append((name, shlex.split(value)[0] if value else ""))
    return pairs


def test_every_output_gives_a_service_the_same_otel_variables():
    """Kubernetes env patch, VM env file and otel.env all write ServicePlan.otel_env (the rollouts add
    JAVA_TOOL_OPTIONS for JVMs, whose jar path is the platform's own: targets/java_agent.py)."""
    own = {"JAVA_TOOL_OPTIONS"}
    seen = set()
    for name in ("checkout", "vm-fleet"):
        plan = plan_of(name)
        artifacts = {a.path: a.content for a in build_all(plan)}
        for env in plan.environments:
            for service in env.services:
                expected = list(service.otel_env)
                assert _env_file(artifacts[f"{env.name}/sdk/{service.name}/otel.env"]) == expected
                seen.add("otel.env")
                patch = artifacts.get(f"{env.name}/kubernetes/apps/{service.name}/otel-env.yaml")
                if patch is not None:
                    (container,) = yaml.safe_load(patch)["spec"]["template"]["spec"]["containers"]
                    assert [(e["name"], e["value"]) for e in container["env"] if e["name"] not in own] == expected
                    seen.add("kubernetes")
                vm = artifacts.get(f"{env.name}/ansible/files/otel-env/{service.name}.env")
                if vm is not None:
                    assert [pair for pair in _env_file(vm) if pair[0] not in own] == expected
                    seen.add("ansible")
    assert seen == {"otel.env", "kubernetes", "ansible"}
    assert ("OTEL_METRICS_EXPORTER", "none") in expected and ("OTEL_LOGS_EXPORTER", "none") in expected
