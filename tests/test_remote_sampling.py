"""Remote head sampling (edge_head): the agents' strategy server, the strategies files per mode and
the SDK settings that poll it, read from the plan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tracegen.blueprint.loader import load_text
from tracegen.plan import model as pm
from tracegen.plan import remote_sampling as rs
from tracegen.plan.builder import build_plan
from tracegen.targets import build_all, remote_sampling, sdk
from tracegen.targets.sdk import java as java_target

ROOT = Path(__file__).resolve().parents[1]


def checkout(strategy: str | None = "edge_head", **platform) -> pm.EnvironmentPlan:
    data = yaml.safe_load((ROOT / "blueprints" / "checkout.yaml").read_text(encoding="utf-8"))
    if strategy:
        data["sampling"]["strategy"] = strategy
    if platform:
        data["environments"]["prod"]["platform"] = platform
    plan = build_plan(load_text(yaml.safe_dump(data, sort_keys=False), "checkout.yaml"))
    return next(e for e in plan.environments if e.name == "prod")


def plan_of(env: pm.EnvironmentPlan) -> pm.Plan:
    return pm.Plan(blueprint_name=env.blueprint_name, source_file="checkout.yaml", environments=(env,))


def service(env: pm.EnvironmentPlan, name: str) -> pm.ServicePlan:
    return next(s for s in env.services if s.name == name)


def test_java_polls_the_node_local_agent_and_the_others_keep_ratio_sampling():
    env = checkout()
    assert rs.in_play(env)
    payments = dict(service(env, "payments").otel_env)
    assert payments["OTEL_TRACES_SAMPLER"] == "parentbased_jaeger_remote"
    assert payments["OTEL_TRACES_SAMPLER_ARG"] == (
        "endpoint=http://otel-agent.observability.svc.cluster.local:14250,pollingIntervalMs=10000,"
        "initialSamplingRate=0.1")
    fulfillment = dict(service(env, "fulfillment").otel_env)   # Go polls over HTTP
    assert fulfillment["OTEL_TRACES_SAMPLER"] == "parentbased_jaeger_remote"
    assert fulfillment["OTEL_TRACES_SAMPLER_ARG"] == (
        "endpoint=http://otel-agent.observability.svc.cluster.local:5778/sampling,pollingIntervalMs=10000,"
        "initialSamplingRate=0.1")
    for name in ("checkout", "edge-gateway", "inventory"):     # Node and Python: no usable remote sampler
        variables = dict(service(env, name).otel_env)
        assert variables["OTEL_TRACES_SAMPLER"] == "parentbased_traceidratio", name
        assert variables["OTEL_TRACES_SAMPLER_ARG"] == "0.1"
    assert {name for name, _ in rs.unsupported(env)} == {"checkout", "edge-gateway", "inventory"}


def test_the_go_bootstrap_wraps_the_contrib_remote_sampler_in_parent_based():
    env = checkout()
    artifacts = {a.path.rsplit("/", 1)[-1]: a.content for a in sdk.build(plan_of(env)) if a.service == "fulfillment"}
    code = artifacts["tracing.go"]
    assert '"go.opentelemetry.io/contrib/samplers/jaegerremote"' in code
    # The code is the same for every environment: its defaults are local, each environment's otel.env
    # names its agent's strategy server (jaegerremote reads OTEL_TRACES_SAMPLER_ARG itself).
    assert 'SamplingServer = "http://localhost:5778/sampling"' in code
    assert "PollingInterval = 10000 * time.Millisecond" in code
    arg = dict(service(env, "fulfillment").otel_env)["OTEL_TRACES_SAMPLER_ARG"]
    assert "endpoint=http://otel-agent.observability.svc.cluster.local:5778/sampling" in arg
    assert "jaegerremote.New(" in code and "jaegerremote.WithSamplingServerURL(SamplingServer)" in code
    assert "\tgo.opentelemetry.io/contrib/samplers/jaegerremote v0.38.0\n" in artifacts["go.mod"]
    ratio_only = {a.path.rsplit("/", 1)[-1]: a.content for a in sdk.build(plan_of(checkout(strategy=None)))
                  if a.service == "fulfillment"}
    assert "jaegerremote" not in ratio_only["tracing.go"] + ratio_only["go.mod"]


def test_the_java_agent_takes_the_remote_sampler_from_otel_env():
    """The properties file is the same for every environment; the agent reads OTEL_* over it."""
    env = checkout()
    artifacts = [a for a in sdk.build(plan_of(env)) if a.service == "payments"]
    properties = next(a for a in artifacts if a.path.endswith(java_target.PROPERTIES)).content
    otel_env = next(a for a in artifacts if a.path.endswith("otel.env")).content
    arg = dict(service(env, "payments").otel_env)["OTEL_TRACES_SAMPLER_ARG"]
    assert "otel.traces.sampler.arg" not in properties
    assert "OTEL_TRACES_SAMPLER=parentbased_jaeger_remote\n" in otel_env
    assert f"OTEL_TRACES_SAMPLER_ARG={arg}\n" in otel_env


def test_the_agent_runs_the_strategy_server_reading_the_active_file():
    env = checkout()
    agent = env.collectors.agent("kubernetes")
    assert agent is not None
    server = agent.data["extensions"]["jaegerremotesampling"]
    assert server == {"http": {"endpoint": "0.0.0.0:5778"}, "grpc": {"endpoint": "0.0.0.0:14250"},
                      "source": {"file": "/conf/sampling-strategies/active.json", "reload_interval": "5s"}}
    assert "jaegerremotesampling" in agent.data["service"]["extensions"]
    assert "extension/jaegerremotesampling" in agent.components
    assert all("jaegerremotesampling" not in g.data.get("extensions", {}) for g in env.collectors.gateways)


def test_one_strategies_file_per_mode_with_the_head_rate_each_mode_needs():
    env = checkout()
    files = {a.path.rsplit("/", 1)[-1]: json.loads(a.content) for a in remote_sampling.build(plan_of(env))}
    assert set(files) == {"default.json", "incident.json", "canary.json", "active.json"}
    assert all(a.kind == "sampling-strategies" for a in remote_sampling.build(plan_of(env)))

    def rates(doc):
        return {s["service"]: s["param"] for s in doc["service_strategies"]} | {"*": doc["default_strategy"]["param"]}

    assert rates(files["default.json"]) == {"payments": 0.1, "fulfillment": 0.1, "*": 0.1}
    # incident raises the healthy share to 100 %: the head must record everything.
    assert rates(files["incident.json"]) == {"payments": 1.0, "fulfillment": 1.0, "*": 1.0}
    # canary adds an attribute policy the head cannot evaluate: record everything, the gateway picks.
    assert rates(files["canary.json"]) == {"payments": 1.0, "fulfillment": 1.0, "*": 1.0}
    assert files["active.json"] == files[f"{rs.active_mode(env)}.json"]
    assert all(s["type"] == "probabilistic" for doc in files.values() for s in doc["service_strategies"])


def test_the_collector_strategy_generates_nothing_remote():
    env = checkout(strategy=None)
    assert not rs.in_play(env)
    assert remote_sampling.build(plan_of(env)) == []
    assert all("jaegerremotesampling" not in c.data.get("extensions", {}) for c in env.collectors.configs)
    assert dict(service(env, "payments").otel_env)["OTEL_TRACES_SAMPLER"] == "parentbased_always_on"


def test_local_agents_serve_beside_their_otlp_ports():
    env = checkout(local={"base_port": 25000})
    server = env.collectors.agent("local").data["extensions"]["jaegerremotesampling"]
    assert server["http"]["endpoint"] == "127.0.0.1:25004" and server["grpc"]["endpoint"] == "127.0.0.1:25005"
    assert server["source"]["file"] == "sampling-strategies/active.json"
    assert dict(service(env, "payments").otel_env)["OTEL_TRACES_SAMPLER_ARG"].startswith(
        "endpoint=http://127.0.0.1:25005,")
    paths = {a.path for a in build_all(plan_of(env))}
    assert "prod/collector/sampling-strategies/active.json" in paths


def _p(name: str, type_: str, **params) -> pm.Policy:
    return pm.Policy(name, type_, tuple(sorted(params.items())))


@pytest.mark.parametrize("mode, expected", [
    ((), 0.1),                                                                  # nothing changes
    ((_p("baseline", "probabilistic", percentage=5),), 0.1),                    # a lower share: head stays
    ((_p("baseline", "probabilistic", percentage=50),), 0.5),                   # a raised share: head follows
    ((_p("baseline", "probabilistic", percentage=10), _p("canary", "attribute", key="k")), 1.0),
    ((_p("baseline", "probabilistic", percentage=10), _p("more", "rate_limit", spans_per_second=5)), 0.1),
])
def test_mode_ratio(mode, expected):
    default = (_p("errors", "errors"), _p("baseline", "probabilistic", percentage=10))
    assert rs.mode_ratio(0.1, default, tuple(default[:1]) + mode) == pytest.approx(expected)


def _documents(artifacts, kind: str) -> list[dict]:
    return [doc for a in artifacts if a.path.endswith(".yaml") for doc in yaml.safe_load_all(a.content)
            if isinstance(doc, dict) and doc.get("kind") == kind]


def test_kubernetes_agents_mount_the_strategies_and_expose_the_server():
    from tracegen.targets import kubernetes

    env = checkout()
    artifacts = [a for a in kubernetes.build(plan_of(env)) if a.environment == "prod"]
    config_map = next(d for d in _documents(artifacts, "ConfigMap") if d["metadata"]["name"] == "otel-agent-config")
    assert json.loads(config_map["data"]["sampling-strategies-incident.json"])["default_strategy"]["param"] == 1.0
    data = config_map["data"]
    assert data["sampling-strategies-active.json"] == data["sampling-strategies-default.json"]
    daemonset = next(d for d in _documents(artifacts, "DaemonSet") if d["metadata"]["name"] == "otel-agent")
    pod = daemonset["spec"]["template"]["spec"]
    items = next(v for v in pod["volumes"] if v["name"] == "config")["configMap"]["items"]
    assert {"key": "sampling-strategies-active.json", "path": "sampling-strategies/active.json"} in items
    mount = next(m for m in pod["containers"][0]["volumeMounts"] if m["name"] == "config")
    server = env.collectors.agent("kubernetes").data["extensions"]["jaegerremotesampling"]
    assert server["source"]["file"] == f"{mount['mountPath']}/sampling-strategies/active.json"
    service = next(d for d in _documents(artifacts, "Service") if d["metadata"]["name"] == "otel-agent")
    ports = {p["name"]: p["port"] for p in service["spec"]["ports"]}
    assert ports["sampling-http"] == 5778 and ports["sampling-grpc"] == 14250


def test_vm_agents_are_not_served_and_say_so():
    data = yaml.safe_load((ROOT / "blueprints" / "vm-fleet.yaml").read_text(encoding="utf-8"))
    data["sampling"]["strategy"] = "edge_head"
    env = build_plan(load_text(yaml.safe_dump(data, sort_keys=False), "vm-fleet.yaml")).environments[0]
    assert not rs.in_play(env)
    assert remote_sampling.build(plan_of(env)) == []
    assert all(dict(s.otel_env)["OTEL_TRACES_SAMPLER"] != "parentbased_jaeger_remote" for s in env.services)
    assert {why for _, why in rs.unsupported(env)} == {"the vm agents (host) are not given strategies files"}
