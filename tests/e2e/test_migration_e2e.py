"""A backend migration through every phase, with real collectors, a real Jaeger and real traffic.

tests/e2e/blueprints/migration.yaml (platform `local`: one agent, two gateways) moves from Jaeger
(the real all-in-one, v2, in memory) to a Honeycomb-type backend. Honeycomb cannot be reached from
here: a loopback OTLP/gRPC receiver stands in for its intake and, like the intake, refuses a request
without the right `x-honeycomb-team` key. Every port comes from the OS (free at the time), so the
test runs beside other suites. The blueprint is moved between phases with the real CLI
(`tracegen migrate advance|rollback -o OUT`, which edits `phase:` in place), each build is checked
with `tracegen validate`, and the collectors run exactly the generated configs, restarted between
phases as the runbook says for the local platform:

    Traffic (OTel SDK) --> agent --trace ID--> gateway-0 | gateway-1 --> Jaeger | stand-in

- planned: only Jaeger receives.
- dual-write: both receive every kept span (trace and span IDs from Jaeger's API and the stand-in
  compared). The stand-in down for 30 s under traffic: Jaeger keeps receiving without delay, the
  stand-in catches up from its own persistent queue after recovery, 0 kept spans lost.
- verify: `tracegen migrate verify` against the gateways' telemetry endpoints exits 0; with the
  gateways given a wrong API key (the stand-in rejects the header) it exits 1.
- cutover: only the stand-in receives. rollback: Jaeger receives again.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

from tests.e2e.harness.jaeger import Jaeger
from tests.e2e.harness.pipeline import config_ports
from tests.e2e.harness.processes import Collector, collector_env, port_free, wait_until
from tests.e2e.harness.receiver import OtlpReceiver
from tests.e2e.harness.report import print_figures
from tests.e2e.harness.traffic import Traffic, mixed_plan
from tracegen.toolchain import jaeger as jaeger_toolchain
from tracegen.toolchain.collector import build_distribution

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
BLUEPRINT = HERE / "blueprints" / "migration.yaml"
ENV = "e2e"
KEY = "e2e-team-key"
MIX = {"healthy": 60, "error": 10, "slow": 10}          # one batch: 80 traces, 20 kept for sure
RATE = 20.0                                             # traces per second
OUTAGE_S = 30.0
SETTLE_S = 60.0
RECOVERY_S = 120.0     # the generated retry gives up after 900 s; 2 min is ample after a 30 s outage
FIGURES: list[str] = []

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.skipif(shutil.which("go") is None, reason="needs go (collector, Jaeger)")]


# --------------------------------------------------------------------------- ports, blueprint, CLI
def free_port(taken: set[int]) -> int:
    """A port the OS hands out for an ephemeral bind, not yet used by this test."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port not in taken:
            taken.add(port)
            return port


def free_base(taken: set[int], slots: int = 3) -> int:
    """A local-platform base port whose slots (base + 10 i + 0..3) are all free (the blueprint's
    base_port is at most 32000, so it is drawn below that and checked with the OS)."""
    rng = random.Random()
    while True:
        base = rng.randrange(20000, 31900)
        ports = {base + 10 * slot + k for slot in range(slots) for k in range(4)}
        if not ports & taken and all(port_free(p) for p in ports):
            taken |= ports
            return base


def tracegen(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env["HONEYCOMB_API_KEY"] = KEY                    # validate runs configs that reference it
    return subprocess.run([sys.executable, "-m", "tracegen", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=timeout)


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, f"{' '.join(map(str, result.args[2:]))} -> {result.returncode}\n" \
                                   f"{result.stdout[-3000:]}{result.stderr[-3000:]}"
    return result.stdout


# --------------------------------------------------------------------------- the estate
class Estate:
    """The generated agent and gateways as processes, restarted with the current build's configs."""

    def __init__(self, out: Path, binary: Path, work: Path) -> None:
        self.out, self.binary, self.work = out, binary, work
        self.collectors: list[Collector] = []
        self.gateway_metrics: list[str] = []
        self.agent_endpoint = ""

    def start(self, api_key: str = KEY) -> None:
        folder = self.out / ENV / "collector"
        env = collector_env(self.work / "state", {"HONEYCOMB_API_KEY": api_key})
        logs = self.work / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        gateways = sorted(folder.glob("gateway-*.yaml"))
        collectors = []
        self.gateway_metrics = []
        for path in [*gateways, folder / "agent-local.yaml"]:    # gateways first, as the runbook rolls
            ports = config_ports(yaml.safe_load(path.read_text(encoding="utf-8")))
            collectors.append(Collector(path.stem, self.binary, [path], env, logs / f"{path.stem}.log",
                                        ports.health, ports.metrics))
            if path.stem.startswith("gateway"):
                self.gateway_metrics.append(f"http://127.0.0.1:{ports.metrics}/metrics")
            else:
                self.agent_endpoint = f"127.0.0.1:{ports.otlp_grpc}"
        self.collectors = collectors
        for collector in collectors:
            collector.start()

    def stop(self) -> None:
        for collector in reversed(self.collectors):          # the agent first: it drains to the gateways
            collector.stop(graceful=True)

    def restart(self, api_key: str = KEY) -> None:
        self.stop()
        self.start(api_key)

    def logs(self) -> str:
        return "\n".join(c.log_tail(25) for c in self.collectors)


def kept_in_jaeger(jaeger: Jaeger, since: float, wanted: set[str]) -> dict[str, frozenset[str]]:
    """trace ID -> span IDs Jaeger holds, for the traces in `wanted`."""
    return {t.trace_id: frozenset(s.span_id for s in t.spans)
            for t in jaeger.traces("storefront", since - 60) if t.trace_id in wanted}


def kept_in_standin(standin: OtlpReceiver, wanted: set[str]) -> dict[str, frozenset[str]]:
    found: dict[str, set[str]] = {}
    for span in standin.spans():
        if span.trace_id in wanted:
            found.setdefault(span.trace_id, set()).add(span.span_id)
    return {trace: frozenset(spans) for trace, spans in found.items()}


def must_keep(sent) -> set[str]:
    return {t.trace_id for t in sent if t.cls in ("error", "slow")}


def send_batch(traffic: Traffic, start: int, seed: int, count_scale: int = 1):
    plan = mixed_plan({cls: n * count_scale for cls, n in MIX.items()}, seed)
    sent = traffic.send_mix(plan, start_index=start, per_second=RATE)
    assert traffic.flush(), "the SDK could not flush to the agent"
    return sent


def settled(read, sent, timeout_s: float = SETTLE_S) -> dict[str, frozenset[str]]:
    """What a backend holds of `sent` once every must-keep trace is whole there and nothing more
    arrives for a few seconds."""
    ids = {t.trace_id for t in sent}
    required = must_keep(sent)
    whole = {t.trace_id: t.span_ids for t in sent}
    last: dict = {}
    stable_since = [time.monotonic()]

    def done() -> bool:
        nonlocal last
        now = read(ids)
        if now != last:
            last, stable_since[0] = now, time.monotonic()
        complete = all(now.get(t) == whole[t] for t in required)
        return complete and time.monotonic() - stable_since[0] >= 4
    wait_until(done, timeout_s, 1.0)
    return last


# --------------------------------------------------------------------------- the test
@pytest.fixture(scope="module")
def figures(request):
    yield FIGURES
    print_figures(request, "backend migration (tests/e2e/test_migration_e2e.py)", FIGURES)


def test_migration_through_every_phase(tmp_path, figures):
    taken: set[int] = set()
    jaeger_ports = jaeger_toolchain.JaegerPorts(*(free_port(taken) for _ in range(5)))
    standin_port = free_port(taken)
    base = free_base(taken)
    blueprint = tmp_path / "migration.yaml"
    text = BLUEPRINT.read_text(encoding="utf-8")
    for old, new in (("127.0.0.1:4317", f"127.0.0.1:{jaeger_ports.otlp_grpc}"),
                     ("127.0.0.1:4417", f"127.0.0.1:{standin_port}"), ("base_port: 24317", f"base_port: {base}")):
        assert old in text
        text = text.replace(old, new)
    blueprint.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    ok(tracegen("build", str(blueprint), "-o", str(out)))
    ok(tracegen("validate", str(out)))
    binary = build_distribution(out / ENV / "collector" / "otelcol-builder.yaml")   # the generated manifest
    jaeger = Jaeger(jaeger_toolchain.ensure_jaeger(), jaeger_ports, tmp_path / "jaeger")
    standin = OtlpReceiver("honeycomb-standin", standin_port, required_headers={"x-honeycomb-team": KEY})
    estate = Estate(out, binary, tmp_path)
    jaeger.start()
    standin.start()
    traffic = None
    try:
        estate.start()
        traffic = Traffic(estate.agent_endpoint)
        index = 0

        def batch(seed: int):
            nonlocal index
            since = time.time()
            sent = send_batch(traffic, index, seed)
            index += len(sent)
            return since, sent

        def both(since, sent):
            return (settled(lambda ids: kept_in_jaeger(jaeger, since, ids), sent),
                    settled(lambda ids: kept_in_standin(standin, ids), sent))

        # ---- planned: the old backend only
        since, sent = batch(1)
        in_jaeger = settled(lambda ids: kept_in_jaeger(jaeger, since, ids), sent)
        assert must_keep(sent) <= set(in_jaeger), "planned: Jaeger misses kept traces\n" + estate.logs()
        assert standin.span_count() == 0, "planned: the new backend received spans"
        FIGURES.append(f"planned: Jaeger {len(in_jaeger)} of {len(sent)} traces, stand-in 0 spans")

        # ---- dual-write: both get every kept span
        ok(tracegen("migrate", "advance", str(blueprint), "-o", str(out)))
        ok(tracegen("validate", str(out)))
        gateway = yaml.safe_load((out / ENV / "collector" / "gateway-0.yaml").read_text(encoding="utf-8"))
        storages = {name: body["sending_queue"]["storage"] for name, body in gateway["exporters"].items()}
        assert len(set(storages.values())) == 2, f"dual-write: exporters share a queue storage: {storages}"
        estate.restart()
        since, sent = batch(2)
        in_jaeger, in_standin = both(since, sent)
        assert must_keep(sent) <= set(in_jaeger)
        assert in_jaeger == in_standin, (f"dual-write: Jaeger {len(in_jaeger)} traces, stand-in {len(in_standin)}; "
                                         f"only in Jaeger {sorted(set(in_jaeger) - set(in_standin))[:5]}, only in "
                                         f"stand-in {sorted(set(in_standin) - set(in_jaeger))[:5]}")
        FIGURES.append(f"dual-write: {len(in_jaeger)} of {len(sent)} traces kept, identical trace and span IDs "
                       f"in Jaeger and the stand-in ({sum(map(len, in_jaeger.values()))} spans)")

        # ---- dual-write, the new backend down for 30 s under traffic
        standin.stop()
        down_at = time.monotonic()
        since = time.time()
        outage_sent: list = []
        outage_plan = mixed_plan({c: n * 3 for c, n in MIX.items()}, 3)

        def send_during_outage() -> None:          # paced over the outage, each trace recorded as sent
            for offset, cls in enumerate(outage_plan):
                pause = down_at + offset * OUTAGE_S / len(outage_plan) - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                outage_sent.append(traffic.send(cls, index + offset))
        sender = threading.Thread(target=send_during_outage)
        sender.start()
        seen_at: dict[str, float] = {}
        while time.monotonic() - down_at < OUTAGE_S:
            for trace in kept_in_jaeger(jaeger, since, {t.trace_id for t in list(outage_sent)}):
                seen_at.setdefault(trace, time.monotonic())
            time.sleep(1.0)
        sender.join(timeout=60)
        assert traffic.flush()
        index += len(outage_sent)
        standin.start()
        up_at = time.monotonic()
        sent_at = {t.trace_id: t.sent_at for t in outage_sent}
        early = [t for t in outage_sent if t.sent_at - down_at < OUTAGE_S - 12 and t.cls in ("error", "slow")]
        lags = sorted(seen_at[t.trace_id] - sent_at[t.trace_id] for t in early if t.trace_id in seen_at)
        missing_during = [t.trace_id for t in early if t.trace_id not in seen_at]
        assert not missing_during, f"outage: Jaeger had not received {len(missing_during)} kept traces sent " \
                                   f"during the outage before it ended\n" + estate.logs()
        # Kept traces reach a backend after decision_wait (2 s) plus batching; "without delay" is that.
        assert lags and lags[-1] < 8.0, f"outage: Jaeger received with lags up to {lags[-1]:.1f}s"
        in_jaeger = settled(lambda ids: kept_in_jaeger(jaeger, since, ids), outage_sent)
        # The stand-in's backlog drains on the exporter's retry schedule (max_interval 10 s between
        # tries), so a few quiet seconds there do not mean it is done: wait for everything Jaeger kept.
        outage_ids = {t.trace_id for t in outage_sent}
        wait_until(lambda: all(kept_in_standin(standin, outage_ids).get(t) == spans for t, spans in in_jaeger.items()),
                   RECOVERY_S, 1.0)
        in_standin = settled(lambda ids: kept_in_standin(standin, ids), outage_sent)
        caught_up = time.monotonic() - up_at
        assert must_keep(outage_sent) <= set(in_jaeger)
        assert in_jaeger == in_standin, (f"after the outage: Jaeger {len(in_jaeger)} traces, stand-in "
                                         f"{len(in_standin)}: {len(set(in_jaeger) - set(in_standin))} lost")
        FIGURES.append(f"outage {OUTAGE_S:.0f}s of the stand-in under {len(outage_sent)} traces: Jaeger lag "
                       f"median {lags[len(lags) // 2]:.1f}s max {lags[-1]:.1f}s; stand-in caught up "
                       f"{len(in_standin)} traces within {caught_up:.0f}s of recovery (an upper bound: it includes the "
                       f"4 s quiet checks), 0 lost")

        # ---- verify: the gateways' counters agree; with a rejected key they do not
        ok(tracegen("migrate", "advance", str(blueprint), "-o", str(out)))
        ok(tracegen("validate", str(out)))
        verdict = verify_under_traffic(blueprint, estate, traffic, index, 4)
        index += verdict.pop("sent")
        assert verdict["code"] == 0, f"verify failed on a healthy dual-write:\n{verdict}"
        FIGURES.append(f"verify (healthy): go, new vs old {verdict['doc']['difference']:+.2%}, sent "
                       f"{verdict['doc']['exporters']['old']['otelcol_exporter_sent_spans']:.0f} / "
                       f"{verdict['doc']['exporters']['new']['otelcol_exporter_sent_spans']:.0f}")
        estate.restart(api_key="not-the-key")                 # the stand-in rejects the header
        broken = verify_under_traffic(blueprint, estate, traffic, index, 5)
        index += broken.pop("sent")
        assert broken["code"] == 1, f"verify passed with the new exporter rejected:\n{broken}"
        assert broken["doc"]["exporters"]["new"]["otelcol_exporter_send_failed_spans"] > 0
        FIGURES.append(f"verify (stand-in rejects the key): no-go, {broken['doc']['reasons']}")
        estate.restart()

        # ---- cutover: the new backend only
        ok(tracegen("migrate", "advance", str(blueprint), "-o", str(out)))
        ok(tracegen("validate", str(out)))
        estate.restart()
        since, sent = batch(6)
        in_standin = settled(lambda ids: kept_in_standin(standin, ids), sent)
        assert must_keep(sent) <= set(in_standin)
        time.sleep(3)
        assert not kept_in_jaeger(jaeger, since, {t.trace_id for t in sent}), "cutover: Jaeger still receives"
        FIGURES.append(f"cutover: stand-in {len(in_standin)} traces, Jaeger 0")

        # ---- rollback: the old backend receives again
        ok(tracegen("migrate", "rollback", str(blueprint), "-o", str(out)))
        assert "phase: verify" in blueprint.read_text(encoding="utf-8")
        ok(tracegen("validate", str(out)))
        estate.restart()
        since, sent = batch(7)
        in_jaeger, in_standin = both(since, sent)
        assert must_keep(sent) <= set(in_jaeger), "rollback: Jaeger does not receive again"
        assert in_jaeger == in_standin
        FIGURES.append(f"rollback to verify: Jaeger {len(in_jaeger)} traces again, stand-in the same")
    finally:
        if traffic is not None:
            traffic.shutdown()
        estate.stop()
        standin.stop()
        jaeger.stop()


def verify_under_traffic(blueprint: Path, estate: Estate, traffic: Traffic, start: int, seed: int) -> dict:
    """`tracegen migrate verify` against the gateways while traffic flows (its window is the
    blueprint's verify.window); returns its exit code, its JSON and how many traces were sent."""
    args = ["migrate", "verify", str(blueprint), "--format", "json"]
    for url in estate.gateway_metrics:
        args += ["--metrics", url]
    result: dict = {}
    runner = threading.Thread(target=lambda: result.update(run=tracegen(*args, timeout=120)))
    warmup = traffic.send_mix(mixed_plan(MIX, seed), start_index=start, per_second=RATE)   # 4 s of traffic first
    runner.start()
    sent = list(warmup)
    while runner.is_alive():
        sent += traffic.send_mix(mixed_plan({c: max(1, n // 4) for c, n in MIX.items()}, seed + len(sent)),
                                 start_index=start + len(sent), per_second=RATE)
    traffic.flush()
    run = result["run"]
    try:
        doc = json.loads(run.stdout)
    except ValueError:
        doc = {"stdout": run.stdout, "stderr": run.stderr}
    return {"code": run.returncode, "doc": doc, "sent": len(sent), "stderr": run.stderr[-2000:]}
