"""The OpenTelemetry Operator flavour (targets/operator.py) and every language's OTEL_* wiring, on the
OpenTelemetry demo's estate (blueprints/otel-demo.yaml): OpenTelemetryCollector resources carrying the
planned configs, the Services the SDKs already address, Instrumentation resources from the plan's
OTEL_* values, inject annotations in the Components, and the kustomize tree handing over to them."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tracegen import languages
from tracegen.blueprint.loader import load, load_text
from tracegen.plan.builder import build_plan
from tracegen.targets import build_all

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "blueprints" / "otel-demo.yaml"


@pytest.fixture(scope="module")
def demo():
    plan = build_plan(load(DEMO))
    return plan, {a.path: a for a in build_all(plan)}


def _docs(artifacts, path):
    return [d for d in yaml.safe_load_all(artifacts[path].content) if d]


def _by_kind(docs, kind):
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def test_collectors_carry_the_planned_configs_as_data(demo):
    plan, artifacts = demo
    env = next(e for e in plan.environments if e.name == "demo")
    collectors = _by_kind(_docs(artifacts, "demo/operator/collectors.yaml"), "OpenTelemetryCollector")
    agent, gateway = collectors["otel-agent"], collectors["otel-gateway"]
    assert agent["apiVersion"] == "opentelemetry.io/v1beta1"
    assert (agent["spec"]["mode"], gateway["spec"]["mode"]) == ("daemonset", "statefulset")
    assert agent["spec"]["config"] == yaml.safe_load(artifacts["demo/collector/agent-kubernetes.yaml"].content)
    assert gateway["spec"]["config"] == yaml.safe_load(artifacts["demo/collector/gateway.yaml"].content)
    assert gateway["spec"]["replicas"] == env.gateway.replicas
    assert gateway["spec"]["volumeClaimTemplates"][0]["metadata"]["name"] == "queue"
    assert agent["spec"]["image"].endswith(f":{env.collector_version}")


def test_services_keep_the_names_the_sdks_and_the_resolver_address(demo):
    _, artifacts = demo
    services = _by_kind(_docs(artifacts, "demo/operator/collectors.yaml"), "Service")
    agent = services["otel-agent"]["spec"]
    assert agent["internalTrafficPolicy"] == "Local"
    assert agent["selector"]["app.kubernetes.io/instance"] == "observability.otel-agent"
    assert services["otel-gateway-headless"]["spec"]["clusterIP"] == "None"
    assert services["otel-gateway-headless"]["spec"]["selector"]["app.kubernetes.io/instance"] == \
        "observability.otel-gateway"
    agent_config = yaml.safe_load(artifacts["demo/collector/agent-kubernetes.yaml"].content)
    resolver = str(agent_config["exporters"])
    assert "otel-gateway-headless.observability" in resolver


def test_the_kustomize_tree_hands_its_collectors_to_the_operator(demo):
    _, artifacts = demo
    assert "demo/kubernetes/agent.yaml" not in artifacts and "demo/kubernetes/gateway.yaml" not in artifacts
    (kustomization,) = _docs(artifacts, "demo/kubernetes/kustomization.yaml")
    assert "../operator" in kustomization["resources"]
    (own,) = _docs(artifacts, "demo/operator/kustomization.yaml")
    assert own["resources"] == ["collectors.yaml", "instrumentation.yaml"]


def test_instrumentation_takes_the_plans_sampler_propagators_and_endpoints(demo):
    plan, artifacts = demo
    env = next(e for e in plan.environments if e.name == "demo")
    (inst,) = _docs(artifacts, "demo/operator/instrumentation.yaml")
    assert inst["kind"] == "Instrumentation" and inst["metadata"]["namespace"] == "otel-demo"
    ad = dict(next(s for s in env.services if s.name == "ad").otel_env)
    assert inst["spec"]["propagators"] == ad["OTEL_PROPAGATORS"].split(",")
    assert inst["spec"]["sampler"] == {"type": ad["OTEL_TRACES_SAMPLER"], "argument": ad["OTEL_TRACES_SAMPLER_ARG"]}
    assert set(inst["spec"]) >= {"java", "nodejs", "python", "dotnet"} and "go" not in inst["spec"]   # Go: generated
    java = {e["name"]: e["value"] for e in inst["spec"]["java"]["env"]}
    assert java["OTEL_EXPORTER_OTLP_ENDPOINT"] == ad["OTEL_EXPORTER_OTLP_ENDPOINT"]
    # The Operator's Python image exports http/protobuf only: the plan follows it in operator mode.
    python = {e["name"]: e["value"] for e in inst["spec"]["python"]["env"]}
    recommendation = dict(next(s for s in env.services if s.name == "recommendation").otel_env)
    assert python["OTEL_EXPORTER_OTLP_PROTOCOL"] == recommendation["OTEL_EXPORTER_OTLP_PROTOCOL"] == "http/protobuf"
    assert recommendation["OTEL_EXPORTER_OTLP_ENDPOINT"].endswith(":4318")


@pytest.mark.parametrize("service, inject", [
    ("ad", "java"), ("fraud-detection", "java"), ("frontend", "nodejs"), ("payment", "nodejs"),
    ("cart", "dotnet"), ("recommendation", "python"), ("checkout", None),
    ("shipping", None), ("email", None), ("quote", None), ("currency", None), ("flagd-ui", None),
    ("frontend-proxy", None),
])
def test_each_component_carries_its_inject_annotation_and_its_otel_env(demo, service, inject):
    _, artifacts = demo
    (patch,) = _docs(artifacts, f"demo/kubernetes/apps/{service}/otel-env.yaml")
    annotations = (patch["spec"]["template"].get("metadata") or {}).get("annotations", {})
    injected = {k.rsplit("inject-", 1)[1] for k in annotations if "/inject-" in k}
    assert injected == ({inject} if inject else set())
    env = {e["name"]: e["value"] for e in patch["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["OTEL_SERVICE_NAME"] == service and env["OTEL_EXPORTER_OTLP_ENDPOINT"].startswith("http://otel-agent.")


def test_every_language_is_wired_on_vms_too(demo):
    plan, artifacts = demo
    lab = next(e for e in plan.environments if e.name == "lab")
    assert {s.language for s in lab.services} >= {"dotnet", "java", "go", "cpp", "ruby", "kotlin", "node", "php",
                                                   "python", "rust", "erlang", "none"}
    for service in lab.services:
        text = artifacts[f"lab/ansible/files/otel-env/{service.name}.env"].content
        assert f"OTEL_SERVICE_NAME={service.name}" in text
        assert "OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:" in text
        port = "4318" if languages.get(service.language).otlp_protocol == "http/protobuf" else "4317"
        assert f"127.0.0.1:{port}" in text, service.name
    assert "OTEL_PHP_AUTOLOAD_ENABLED=true" in artifacts["lab/ansible/files/otel-env/quote.env"].content


def test_vms_never_get_operator_mode(demo):
    plan, _ = demo
    lab = next(e for e in plan.environments if e.name == "lab")
    assert {s.sdk_mode for s in lab.services} == {"generated"}


def test_the_kustomize_flavour_writes_no_operator_resources():
    plan = build_plan(load(ROOT / "blueprints" / "checkout.yaml"))
    assert not [a for a in build_all(plan) if "/operator/" in a.path]


def test_operator_mode_alone_adds_only_instrumentation():
    text = """\
schema_version: 1
name: shop
sdk: {mode: operator}
services:
  web: {version: 1.0.0, language: typescript, edge: true}
  pay: {version: 1.0.0, language: scala}
environments:
  prod: {platform: {kubernetes: {cluster: prod, app_namespaces: [shop]}}}
"""
    plan = build_plan(load_text(text, "shop.yaml"))
    artifacts = {a.path: a for a in build_all(plan)}
    assert "prod/kubernetes/agent.yaml" in artifacts
    assert sorted(p for p in artifacts if "/operator/" in p) == ["prod/operator/instrumentation.yaml",
                                                                 "prod/operator/kustomization.yaml"]
    (inst,) = _docs(artifacts, "prod/operator/instrumentation.yaml")
    assert set(inst["spec"]) >= {"java", "nodejs"} and "python" not in inst["spec"]


def _operator_flavour(blueprint: str) -> dict:
    data = yaml.safe_load((ROOT / "blueprints" / blueprint).read_text(encoding="utf-8"))
    data.setdefault("topology", {})["deployment"] = "operator"
    plan = build_plan(load_text(yaml.safe_dump(data), blueprint))
    return {a.path: a for a in build_all(plan)}


def test_mutual_tls_certificates_follow_the_collectors_to_the_operator():
    from tracegen.plan import transport

    artifacts = _operator_flavour("mixed-estate.yaml")
    docs = _docs(artifacts, "prod/operator/collectors.yaml")
    gateway = _by_kind(docs, "OpenTelemetryCollector")["otel-gateway"]["spec"]
    assert transport.CERT_DIRECTORY in yaml.safe_dump(gateway["config"])
    assert {"name": "certs", "mountPath": transport.CERT_DIRECTORY, "readOnly": True} in gateway["volumeMounts"]
    assert any(v["name"] == "certs" for v in gateway["volumes"])
    assert _by_kind(docs, "Certificate")


def _dicts(obj):
    if isinstance(obj, dict):
        yield obj
        for value in obj.values():
            yield from _dicts(value)
    elif isinstance(obj, list):
        for item in obj:
            yield from _dicts(item)


@pytest.mark.parametrize("blueprint", ["checkout.yaml", "mixed-estate.yaml", "otel-demo.yaml"])
def test_every_selector_selects_the_operators_pods(blueprint):
    from tracegen.targets import kubernetes_common as kc

    tracegens = [kc.selector("otel-agent"), kc.selector("otel-gateway")]
    artifacts = _operator_flavour(blueprint)
    paths = [p for p in artifacts if p.endswith("operator/collectors.yaml")]
    assert paths
    for path in paths:
        docs = _docs(artifacts, path)
        assert {"PodDisruptionBudget", "NetworkPolicy", "Service"} <= {d["kind"] for d in docs}
        assert not [d for d in _dicts(docs) if d in tracegens], path       # none left selecting kustomize pods
        policy = _by_kind(docs, "NetworkPolicy")["otel-gateway"]["spec"]
        assert policy["podSelector"]["matchLabels"]["app.kubernetes.io/instance"].endswith(".otel-gateway")
