"""What the gateways' tail sampler is given matches the plan's sampling decisions: sized per replica,
the baseline cap really emitted (an `and` of the share and a rate/bytes limit), the alpha tracestate
gate only on request and then on every process that tail-samples, span metrics before sampling."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml

from tracegen.blueprint.loader import load_text
from tracegen.plan import collector_sampling as sampling
from tracegen.plan import model as pm
from tracegen.plan import refusals
from tracegen.plan.builder import build_plan
from tracegen.targets import ansible, collector, kubernetes
from tracegen.targets.sdk import declarative

ROOT = Path(__file__).resolve().parent.parent
GATE = "--feature-gates=processor.tailsamplingprocessor.usetracestate"


def _blueprint(name: str, **sampling_changes) -> dict:
    data = yaml.safe_load((ROOT / "blueprints" / f"{name}.yaml").read_text(encoding="utf-8"))
    data["sampling"].update(sampling_changes)
    return data


def _plan(data: dict):
    return build_plan(load_text(yaml.safe_dump(data, sort_keys=False), "bp.yaml"))


def _env(plan, name: str = "prod") -> pm.EnvironmentPlan:
    return next(e for e in plan.environments if e.name == name)


def _policies(config: dict) -> dict[str, dict]:
    return {p["name"]: p for p in config["processors"]["tail_sampling"]["policies"]}


def _gateway(env: pm.EnvironmentPlan) -> dict:
    (gateway, *_) = env.collectors.gateways
    return gateway.data


def _overlay(env: pm.EnvironmentPlan, mode: str) -> dict:
    return next(c.data for c in env.collectors.overlays if c.mode == mode)


# --------------------------------------------------------------------------- policy shapes
def _p(name: str, kind: str, **params) -> pm.Policy:
    return pm.Policy(name, kind, tuple(sorted(params.items())))


def test_a_capped_share_is_the_and_of_the_share_and_a_rate_limit():
    emitted = sampling.policy(_p("healthy", "probabilistic", percentage=10.0, cap_spans_per_second=672))
    assert emitted == {"name": "healthy", "type": "and", "and": {"and_sub_policy": [
        {"name": "healthy-share", "type": "probabilistic", "probabilistic": {"sampling_percentage": 10.0}},
        {"name": "healthy-cap", "type": "rate_limiting", "rate_limiting": {"spans_per_second": 672}}]}}


def test_a_cap_in_bytes_is_a_bytes_limit():
    emitted = sampling.policy(_p("healthy", "probabilistic", percentage=5.0, cap_bytes_per_second=300000))
    share, cap = emitted["and"]["and_sub_policy"]
    assert share["probabilistic"] == {"sampling_percentage": 5.0}
    assert cap == {"name": "healthy-cap", "type": "bytes_limiting", "bytes_limiting": {"bytes_per_second": 300000}}


def test_an_uncapped_share_is_the_plain_policy():
    assert sampling.policy(_p("healthy", "probabilistic", percentage=10.0)) == {
        "name": "healthy", "type": "probabilistic", "probabilistic": {"sampling_percentage": 10.0}}


def test_the_refusal_and_the_emitter_agree_on_the_part_names():
    assert refusals.CAPPED_PART_SUFFIXES == (sampling.SHARE_SUFFIX, sampling.CAP_SUFFIX)


# --------------------------------------------------------------------------- from a blueprint
def test_checkout_gateway_caps_its_share_at_the_plans_per_replica_figure():
    env = _env(_plan(_blueprint("checkout")))
    tail = _gateway(env)["processors"]["tail_sampling"]
    share, cap = _policies(_gateway(env))["healthy-share"]["and"]["and_sub_policy"]
    assert share["probabilistic"]["sampling_percentage"] == 10
    assert cap["rate_limiting"]["spans_per_second"] == math.ceil(env.sampling.volumes.baseline_cap_spans_per_sec)
    # Sized per replica, the decision cache as large as the buffer.
    assert tail["num_traces"] == env.tail_sampling.num_traces
    assert tail["expected_new_traces_per_sec"] == env.tail_sampling.expected_new_traces_per_sec
    assert tail["decision_cache"] == {"sampled_cache_size": env.tail_sampling.num_traces,
                                      "non_sampled_cache_size": env.tail_sampling.num_traces}


def test_a_mode_that_raises_the_share_lifts_the_cap_and_other_modes_keep_it():
    env = _env(_plan(_blueprint("checkout")))
    incident = _policies(_overlay(env, "incident"))["healthy-share"]
    assert incident == {"name": "healthy-share", "type": "probabilistic",
                        "probabilistic": {"sampling_percentage": 100}}
    for mode in ("canary", "baseline"):
        assert _policies(_overlay(env, mode))["healthy-share"]["type"] == "and"


def test_a_written_bytes_cap_reaches_the_gateway_divided_per_replica():
    env = _env(_plan(_blueprint("vm-fleet", tail={
        **_blueprint("vm-fleet")["sampling"]["tail"], "baseline_cap": {"bytes_per_second": 600000}})))
    _, cap = _policies(_gateway(env))["baseline"]["and"]["and_sub_policy"]
    assert cap["bytes_limiting"] == {"bytes_per_second": 600000 // env.gateway.replicas}


def test_without_a_cap_the_share_is_plain():
    data = _blueprint("checkout")
    data["sampling"]["tail"]["baseline_cap"] = "off"
    env = _env(_plan(data))
    assert _policies(_gateway(env))["healthy-share"]["type"] == "probabilistic"


def test_span_metrics_and_service_graph_see_every_span_before_tail_sampling():
    env = _env(_plan(_blueprint("checkout")))
    config = _gateway(env)
    pipelines = config["service"]["pipelines"]
    sampled = pipelines["traces/sampled"]
    measured = pipelines["traces/metrics"]
    assert "tail_sampling" in sampled["processors"]
    assert "tail_sampling" not in measured["processors"]
    assert measured["receivers"] == sampled["receivers"]       # fed by the receiver, not by the sampler
    assert set(measured["exporters"]) == set(config["connectors"])
    assert {name.replace("_", "") for name in config["connectors"]} == {"spanmetrics", "servicegraph"}
    assert not set(config["connectors"]) & set(sampled["exporters"])


# --------------------------------------------------------------------------- the tracestate gate
def _all_args(env: pm.EnvironmentPlan) -> dict[str, tuple[str, ...]]:
    return {c.path: c.args for c in env.collectors.configs}


def test_the_alpha_tracestate_gate_is_off_by_default():
    for name in ("checkout", "vm-fleet", "minimal"):
        plan = _plan(_blueprint(name))
        for env in plan.environments:
            assert not any(_all_args(env).values()), (name, env.name)
            assert env.tail_sampling is None or env.tail_sampling.tracestate_thresholds is False


def test_consistent_probability_gates_every_gateway_and_no_agent():
    plan = _plan(_blueprint("checkout", consistent_probability=True))
    env = _env(plan)
    args = _all_args(env)
    assert {path for path, value in args.items() if value} == {"gateway.yaml"}
    assert args["gateway.yaml"] == (GATE,)
    manifests = {a.path: a.content for a in kubernetes.build(plan) if a.path.endswith((".yaml", ".yml"))}
    containers = [c for text in manifests.values() for doc in yaml.safe_load_all(text)
                  if isinstance(doc, dict) and doc.get("kind") in ("Deployment", "StatefulSet", "DaemonSet")
                  for c in doc["spec"]["template"]["spec"]["containers"] if c["name"].startswith("otel-")]
    by_name = {c["name"]: c["args"] for c in containers}
    assert GATE in by_name["otel-gateway"]
    assert GATE not in by_name.get("otel-agent", [])
    readme = next(a.content for a in collector.build(plan) if a.path == "prod/collector/README.md")
    assert f"otelcol {GATE} --config gateway.yaml" in readme


def test_consistent_probability_reaches_the_ansible_gateways():
    plan = _plan(_blueprint("vm-fleet", consistent_probability=True))
    env = _env(plan)
    groups = {group: yaml.safe_load(text) for group, text in ansible.group_vars(env, "bp.yaml").items()}
    assert groups[ansible.GATEWAYS_GROUP]["otel_collector_extra_args"] == [GATE]
    assert "otel_collector_extra_args" not in groups[ansible.AGENTS_GROUP]
    plain = {group: yaml.safe_load(text) for group, text in
             ansible.group_vars(_env(_plan(_blueprint("vm-fleet"))), "bp.yaml").items()}
    assert all("otel_collector_extra_args" not in data for data in plain.values())


def test_without_gateways_the_sampling_agent_gets_the_gate():
    data = _blueprint("minimal", consistent_probability=True)
    plan = _plan(data)
    for env in plan.environments:
        if env.tail_sampling is None:
            continue
        samplers = [c for c in env.collectors.configs if not c.is_overlay and
                    c.role == ("gateway" if env.gateway is not None else "agent")]
        assert samplers and all(c.args == (GATE,) for c in samplers)


# --------------------------------------------------------------------------- SDK declarative config
def test_declarative_sampler_follows_the_plans_root_sampler():
    env = _env(_plan(_blueprint("checkout")))
    edge = next(s for s in env.services if s.edge)
    assert edge.sampler == "parentbased_always_on"
    # one file for every environment: a ratio each environment's OTEL_TRACES_SAMPLER_ARG sets (1: always on)
    assert declarative.configuration(edge)["tracer_provider"]["sampler"] == {
        "parent_based": {"root": {"trace_id_ratio_based": {"ratio": "${OTEL_TRACES_SAMPLER_ARG:-1}"}}}}
    head = _blueprint("checkout", strategy="edge_head")
    env = _env(_plan(head))
    edge = next(s for s in env.services if s.edge and s.sampler == "parentbased_traceidratio")
    root = declarative.configuration(edge)["tracer_provider"]["sampler"]["parent_based"]["root"]
    assert root == {"trace_id_ratio_based": {"ratio": "${OTEL_TRACES_SAMPLER_ARG:-0.1}"}}


# --------------------------------------------------------------------------- TG307
@pytest.mark.parametrize("where", ["policies", "mode"])
def test_a_policy_named_like_a_capped_part_is_refused_with_its_position(where):
    data = _blueprint("checkout")
    clash = {"name": "healthy-share-cap", "type": "errors"}
    if where == "policies":
        data["sampling"]["tail"]["policies"].append(clash)
    else:
        data["sampling"]["modes"]["canary"]["add_policies"].append(clash)
    view = next(iter(load_text(yaml.safe_dump(data, sort_keys=False), "bp.yaml").environments.values()))
    (found,) = list(refusals.capped_part_names(view))
    assert found.code == "TG307"
    assert found.path[-1] == "name" and "healthy-share" in found.message
