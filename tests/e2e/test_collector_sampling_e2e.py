"""The baseline cap as tracegen emits it, on the real collector: `tracegen collector install` and
`tracegen validate` pass over the built configs, and a gateway started with its generated config and
the plan's command-line flags keeps every error trace while the capped share (100 % of healthy
traces here, capped at 40 spans/s per replica) passes no more than the cap allows.

Run with and without `sampling.consistent_probability` (the alpha tracestate feature gate, which
also swaps the rate limiter for a threshold budget limiter): the cap must hold either way.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from harness import analysis, pipeline as pipeline_module
from harness.processes import Collector, collector_env, port_free, wait_until
from harness.receiver import OtlpReceiver
from harness.report import print_figures
from harness.traffic import SPANS_PER_TRACE, Traffic, mixed_plan

from tracegen.blueprint.loader import load_text
from tracegen.plan.builder import build_plan

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
BASE = Path(__file__).resolve().parent / "blueprints" / "local.yaml"
GATE = "--feature-gates=processor.tailsamplingprocessor.usetracestate"
TIER_CAP = 80                  # spans/s for the gateway tier; 2 replicas -> 40 per replica
BASE_PORT = 29317              # away from the other e2e modules' ports
BACKEND_PORTS = {"honeycomb": 29401, "jaeger": 29402}
SENT = {"healthy": 600, "error": 40}
RATE = 100.0                   # traces/s: 400 spans/s into one replica, 10x its cap
SECRET = {"HONEYCOMB_API_KEY": "e2e-not-a-secret"}


@pytest.fixture(scope="module")
def figures(request):
    lines: list[str] = []
    yield lines
    print_figures(request, "collector sampling (baseline cap) figures", lines)


def _blueprint(consistent: bool) -> dict:
    data = yaml.safe_load(BASE.read_text(encoding="utf-8"))
    sampling = data["sampling"]
    sampling.pop("head", None)                      # the default: apps record every trace
    sampling["consistent_probability"] = consistent
    tail = sampling["tail"]
    tail["baseline_cap"] = {"spans_per_second": TIER_CAP}
    tail["policies"] = [{"name": "keep-errors", "type": "errors"},
                        {"name": "keep-slow", "type": "latency", "threshold_ms": 500},
                        {"name": "healthy-share", "type": "probabilistic", "percentage": 100}]
    data["environments"]["e2e"]["platform"]["local"]["base_port"] = BASE_PORT
    for name, port in BACKEND_PORTS.items():
        data["backends"][name]["endpoint"] = f"127.0.0.1:{port}"
    return data


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tracegen", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=1800)


@pytest.mark.parametrize("consistent", [False, True], ids=["default", "tracestate-gate"])
def test_the_cap_holds_on_the_real_collector(consistent, tmp_path, figures):
    blueprint = tmp_path / "cap.yaml"
    text = yaml.safe_dump(_blueprint(consistent), sort_keys=False)
    blueprint.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    built = pipeline_module.build(blueprint, out)
    assert built.returncode == 0, built.stderr

    # The plan's decision: the gateway's flags and its per-replica cap.
    env = build_plan(load_text(text, str(blueprint))).environments[0]
    gateway_config = env.collectors.gateways[0]
    assert gateway_config.args == ((GATE,) if consistent else ())
    per_replica = TIER_CAP / env.gateway.replicas
    data = yaml.safe_load((out / "e2e" / "collector" / gateway_config.path).read_text(encoding="utf-8"))
    share = {p["name"]: p for p in data["processors"]["tail_sampling"]["policies"]}["healthy-share"]
    assert [p["type"] for p in share["and"]["and_sub_policy"]] == ["probabilistic", "rate_limiting"]

    # The user's commands: build the distribution (cached), validate every config with it.
    installed = _cli("collector", "install", str(out))
    assert installed.returncode == 0, installed.stderr
    binary = Path(installed.stdout.strip().splitlines()[-1].split(": ")[-1])
    assert binary.is_file(), installed.stdout
    validated = _cli("validate", str(out), "--only", "collector", "--require-all")
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert "0 failed" in validated.stdout

    # Start one gateway as the plan says (config + flags), backends on loopback, traffic straight in.
    ports = pipeline_module.config_ports(data)
    busy = [p for p in (ports.otlp_grpc, ports.health, ports.metrics, *BACKEND_PORTS.values()) if not port_free(p)]
    assert not busy, f"loopback ports in use: {busy}"
    receivers = {name: OtlpReceiver(name, port) for name, port in BACKEND_PORTS.items()}
    gateway = Collector("gateway-0", binary, [out / "e2e" / "collector" / gateway_config.path],
                        collector_env(tmp_path / "state", SECRET), tmp_path / "gateway-0.log",
                        ports.health, ports.metrics, flags=gateway_config.args)
    traffic = None
    try:
        for receiver in receivers.values():
            receiver.start()
        gateway.start()
        # Started healthy with exactly the plan's flags (an unknown gate would have stopped it).
        start_line = next(line for line in gateway.log_text().splitlines() if line.startswith("===== start"))
        assert (GATE in start_line) == consistent, start_line
        traffic = Traffic(f"127.0.0.1:{ports.otlp_grpc}")
        started = time.monotonic()
        sent = traffic.send_mix(mixed_plan(SENT, seed=20261128), per_second=RATE, deadline_s=60)
        send_s = time.monotonic() - started
        assert traffic.flush(30)
        wait_s = env.tail_sampling.decision_wait_s + 3
        settled = lambda: receivers["jaeger"].span_count()   # noqa: E731
        last = -1
        while last != settled():          # quiet for one decision wait: every decision is taken
            last = settled()
            time.sleep(wait_s)
        assert gateway.running, gateway.log_tail()
    finally:
        if traffic is not None:
            traffic.shutdown()
        gateway.stop()
        for receiver in receivers.values():
            receiver.stop()

    tally = analysis.tally(sent, receivers["jaeger"].spans())
    errors, healthy = tally["error"], tally["healthy"]
    kept_spans = healthy.kept * SPANS_PER_TRACE
    # The limiter's budget over the time decisions were taken (they trail arrival by decision_wait and
    # tick once a second), plus its burst (2 x the rate), plus a second of slack.
    budget = per_replica * (send_s + 2) + 2 * per_replica
    figures.append(f"{'tracestate gate' if consistent else 'default'}: {len(sent)} traces "
                   f"({SENT['healthy']} healthy, {SENT['error']} error) x {SPANS_PER_TRACE} spans in {send_s:.1f}s "
                   f"into one gateway ({len(sent) * SPANS_PER_TRACE / send_s:.0f} spans/s); cap {per_replica:g} spans/s")
    figures.append(f"  errors kept {errors.kept}/{errors.sent} (complete {errors.complete}); healthy kept "
                   f"{healthy.kept}/{healthy.sent} = {kept_spans} spans = {kept_spans / send_s:.1f} spans/s "
                   f"(budget {budget:.0f} spans; uncapped the share would keep {healthy.sent * SPANS_PER_TRACE})")
    assert errors.kept == errors.sent and errors.complete == errors.sent, "the cap must never drop errors"
    assert healthy.kept > 0, "the capped share kept nothing"
    assert kept_spans <= budget, f"kept {kept_spans} healthy spans, above the cap's budget {budget:.0f}"
    assert healthy.kept < healthy.sent / 2, "the cap did not bite: the share kept most healthy traces"
