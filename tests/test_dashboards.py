"""Grafana dashboards: built with grafana-foundation-sdk, loadable back into its model, provisioned for
Kubernetes (sidecar ConfigMaps) and VMs, and reading only metrics the pinned collector serves."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import yaml
from grafana_foundation_sdk.models.dashboard import Dashboard

from tracegen.blueprint.loader import load
from tracegen.plan import self_metrics as sm
from tracegen.plan.builder import build_plan
from tracegen.plan.collectors import CONNECTOR_METRICS
from tracegen.targets import dashboards as dash

ROOT = Path(__file__).resolve().parents[1]
# Every name a 0.160.0 collector was seen serving (plan/self_metrics.py, plan/collectors.py), with the
# series a histogram adds.
SERVED = {m.prometheus + suffix for ms in CONNECTOR_METRICS.values() for m in ms
          for suffix in (("", "_bucket", "_count", "_sum") if m.kind == "histogram" else ("",))}
SERVED |= {value for name, value in vars(sm).items() if name.isupper() and isinstance(value, str)
           and value.startswith("otelcol_")}
SERVED |= {sm.TAIL_LATE_SPAN_AGE + "_count"}


def env(name="prod"):
    plan = build_plan(load(str(ROOT / "blueprints" / "checkout.yaml")))
    return plan, next(e for e in plan.environments if e.name == name)


def exprs(board: dict) -> list[str]:
    found = [t["expr"] for p in board.get("panels", []) for t in p.get("targets", [])]
    found += [v["query"] for v in board["templating"]["list"] if v["type"] == "query"]
    return found


def test_dashboards_reference_only_metrics_the_collector_serves():
    _, prod = env()
    boards = dash.dashboards(prod)
    assert set(boards) == {"red", "service-graph", "collector"}
    for stem, board in boards.items():
        for expr in exprs(board):
            metrics = set(re.findall(r"\b((?:traces|otelcol)_[a-z0-9_]*)", expr))
            assert metrics, (stem, expr)
            assert metrics <= SERVED, (stem, metrics - SERVED)


def test_dashboards_load_into_the_sdk_model_and_keep_their_panels():
    _, prod = env()
    for stem, board in dash.dashboards(prod).items():
        model = Dashboard.from_json(board)
        assert model.title == board["title"] and model.uid == board["uid"]
        assert len(model.panels) == len(board["panels"]) > 0
        assert model.to_json()["uid"] == board["uid"]


def test_latency_panels_ask_for_exemplars_and_every_panel_uses_the_datasource_variable():
    _, prod = env()
    red = dash.dashboards(prod)["red"]
    latency = next(p for p in red["panels"] if p["title"].startswith("Latency"))
    assert all(t["exemplar"] for t in latency["targets"])
    for board in dash.dashboards(prod).values():
        for panel in board["panels"]:
            if panel["type"] != "row":
                assert panel["datasource"]["uid"] == "${datasource}"


def test_only_what_the_environment_measures():
    _, prod = env()
    bare = replace(prod, derived_metrics=replace(prod.derived_metrics, span_metrics=False, service_graph=False),
                   tail_sampling=None)
    boards = dash.dashboards(bare)
    assert set(boards) == {"collector"}
    assert not any("tail_sampling" in e for e in exprs(boards["collector"]))


def test_provisioned_for_kubernetes_and_vms():
    plan, prod = env()
    artifacts = {a.path: a for a in dash.build(plan) if a.environment == "prod"}
    assert {a.kind for a in artifacts.values()} == {"grafana-dashboard"}
    maps = list(yaml.safe_load_all(artifacts["prod/grafana/configmaps.yaml"].content))
    assert {m["metadata"]["labels"][dash.SIDECAR_LABEL] for m in maps} == {"1"}
    for config_map in maps:
        (key, text), = config_map["data"].items()
        assert json.loads(text) == json.loads(artifacts[f"prod/grafana/dashboards/{key}"].content)
    provider = yaml.safe_load(artifacts["prod/grafana/provisioning/tracegen.yaml"].content)
    assert provider["providers"][0]["options"]["path"] == dash.VM_PATH


def test_validate_loads_each_dashboard_and_skips_rules_without_promtool(tmp_path):
    import os
    import subprocess
    out = tmp_path / "out"
    subprocess.run(["tracegen", "build", str(ROOT / "blueprints" / "checkout.yaml"), "-o", str(out)],
                   capture_output=True, text=True, check=True)
    env = {**os.environ, "PATH": str(Path(os.__file__).parent)}    # no promtool on this PATH
    run = subprocess.run([str(Path(__import__("sys").executable)), "-m", "tracegen", "validate", str(out),
                          "--only", "monitoring"], capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    assert any(l.startswith("ok") and "prod/grafana/dashboards/red.json" in l for l in lines)
    assert any(l.startswith("skip") and "prod/prometheus/rules.yaml" in l for l in lines)
