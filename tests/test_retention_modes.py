"""Per-mode retention under `sampling.strategy: edge_head` (tracegen/plan/retention.py): a mode
raises the head rate of the root services whose SDK polls the agents' strategies files
(plan/remote_sampling.py), and only theirs; `tracegen plan` and the runbook show the same figures."""

from __future__ import annotations

import json

import pytest
import yaml

from tracegen.blueprint.loader import load_text
from tracegen.blueprint.merge import deep_merge
from tracegen.plan import remote_sampling
from tracegen.plan.builder import build_plan
from tracegen.plan.report import render_json
from tracegen.targets import runbook

EDGE_HEAD = """\
schema_version: 1
name: shop
standards:
  sampling_targets: {errors: 0.1, slow: 0.1, coverage: 0.1, healthy_max: 1}
services:
  shop: {version: 1.0.0, language: java, edge: true, peak_rps: 300, spans_per_request: 10}
  feed: {version: 1.0.0, language: node, edge: true, peak_rps: 100, spans_per_request: 10}
backends:
  tempo: {type: tempo, endpoint: "tempo:4317"}
sampling:
  strategy: edge_head
  head: {edge_rate: 0.1}
  tail:
    policies:
      - {name: keep-errors, type: errors}
      - {name: baseline, type: probabilistic, percentage: 10}
  modes:
    incident: {probabilistic_percentage: 100}
topology:
  gateway: {replicas: 2}
environments:
  prod: {platform: {kubernetes: {cluster: prod}}}
"""


def _loaded(**changes):
    data = deep_merge(yaml.safe_load(EDGE_HEAD), changes)
    return load_text(yaml.safe_dump(data, sort_keys=False), "shop.yaml")


def _served_rate(env, service: str, mode: str) -> float:
    """The head rate the agents' strategies file serves `service` in `mode`."""
    document = remote_sampling.strategies(env, mode)
    return next(s["param"] for s in document["service_strategies"] if s["service"] == service)


def test_incident_raises_the_polling_root_and_keeps_the_ratio_root():
    loaded = _loaded()
    env = build_plan(loaded).environments[0]
    assert [s for s, _ in remote_sampling.unsupported(env)] == ["feed"]
    raised = _served_rate(env, "shop", "incident")
    assert raised == 1.0 and _served_rate(env, "shop", "default") == pytest.approx(0.1)
    weights = {"shop": 0.75, "feed": 0.25}          # peak_rps 300 and 100
    incident = env.sampling.of("incident").retention
    expected = weights["shop"] * raised + weights["feed"] * 0.1
    assert incident.coverage == pytest.approx(expected)
    assert incident.healthy == pytest.approx(expected)      # incident keeps every recorded trace
    assert incident.errors == pytest.approx(expected)
    default = env.sampling.of("default").retention
    assert default.coverage == pytest.approx(0.1)           # the default mode is head-limited everywhere
    volumes = env.sampling.of("incident").volumes
    assert volumes.traces_recorded_per_sec == pytest.approx(400 * expected)
    assert volumes.spans_per_sec == pytest.approx(400 * expected * 10)
    plan_json = json.loads(render_json(loaded, build_plan(loaded), env="prod", mode="incident"))
    shown = plan_json["environments"]["prod"]["modes"]["incident"]["retention"]
    assert shown["coverage"] == pytest.approx(expected) and shown["healthy"] == pytest.approx(expected)
    assert plan_json["environments"]["prod"]["retention"]["healthy"] == pytest.approx(expected)


def test_runbook_table_shows_the_raised_mode_figures():
    env = build_plan(_loaded()).environments[0]
    text = runbook.runbook(env)
    row = next(line for line in text.splitlines() if line.startswith("| `incident` |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    incident = env.sampling.of("incident")
    assert cells[1:4] == [f"{100 * v:.4g} %" for v in (incident.retention.errors, incident.retention.slow,
                                                      incident.retention.healthy)]
    assert cells[3] == "77.5 %"             # not the head-limited 10 %
    assert cells[4] == f"{incident.volumes.exported_spans_per_sec:.0f}"


def test_without_polling_roots_a_mode_stays_head_limited():
    env = build_plan(_loaded(services={"shop": {"language": "python"}})).environments[0]
    assert env.sampling.of("incident").retention.coverage == pytest.approx(0.1)


def test_sidecar_agents_serve_no_strategies_so_modes_stay_head_limited():
    env = build_plan(_loaded(topology={"agent": {"placement": "sidecar"}})).environments[0]
    assert remote_sampling.documents(env) == {}
    assert env.sampling.of("incident").retention.coverage == pytest.approx(0.1)


def test_the_ingress_head_is_not_raised_by_a_mode():
    env = build_plan(_loaded(ingress={"kind": "nginx", "namespace": "ingress-nginx"})).environments[0]
    heads = [s for s in env.sampling.chain if s.kind == "head"]
    assert [s.stage for s in heads] == ["ingress"]
    assert env.sampling.of("incident").retention.coverage == pytest.approx(0.1)
