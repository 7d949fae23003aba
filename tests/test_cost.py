"""The cost model in `tracegen plan`: prices per backend type, overrides, retention, sampling modes."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from tracegen.blueprint.loader import load_text
from tracegen.plan import cost
from tracegen.plan.builder import build_plan

ROOT = Path(__file__).resolve().parents[1]


def shop(backend: dict, percentage: float = 10, rps: float = 100) -> str:
    return yaml.safe_dump({
        "schema_version": 1, "name": "shop",
        "services": {"api": {"version": "1.0.0", "language": "go", "edge": True, "peak_rps": rps,
                             "spans_per_request": 10}},
        "backends": {"vendor": backend},
        "sampling": {"assumptions": {"error_rate": 0.0, "slow_rate": 0.0, "span_bytes": 1000},
                     "tail": {"policies": [{"name": "keep-errors", "type": "errors"},
                                           {"name": "baseline", "type": "probabilistic", "percentage": percentage}]}},
        "environments": {"prod": {"platform": {"local": {}}}},
    }, sort_keys=False)


def costs(text: str) -> list[cost.ModeCost]:
    loaded = load_text(text, "shop.yaml")
    env = build_plan(loaded).environments[0]
    return cost.costs(loaded.environments["prod"].blueprint, env.sampling)


def default(rows):
    return next(r for r in rows if r.mode == "default")


DATADOG = {"type": "datadog", "endpoint": "https://trace.agent.datadoghq.com/api/v0.2/traces", "protocol": "http",
           "api_key": "${env:DD_API_KEY}", "headers": {"dd-otlp-source": "shop"},
           "retention": {"hot_days": 15, "cold_days": 0}}
HONEYCOMB = {"type": "honeycomb", "endpoint": "https://api.honeycomb.io", "protocol": "http",
             "api_key": "${env:HONEYCOMB_API_KEY}", "retention": {"hot_days": 60, "cold_days": 0}}


def test_datadog_bills_ingested_gb_and_indexed_spans():
    row = default(costs(shop(DATADOG)))
    backend, = row.backends
    spans_per_day = 100 * 10 * 0.1 * 86400      # 10 % of 1,000 spans/s
    gb = spans_per_day * 1000 / 1e9
    assert backend.gb_ingested_per_day == pytest.approx(gb, rel=0.02)
    expected = gb * 0.10 + spans_per_day / 1e6 * 1.70     # 15 days of retention are included
    assert backend.usd_per_day == pytest.approx(expected, rel=0.02)
    assert backend.usd_per_1000_requests == pytest.approx(expected / (100 * 86400 / 1000), rel=0.02)


def test_honeycomb_bills_per_event_and_pricing_overrides_the_default():
    listed = default(costs(shop(HONEYCOMB))).backends[0]
    priced = default(costs(shop({**HONEYCOMB, "pricing": {"usd_per_million_spans": 0.65}}))).backends[0]
    assert listed.estimate and not priced.estimate
    assert priced.usd_per_day == pytest.approx(listed.usd_per_day / 2, rel=1e-6)
    assert "backends.vendor.pricing" in priced.source


def test_storage_beyond_the_included_retention_is_billed():
    tempo = {"type": "tempo", "endpoint": "tempo.example.net:4317", "retention": {"hot_days": 30, "cold_days": 0}}
    longer = {**tempo, "retention": {"hot_days": 30, "cold_days": 60}}
    short, long_ = default(costs(shop(tempo))).backends[0], default(costs(shop(longer))).backends[0]
    assert long_.gb_stored == pytest.approx(3 * short.gb_stored)
    # 60 more days at $0.10 per GB-month: $0.20 per GB ingested per day, on top of $0.45 per GB.
    assert long_.usd_per_day - short.usd_per_day == pytest.approx(short.gb_ingested_per_day * 0.20, rel=1e-6)


def test_sampling_modes_change_the_cost_and_no_tail_sampling_is_shown():
    rows = costs(shop(HONEYCOMB, percentage=10))
    by_mode = {r.mode: r for r in rows}
    assert by_mode[cost.UNSAMPLED].usd_per_day == pytest.approx(10 * by_mode["default"].usd_per_day, rel=0.05)
    assert default(costs(shop(HONEYCOMB, percentage=5))).usd_per_day < by_mode["default"].usd_per_day


def test_plan_prints_the_cost_in_text_and_json():
    text = subprocess.run(["tracegen", "plan", str(ROOT / "blueprints" / "checkout.yaml"), "--env", "prod"],
                          capture_output=True, text=True)
    assert text.returncode == 0, text.stderr
    assert "Cost at the declared peak" in text.stdout and "prices: honeycomb:" in text.stdout
    data = subprocess.run(["tracegen", "plan", str(ROOT / "blueprints" / "checkout.yaml"), "--env", "prod",
                           "--format", "json"], capture_output=True, text=True)
    modes = json.loads(data.stdout)["environments"]["prod"]["cost"]
    assert modes["incident"]["usd_per_day"] > modes["default"]["usd_per_day"] > 0
    assert set(modes["default"]["backends"]) == {"honeycomb", "jaeger"}
