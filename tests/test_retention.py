"""The retention model (tracegen/plan/retention.py): what each decision in the chain keeps, what the
planner derives from it (samplers, mesh and ingress rates, tail buffer, baseline cap), and that the
sampling rules' Good fragments really reach the targets through it."""

from __future__ import annotations

import math
import random

import pytest
import yaml

from tracegen.blueprint.loader import load, load_text
from tracegen.blueprint.merge import deep_merge
from tracegen.plan import retention as rt
from tracegen.plan.builder import build_plan
from tracegen.standards.rules import RULES
from tests.test_rules import CLEAN, EXAMPLES, _fragments

BASE = """\
schema_version: 1
name: shop
services:
  web: {version: 1.0.0, language: node, edge: true, peak_rps: 400, spans_per_request: 4, calls: [api]}
  api: {version: 1.0.0, language: java, peak_rps: 400, spans_per_request: 20, inbound: [http]}
backends:
  tempo: {type: tempo, endpoint: "tempo:4317"}
sampling:
  tail:
    decision_wait: 10s
    policies:
      - {name: keep-errors, type: errors}
      - {name: keep-slow, type: latency, threshold_ms: 500}
      - {name: baseline, type: probabilistic, percentage: 10}
  modes:
    incident: {probabilistic_percentage: 100}
    canary:
      add_policies:
        - {name: keep-canary, type: attribute, key: deployment.canary, values: [true]}
topology:
  gateway: {replicas: 2}
environments:
  prod: {platform: {kubernetes: {cluster: prod}}}
"""


def _plan(text: str = BASE, **changes):
    data = deep_merge(yaml.safe_load(text), changes)
    return build_plan(load_text(yaml.safe_dump(data, sort_keys=False), "shop.yaml"))


def _env(text: str = BASE, **changes):
    return _plan(text, **changes).environments[0]


# --------------------------------------------------------------------------- the default
def test_default_records_everything_and_the_gateway_decides():
    env = _env()
    model = env.sampling
    assert model.strategy == "collector"
    assert {(s.name, s.sampler, s.sampler_ratio) for s in env.services} == {
        ("web", "parentbased_always_on", 1.0), ("api", "parentbased_always_on", 1.0)}
    r = model.retention
    assert (r.errors, r.slow, r.coverage) == (1.0, 1.0, 1.0)
    assert r.healthy == pytest.approx(0.10, rel=1e-4)     # the auto cap binds with negligible probability
    assert [(s.stage, s.kind) for s in model.chain] == [
        ("sdk:web", "head"), ("agent", "forward"), ("gateway", "tail")]   # api is called by web: not a root


def test_mesh_and_ingress_pass_everything_when_the_collector_decides():
    env = _env(mesh={"istio": {}}, ingress={"kind": "nginx"})
    assert env.mesh.istio_sampling_percentage == 100
    assert env.ingress.sampling_ratio == 1.0
    assert env.sampling.retention.errors == 1.0


# --------------------------------------------------------------------------- head decisions lose errors
def test_sdk_head_sampling_keeps_errors_at_the_head_rate():
    """The issue's measurement: parentbased_traceidratio 0.1 keeps ~10 % of the error traces."""
    env = _env(sampling={"head": {"edge_rate": 0.1}})
    model = env.sampling
    assert model.retention.errors == pytest.approx(0.1)
    assert model.retention.coverage == pytest.approx(0.1)
    (stage,) = model.head_losses
    assert stage.stage == "sdk:web" and "samples 10 %" in stage.label
    assert {s.sampler for s in env.services} == {"parentbased_traceidratio"}


def test_istio_decides_first_and_the_sdk_follows():
    model = _env(mesh={"istio": {"sampling_percentage": 10}}).sampling
    (stage,) = model.head_losses
    assert stage.stage == "mesh" and stage.label == "Istio samples 10 % at the mesh"
    assert model.retention.errors == pytest.approx(0.1)
    assert next(s for s in model.chain if s.stage == "sdk:web").kind == "follows"


def test_ingress_decides_before_the_mesh():
    model = _env(mesh={"istio": {"sampling_percentage": 50}}, ingress={"kind": "envoy_gateway"},
                 sampling={"head": {"edge_rate": 0.2}}).sampling
    assert model.head_losses[0].stage == "ingress"
    assert model.retention.errors == pytest.approx(0.2)


def test_mesh_is_kubernetes_only():
    local = BASE.replace("prod: {platform: {kubernetes: {cluster: prod}}}", "prod: {platform: {local: {}}}")
    assert _env(local, mesh={"istio": {"sampling_percentage": 1}}).sampling.retention.errors == 1.0


def test_a_job_that_starts_traces_is_a_root_with_its_own_sampler():
    text = BASE.replace("backends:", "  nightly: {version: 1.0.0, language: python, peak_rps: 100}\nbackends:")
    model = _env(text, sampling={"head": {"services": {"nightly": 0.1}}}).sampling
    stage = model.head_losses[0]
    assert stage.stage == "sdk:nightly" and stage.weight == pytest.approx(0.2)
    assert model.retention.coverage == pytest.approx(0.8 + 0.2 * 0.1)


def test_edge_head_strategy_defaults_to_the_playbook_rate():
    env = _env(sampling={"strategy": "edge_head"}, mesh={"istio": {}})
    assert env.mesh.istio_sampling_percentage == 10
    assert env.sampling.retention.errors == pytest.approx(0.1)


# --------------------------------------------------------------------------- the tail
def test_without_an_errors_policy_errors_ride_the_baseline():
    policies = [{"name": "keep-slow", "type": "latency", "threshold_ms": 500},
                {"name": "baseline", "type": "probabilistic", "percentage": 10}]
    model = _env(BASE.replace("      - {name: keep-errors, type: errors}\n", "")).sampling
    assert model.retention.errors == pytest.approx(0.1, rel=1e-4)
    assert [p.name for p in model.of().policies] == [p["name"] for p in policies]


def test_a_sibling_rate_limit_keeps_rather_than_caps():
    text = BASE.replace("      - {name: baseline, type: probabilistic, percentage: 10}\n",
                        "      - {name: some, type: rate_limit, spans_per_second: 100000}\n")
    assert _env(text).sampling.retention.healthy == 1.0


def test_modes_raise_what_is_kept():
    model = _env().sampling
    assert model.of("incident").retention.healthy == 1.0
    assert model.of("incident").volumes.baseline_cap_spans_per_sec is None   # the mode lifts the cap
    canary = model.of("canary")
    assert dict(canary.retention.classes)["keep-canary"] == 1.0
    assert canary.volumes.exported_spans_per_sec > model.of("default").volumes.exported_spans_per_sec


# --------------------------------------------------------------------------- volumes and sizing
def test_volumes_at_the_declared_peak():
    model = _env().sampling
    v = model.volumes
    assert model.spans_per_trace == pytest.approx((400 * 4 + 400 * 20) / 400)
    assert v.traces_per_sec == 400 and v.spans_per_sec == pytest.approx(9600)
    assert v.gateway_spans_per_sec_per_replica == pytest.approx(4800)
    matched = 1 - (1 - 0.01) * (1 - 0.05)            # errors or slow (the default assumptions)
    kept = matched + (1 - matched) * 0.10
    assert v.exported_spans_per_sec == pytest.approx(9600 * kept, rel=1e-5)
    (tempo,) = v.backends
    assert tempo.gb_per_day == pytest.approx(9600 * kept * 600 * 86400 / 1e9, rel=1e-5)


def test_tail_buffer_and_expected_rate_are_sized_per_replica():
    env = _env()
    tail = env.tail_sampling
    assert tail.expected_new_traces_per_sec == 200              # 400 traces/s over 2 replicas
    assert tail.num_traces == 200 * 10 * 2                      # two decision waits
    assert env.sampling.volumes.tail_buffer_bytes == int(4000 * 24 * 600)
    assert env.sampling.volumes.memory_limit_bytes == env.gateway.memory_limiter[0] * 2 ** 20


def test_baseline_cap_bounds_the_healthy_share_above_the_peak():
    env = _env()
    cap = env.sampling.volumes.baseline_cap_spans_per_sec
    picks = 400 * 0.10 / 2                                      # the share's traces/s per replica at the peak
    assert cap == pytest.approx((picks + 4 * picks ** 0.5 + 1) * 24)   # above 1.2 x 20 x 24 = 576
    assert dict(env.tail_sampling.policies[2].params)["cap_spans_per_second"] == math.ceil(cap)
    view = _plan().environments[0]
    loaded = load_text(BASE, "shop.yaml")
    tier = rt.SamplingTier(2, None)
    at_peak = rt.evaluate(loaded.environments["prod"], tier).retention.healthy
    at_triple = rt.evaluate(loaded.environments["prod"], tier, rps=1200).retention.healthy
    assert at_peak == pytest.approx(0.10, rel=1e-4)
    admitted = rt.traces_per_window(cap, 24)                    # 38 traces of 24 spans under 934 spans
    assert admitted == 38
    assert at_triple == pytest.approx(0.10 * admitted / 60, rel=0.02)   # 60 picks/s against 38
    assert view.sampling.retention.errors == 1.0


def test_a_large_share_keeps_the_headroom_cap():
    """Where 20 % over the peak is more than the burst floor, the headroom stays the cap."""
    busy = BASE.replace("percentage: 10}", "percentage: 50}").replace("peak_rps: 400", "peak_rps: 4000")
    cap = _env(busy).sampling.volumes.baseline_cap_spans_per_sec
    picks = 4000 * 0.5 / 2
    assert cap == pytest.approx(96000 * 0.5 * 1.2 / 2) and cap > (picks + 4 * picks ** 0.5 + 1) * 24


def test_written_bytes_cap_is_per_replica_and_carried_in_bytes():
    env = _env(sampling={"tail": {"baseline_cap": {"bytes_per_second": 600000}}})
    assert dict(env.tail_sampling.policies[2].params)["cap_bytes_per_second"] == 300000
    assert env.sampling.volumes.baseline_cap_spans_per_sec == pytest.approx(500)


def test_tracestate_thresholds_are_opt_in():
    """The collector's tracestate support is an alpha feature gate: off unless the blueprint asks."""
    assert _env().tail_sampling.tracestate_thresholds is False
    assert _env(sampling={"consistent_probability": True}).tail_sampling.tracestate_thresholds is True


def test_model_matches_a_simulated_pipeline():
    """A trace-by-trace simulation of head sampling and the tail policies lands where the model says."""
    random.seed(7)
    env = _env(sampling={"head": {"edge_rate": 0.5}})
    model, n = env.sampling, 40000
    kept = errors = errors_kept = 0
    for _ in range(n):
        recorded = random.random() < 0.5
        error, slow = random.random() < 0.01, random.random() < 0.05
        baseline = random.random() < 0.10
        keep = recorded and (error or slow or baseline)
        kept += keep
        errors += error
        errors_kept += error and keep
    predicted = model.volumes.exported_spans_per_sec / model.volumes.spans_per_sec * model.retention.coverage
    sigma = (predicted * (1 - predicted) / n) ** 0.5
    assert abs(kept / n - predicted) < 4 * sigma
    assert abs(errors_kept / errors - model.retention.errors) < 0.1


# --------------------------------------------------------------------------- every example, every Good fragment
@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_every_example_meets_its_targets_with_its_own_settings(path):
    for env in build_plan(load(path)).environments:
        model, targets = env.sampling, env.sampling.targets
        r = model.retention
        assert r.errors >= targets.errors and r.slow >= targets.slow and r.coverage >= targets.coverage, env.name
        assert targets.healthy_min - 1e-6 <= r.healthy <= targets.healthy_max + 1e-6, env.name
        assert targets.errors >= 0.99, "an example keeps the playbook's error target"


SAMPLING_RULES = sorted(code for code, rule in RULES.items() if rule.NAME.startswith("sampling."))


@pytest.mark.parametrize("code", SAMPLING_RULES)
def test_good_fragment_reaches_the_targets_through_the_model(code):
    good = _fragments(RULES[code].__doc__)["Good"]
    merged = deep_merge(yaml.safe_load(CLEAN), yaml.safe_load(good))
    plan = build_plan(load_text(yaml.safe_dump(merged, sort_keys=False), f"{code}.yaml"))
    for env in plan.environments:
        r, t = env.sampling.retention, env.sampling.targets
        assert (r.errors >= t.errors, r.slow >= t.slow, r.coverage >= t.coverage) == (True, True, True), \
            f"{code} Good fragment: {r}"


def test_no_declared_peak_means_no_automatic_cap():
    """A cap sized from a peak of zero would starve the baseline: without peak_rps there is none."""
    text = BASE.replace(", peak_rps: 400", "")
    env = _env(text)
    assert env.sampling.volumes.baseline_cap_spans_per_sec is None
    assert all("cap_spans_per_second" not in dict(p.params) for p in env.tail_sampling.policies)
    assert env.sampling.retention.healthy == pytest.approx(0.10)


def test_the_healthy_band_allows_a_share_on_its_edge_to_lose_a_little_to_the_cap():
    from types import SimpleNamespace

    from tracegen.plan.retention import healthy_band

    targets = SimpleNamespace(healthy_min=0.05, healthy_max=0.10)
    assert healthy_band(0.05 * (1 - 1e-5), targets) == 0      # cap_loss of a 5 % share: on target
    assert healthy_band(0.049, targets) == -1
    assert healthy_band(0.075, targets) == 0
    assert healthy_band(0.1001, targets) == 0
    assert healthy_band(0.11, targets) == 1
