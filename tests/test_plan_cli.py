"""`tracegen plan`: the JSON contract other tools read, --env/--mode/--rps, the text a reviewer reads,
and bad input handled like every other command (one line, exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tracegen.cli import main

ROOT = Path(__file__).resolve().parent.parent
CHECKOUT = str(ROOT / "blueprints" / "checkout.yaml")
EXAMPLES = sorted((ROOT / "blueprints").glob("*.yaml"))


def run(*args: str):
    return CliRunner().invoke(main, ["plan", *args], catch_exceptions=False)


def plan_json(*args: str) -> dict:
    result = run(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_json_contract():
    data = plan_json(CHECKOUT)
    assert set(data["environments"]) == {"prod", "staging"}
    prod = data["environments"]["prod"]
    assert {"mode", "strategy", "chain", "retention", "volumes", "modes"} <= set(prod)
    assert prod["mode"] == "default" and prod["strategy"] == "collector"
    assert all({"stage", "kind", "keeps"} <= set(stage) for stage in prod["chain"])
    assert {"errors", "slow", "healthy", "coverage", "classes"} <= set(prod["retention"])
    assert prod["retention"]["classes"]["keep-enterprise"] == 1.0
    volumes = prod["volumes"]
    assert {"traces_per_sec", "spans_per_sec", "gateway_spans_per_sec", "gateway_spans_per_sec_per_replica",
            "exported_spans_per_sec", "backends", "tail_buffer"} <= set(volumes)
    assert set(volumes["backends"]) == {"honeycomb", "jaeger"}
    assert {"spans_per_sec", "gb_per_day"} <= set(volumes["backends"]["jaeger"])
    assert {"num_traces", "bytes", "memory_limit_bytes"} <= set(volumes["tail_buffer"])
    assert set(prod["modes"]) == {"default", "incident", "canary"}
    assert set(prod["modes"]["incident"]) == {"retention", "volumes"}


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_every_example_keeps_its_error_traces(path):
    for env, data in plan_json(str(path))["environments"].items():
        assert data["retention"]["errors"] >= 0.99, env
        assert data["retention"]["coverage"] >= 0.9, env


def test_checkout_figures_at_the_declared_peak():
    prod = plan_json(CHECKOUT, "--env", "prod")["environments"]["prod"]
    v = prod["volumes"]
    assert v["traces_per_sec"] == 400
    assert v["spans_per_sec"] == 400 * 3 + 300 * 12 + 250 * 15 + 120 * 8 + 280 * 6
    assert v["gateway_spans_per_sec_per_replica"] == v["gateway_spans_per_sec"] / 2
    assert v["exported_spans_per_sec"] < v["spans_per_sec"] * 0.2
    assert prod["retention"]["healthy"] == pytest.approx(0.1, rel=1e-4)   # the cap hardly binds at the peak


def test_rps_scales_the_volumes_not_the_shares():
    peak = plan_json(CHECKOUT, "--env", "prod")["environments"]["prod"]
    half = plan_json(CHECKOUT, "--env", "prod", "--rps", "200")["environments"]["prod"]
    assert half["volumes"]["traces_per_sec"] == 200
    assert half["volumes"]["exported_spans_per_sec"] == pytest.approx(
        peak["volumes"]["exported_spans_per_sec"] / 2, rel=1e-5)
    same = ("errors", "slow", "coverage")
    assert {k: half["retention"][k] for k in same} == {k: peak["retention"][k] for k in same}
    assert half["retention"]["healthy"] == pytest.approx(peak["retention"]["healthy"], rel=1e-4)
    # Above the declared peak the baseline cap holds the healthy volume: the share falls.
    triple = plan_json(CHECKOUT, "--env", "prod", "--rps", "1200")["environments"]["prod"]
    assert triple["retention"]["errors"] == 1.0
    assert triple["retention"]["healthy"] < 0.07      # 3 x the share's picks against a cap of ~1.9 x


def test_mode_selects_what_the_top_level_shows():
    prod = plan_json(CHECKOUT, "--env", "prod", "--mode", "incident")["environments"]["prod"]
    assert prod["mode"] == "incident"
    assert prod["retention"]["healthy"] == 1.0
    assert prod["volumes"]["exported_spans_per_sec"] == prod["volumes"]["spans_per_sec"]


def test_text_names_the_chain_retention_and_volumes():
    result = run(CHECKOUT, "--env", "prod")
    assert result.exit_code == 0
    text = result.output
    assert text.startswith("checkout / prod: strategy collector")
    for needle in ("Decision chain", "Envoy Gateway samples 100 % at the ingress", "errors", "slow (> 500 ms)",
                   "spans/s into the gateways", "honeycomb", "tail buffer per replica", "incident"):
        assert needle in text, needle


def test_text_names_the_stage_that_loses_errors(tmp_path):
    text = Path(CHECKOUT).read_text().replace("sampling_percentage: 100", "sampling_percentage: 10")
    text = text.replace("ingress:\n  kind: envoy_gateway\n", "")
    blueprint = tmp_path / "mesh10.yaml"
    blueprint.write_text(text)
    out = run(str(blueprint), "--env", "prod").output
    assert "Istio samples 10 % at the mesh" in out
    assert "BELOW TARGET" in out


@pytest.mark.parametrize("args, message", [
    (["--env", "nope"], "no environment 'nope'"),
    (["--mode", "nope"], "no sampling mode 'nope'"),
    (["--rps", "-1"], "--rps must be zero or more"),
])
def test_bad_arguments_exit_2_with_one_line(args, message):
    result = CliRunner().invoke(main, ["plan", CHECKOUT, *args])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_bad_blueprint_is_one_positioned_line(tmp_path):
    blueprint = tmp_path / "bad.yaml"
    blueprint.write_text("schema_version: 1\nname: shop\nsampling: {strategy: sometimes}\n")
    result = CliRunner().invoke(main, ["plan", str(blueprint)])
    assert result.exit_code == 2
    assert "bad.yaml:3" in result.output


def test_traffic_assumptions_can_be_overridden_for_a_what_if():
    """What the gateways export when 10 % of requests fail (the e2e run's traffic), not the blueprint's 1 %."""
    base = plan_json(CHECKOUT, "--env", "prod", "--rps", "50")["environments"]["prod"]
    spike = plan_json(CHECKOUT, "--env", "prod", "--rps", "50", "--error-rate", "0.1")["environments"]["prod"]
    assert spike["assumptions"]["error_rate"] == 0.1 and base["assumptions"]["error_rate"] == 0.01
    matched = 1 - (1 - 0.1) * (1 - 0.05) * (1 - 0.01)     # errors, slow, keep-enterprise
    kept = matched + (1 - matched) * 0.10
    assert spike["volumes"]["exported_spans_per_sec"] == pytest.approx(spike["volumes"]["spans_per_sec"] * kept,
                                                                       rel=1e-4)
    assert spike["retention"] == base["retention"]          # shares per class do not depend on the mix
    assert run(CHECKOUT, "--slow-rate", "1.5").exit_code == 2
