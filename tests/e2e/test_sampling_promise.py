"""The sampling promise, proven with the generated settings against a real Jaeger.

tests/e2e/blueprints/sampling-promise.yaml (platform `local`, three services in two languages) gets
the `sampling:` section of blueprints/checkout.yaml exactly as that file has it, read at test time:
no head-rate override, no suppression. It is built with the real CLI; the services run beside their
generated tracing files with their generated otel.env:

    driver --HTTP--> edge (Node) --> orders (Python) --> stock (Node)
        --OTLP--> agent --trace ID--> gateway-0 | gateway-1 --OTLP--> Jaeger (v2, in memory)

The driver sends 2,000 root requests at a fixed rate, 10 % failing and 5 % slower than the latency
policy's threshold. Read back from Jaeger's query API: error and slow traces kept >= 99 % and
whole, healthy traces within 4 sigma of the share `tracegen plan` predicts, exported spans/s within
15 % of its prediction at the driven rate. Then the gateways switch to the `incident` mode at
runtime, exactly as the generated runbook says (active-mode.yaml relinked, SIGHUP: see
harness/live_modes.py) while the services keep running with the same PIDs, and healthy traffic is
kept at ~100 % once the reload is done; then back to `baseline`, and the plan's share again.

Needs node/npm and Go (for the collector and Jaeger, built once into ~/.cache/tracegen). Figures
are printed at the end of the module, also under -q.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.e2e.crossapp.stack import start_all
from tests.e2e.harness import live_modes, pipeline
from tests.e2e.harness.analysis import binomial_bounds
from tests.e2e.harness.jaeger import Jaeger, JaegerTrace
from tests.e2e.harness.processes import wait_until
from tests.e2e.harness.report import print_figures
from tests.e2e.sampling_apps import system as apps
from tests.e2e.sdk_apps.support import clean_env, free_ports
from tracegen.toolchain import jaeger as jaeger_toolchain

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
BLUEPRINT = HERE / "blueprints" / "sampling-promise.yaml"
CHECKOUT = REPO / "blueprints" / "checkout.yaml"
ENV = "e2e"
INCIDENT = "incident"
RATE = 25.0                                          # root requests per second
MAIN_MIX = {"ok": 1700, "fail": 200, "slow": 100}    # 2,000: 10 % errors, 5 % slow
INCIDENT_MIX = {"ok": 340, "fail": 40, "slow": 20}   # after the switch
APP_PORTS = {"edge": 25501, "orders": 25502, "stock": 25503}
MUST_KEEP = ("fail", "slow")
KEPT_AT_LEAST = 0.99
SPAN_RATE_TOLERANCE = 0.15
RELOAD_BUDGET_S = 10.0                               # SIGHUP to every gateway running the new mode
SETTLE_TIMEOUT_S = 120.0

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.skipif(not all(shutil.which(t) for t in ("node", "npm", "go")), reason="needs node, npm and go"),
]


# --------------------------------------------------------------------------- the blueprint and its plan
def composed_blueprint(folder: Path, traffic: dict[str, int] | None = None) -> Path:
    """The test blueprint with checkout's sampling section, verbatim. With `traffic`, the section's
    `assumptions` (the traffic figures `tracegen plan` predicts with, no setting of any generated
    file: test_generated_settings_are_checkouts proves it) describe the driven mix instead."""
    data = yaml.safe_load(BLUEPRINT.read_text(encoding="utf-8"))
    assert "sampling" not in data, "the test blueprint must take its sampling section from checkout.yaml"
    data["sampling"] = yaml.safe_load(CHECKOUT.read_text(encoding="utf-8"))["sampling"]
    if traffic:
        total = sum(traffic.values())
        # The driven requests carry none of the attributes the other tail policies match.
        others = {p["name"] for p in all_policies(data["sampling"])
                  if p["type"] not in ("errors", "latency", "probabilistic", "rate_limit")}
        assumptions = data["sampling"].setdefault("assumptions", {})
        assumptions.update(error_rate=traffic["fail"] / total, slow_rate=traffic["slow"] / total)
        assumptions["policy_rates"] = {**assumptions.get("policy_rates", {}), **{name: 0.0 for name in others}}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / BLUEPRINT.name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def all_policies(section: dict) -> list[dict]:
    tail = section.get("tail") or {}
    return [*(tail.get("policies") or []),
            *(p for mode in (section.get("modes") or {}).values() for p in mode.get("add_policies") or [])]


def generated_settings(out: Path) -> dict[str, str]:
    """What the running system reads: every collector config and every otel.env, less the header
    line naming the blueprint file."""
    files = [*(out / ENV / "collector").rglob("*.yaml"), *(out / ENV / "sdk").glob("*/otel.env")]
    return {str(f.relative_to(out)): "".join(f.read_text(encoding="utf-8").splitlines(True)[1:]) for f in files}


def tracegen_plan(blueprint: Path, rps: float, mode: str | None = None) -> dict:
    """`tracegen plan BLUEPRINT --env e2e --format json --rps RPS [--mode M]`, parsed."""
    args = [sys.executable, "-m", "tracegen", "plan", str(blueprint), "--env", ENV, "--format", "json",
            "--rps", f"{rps:.3f}"] + (["--mode", mode] if mode else [])
    env = clean_env(PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    result = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"{' '.join(args[2:])} failed ({result.returncode}):\n{result.stdout}{result.stderr}"
    return json.loads(result.stdout)["environments"][ENV]


@dataclass(frozen=True)
class Prediction:
    errors: float
    slow: float
    healthy: float
    exported_spans_per_sec: float


def predict(plan_env: dict, mode: str | None = None) -> Prediction:
    section = plan_env["modes"][mode] if mode else plan_env
    retention, volumes = section["retention"], section["volumes"]
    return Prediction(float(retention["errors"]), float(retention["slow"]), float(retention["healthy"]),
                      float(volumes["exported_spans_per_sec"]))


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def figures(request):
    lines: list[str] = []
    yield lines
    print_figures(request, "sampling promise figures", lines)


@pytest.fixture(scope="module")
def blueprint(tmp_path_factory) -> Path:
    """What the system is built from: checkout's sampling section, verbatim."""
    return composed_blueprint(tmp_path_factory.mktemp("sampling-promise"))


@pytest.fixture(scope="module")
def planned(tmp_path_factory) -> Path:
    """What the predictions come from: the same, with the driven traffic mix as its assumptions."""
    return composed_blueprint(tmp_path_factory.mktemp("sampling-promise-plan"), MAIN_MIX)


def _build(blueprint: Path, out: Path) -> Path:
    result = pipeline.build(blueprint, out)
    assert result.returncode == 0, f"tracegen build failed:\n{result.stdout}\n{result.stderr}"
    return out


@pytest.fixture(scope="module")
def built(blueprint, tmp_path_factory) -> Path:
    return _build(blueprint, tmp_path_factory.mktemp("sampling-promise-build") / "out")


def test_generated_settings_are_checkouts(built, planned, tmp_path_factory):
    """The traffic assumptions change predictions only: every collector config and otel.env is the
    same with checkout's own assumptions and with the driven mix's."""
    other = _build(planned, tmp_path_factory.mktemp("sampling-promise-build-planned") / "out")
    assert generated_settings(built) == generated_settings(other)
    assert any(name.endswith("otel.env") for name in generated_settings(built))


@dataclass
class System:
    jaeger: Jaeger
    collectors: live_modes.LiveCollectors
    services: dict[str, object]

    def app_pids(self) -> dict[str, int]:
        return {name: s.process.pid for name, s in self.services.items()}

    def apps_running(self) -> bool:
        return all(s.running() for s in self.services.values())

    def diagnostics(self) -> str:
        parts = [self.collectors.diagnostics(15), self.jaeger.log_tail(15)]
        parts += [f"--- {s.name} ---\n{s.output(1500)}" for s in self.services.values()]
        return "\n".join(parts)


@pytest.fixture(scope="module")
def system(blueprint, built, tmp_path_factory, figures):
    started = time.monotonic()
    sdk = built / "sdk"          # the code, the same for every environment; built / ENV / "sdk": its otel.env
    with ThreadPoolExecutor(max_workers=4) as pool:
        jobs = {"jaeger": pool.submit(jaeger_toolchain.ensure_jaeger),
                "collector": pool.submit(pipeline.collector_binary, blueprint),
                "node": pool.submit(apps.node_modules, sdk), "python": pool.submit(apps.python_venv, sdk)}
        tools = {name: job.result() for name, job in jobs.items()}
    figures.append(f"tools ready in {time.monotonic() - started:.0f}s (cached after the first run): "
                   f"Jaeger {jaeger_toolchain.release_name()} at {tools['jaeger']}")
    work = tmp_path_factory.mktemp("sampling-promise-run")
    backend = yaml.safe_load(blueprint.read_text(encoding="utf-8"))["backends"]["jaeger"]["endpoint"]
    query_http, query_grpc, otlp_http, health = free_ports(4)
    ports = jaeger_toolchain.JaegerPorts(otlp_grpc=int(backend.rsplit(":", 1)[1]), otlp_http=otlp_http,
                                         query_http=query_http, query_grpc=query_grpc, health=health)
    jaeger = Jaeger(tools["jaeger"], ports, work / "jaeger")
    collectors = None
    services = []
    try:
        jaeger.start()
        collectors = live_modes.start(built / ENV / "collector", built / ENV / "runbook" / "sampling-modes.md",
                                      tools["collector"], work / "collectors")
        services = apps.services(sdk, built / ENV / "sdk", work / "services", APP_PORTS, tools["node"],
                                 tools["python"])
        start_all(services)
        result = System(jaeger, collectors, {s.name: s for s in services})
        warm = [apps.Request(-i - 1, "ok") for i in range(5)]   # first-request costs; not measured
        apps.drive(APP_PORTS["edge"], warm, per_second=5)
        assert all(r.status == 200 for r in warm), result.diagnostics()
        figures.append(f"system up in {time.monotonic() - started:.0f}s")
        yield result
    finally:
        for service in reversed(services):
            service.stop()
        if collectors is not None:
            collectors.stop()
        jaeger.stop()


# --------------------------------------------------------------------------- runs
@dataclass
class Run:
    name: str
    requests: list[apps.Request]
    traces: dict[str, JaegerTrace]           # trace id -> what Jaeger holds for it
    send_s: float
    settle_s: float | None
    expected_spans: int

    def of(self, cls: str) -> list[apps.Request]:
        return [r for r in self.requests if r.cls == cls]

    def kept(self, cls: str) -> list[apps.Request]:
        return [r for r in self.of(cls) if r.trace_id in self.traces]

    def share(self, cls: str) -> float:
        return len(self.kept(cls)) / len(self.of(cls))

    def incomplete(self, cls: str) -> list[str]:
        return [r.trace_id for r in self.kept(cls) if not whole(self.traces[r.trace_id], self.expected_spans)]

    @property
    def rate(self) -> float:
        return len(self.requests) / self.send_s

    @property
    def exported_spans_per_sec(self) -> float:
        return sum(len(t.spans) for t in self.traces.values()) / self.send_s


def whole(trace: JaegerTrace, expected_spans: int) -> bool:
    """Every span of the request: one root at the edge, each parent present, all three services,
    as many spans as the services record per request."""
    return (len(trace.roots) == 1 and trace.roots[0].service == "edge" and not trace.orphans
            and trace.services == set(APP_PORTS) and len(trace.spans) == expected_spans)


def mixed(counts: dict[str, int], start: int, seed: int) -> list[apps.Request]:
    import random

    classes = [cls for cls, n in counts.items() for _ in range(n)]
    random.Random(seed).shuffle(classes)
    return [apps.Request(start + i, cls) for i, cls in enumerate(classes)]


def expected_spans(blueprint: Path) -> int:
    services = yaml.safe_load(blueprint.read_text(encoding="utf-8"))["services"]
    return sum(int(s["spans_per_request"]) for s in services.values())


def collect(system: System, name: str, requests: list[apps.Request], blueprint: Path) -> Run:
    since = time.time() - 5
    send_s = apps.drive(APP_PORTS["edge"], requests, RATE)
    answered = [r for r in requests if r.status in (200, 502) and r.trace_id]
    assert len(answered) == len(requests), (
        [(r.id, r.cls, r.status, r.error) for r in requests if r not in answered][:10], system.diagnostics())
    unexpected = [(r.id, r.cls, r.status, r.error) for r in requests if (r.status == 502) != (r.cls == "fail")]
    assert not unexpected, (unexpected[:10], system.diagnostics())
    ids = {r.trace_id for r in requests}
    spans = expected_spans(blueprint)
    must = [r for r in requests if r.cls in MUST_KEEP]
    quiet_s = system.collectors.decision_wait_s + 3
    state = {"count": -1, "since": time.monotonic(), "traces": {}}

    def settled() -> bool:
        traces = {t.trace_id: t for t in system.jaeger.traces("edge", since) if t.trace_id in ids}
        count = sum(len(t.spans) for t in traces.values())
        state["traces"] = traces
        if count != state["count"]:
            state.update(count=count, since=time.monotonic())
            return False
        quiet = time.monotonic() - state["since"] >= quiet_s
        return quiet and all(r.trace_id in traces and whole(traces[r.trace_id], spans) for r in must)

    started = time.monotonic()
    ok = wait_until(settled, SETTLE_TIMEOUT_S, 2.0)
    return Run(name, requests, dict(state["traces"]), send_s, time.monotonic() - started if ok else None, spans)


def figures_of(run: Run, prediction: Prediction) -> list[str]:
    lines = [f"{run.name}: {len(run.requests)} requests at {run.rate:.1f}/s in {run.send_s:.0f}s, settled "
             f"{'never' if run.settle_s is None else f'after {run.settle_s:.0f}s'}"]
    for cls, predicted in (("fail", prediction.errors), ("slow", prediction.slow), ("ok", prediction.healthy)):
        sent, kept = len(run.of(cls)), len(run.kept(cls))
        lines.append(f"  {cls:<4} sent {sent:4d}  kept {kept:4d} ({kept / sent:6.1%})  plan {predicted:6.1%}  "
                     f"incomplete {len(run.incomplete(cls))}")
    lines.append(f"  exported spans/s {run.exported_spans_per_sec:.1f}, plan {prediction.exported_spans_per_sec:.1f} "
                 f"at {run.rate:.1f} requests/s")
    return lines


@pytest.fixture(scope="module")
def main_run(system, blueprint, planned, figures) -> tuple[Run, Prediction]:
    run = collect(system, "generated settings", mixed(MAIN_MIX, 0, seed=20261128), blueprint)
    prediction = predict(tracegen_plan(planned, run.rate))
    figures.extend(figures_of(run, prediction))
    return run, prediction


@dataclass
class Switch:
    run: Run
    prediction: Prediction
    reload_s: float
    app_pids: tuple[dict[str, int], dict[str, int]]
    gateway_pids: tuple[dict[str, int], dict[str, int]]
    apps_running: bool


def switch_and_run(system: System, mode: str, plan_mode: str | None, counts: dict[str, int], start: int,
                   seed: int, blueprint: Path, planned: Path, figures: list[str]) -> Switch:
    """Switch the gateways to `mode` at runtime, then drive `counts` and read what Jaeger kept."""
    apps_before, gateways_before = system.app_pids(), system.collectors.pids()
    started = time.monotonic()
    system.collectors.switch(mode)
    reload_s = time.monotonic() - started
    run = collect(system, f"after switching to {mode} at runtime", mixed(counts, start, seed), blueprint)
    prediction = predict(tracegen_plan(planned, run.rate, plan_mode), plan_mode)
    figures.append(f"switch to {mode}: every gateway reloaded {reload_s:.1f}s after the SIGHUP")
    figures.extend(figures_of(run, prediction))
    return Switch(run, prediction, reload_s, (apps_before, system.app_pids()),
                  (gateways_before, system.collectors.pids()), system.apps_running())


@pytest.fixture(scope="module")
def incident(system, main_run, blueprint, planned, figures) -> Switch:
    assert INCIDENT in system.collectors.modes, f"checkout.yaml has no {INCIDENT} mode: {system.collectors.modes}"
    return switch_and_run(system, INCIDENT, INCIDENT, INCIDENT_MIX, sum(MAIN_MIX.values()), 4711,
                          blueprint, planned, figures)


@pytest.fixture(scope="module")
def back(system, incident, blueprint, planned, figures) -> Switch:
    """And back to the blueprint's own policies (`modes/baseline.yaml`), still live."""
    return switch_and_run(system, live_modes.BASELINE, None, INCIDENT_MIX,
                          sum(MAIN_MIX.values()) + sum(INCIDENT_MIX.values()), 815, blueprint, planned, figures)


# --------------------------------------------------------------------------- the promise
@pytest.mark.parametrize("cls", MUST_KEEP)
def test_must_keep_traces_are_kept_whole(main_run, cls):
    run, _ = main_run
    assert run.settle_s is not None, "Jaeger never held every error and slow trace whole"
    assert run.share(cls) >= KEPT_AT_LEAST, (
        f"{cls}: kept {len(run.kept(cls))} of {len(run.of(cls))} traces ({run.share(cls):.1%}); "
        f"head-sampled at the edge: {sum(not r.sampled for r in run.of(cls))}")
    assert run.incomplete(cls) == [], f"{cls}: traces kept without every span: {run.incomplete(cls)[:5]}"


def test_healthy_share_is_what_the_plan_predicts(main_run):
    run, prediction = main_run
    n, kept = len(run.of("ok")), len(run.kept("ok"))
    low, high = binomial_bounds(n, prediction.healthy)
    assert low <= kept <= high, (f"kept {kept} of {n} healthy traces; `tracegen plan` predicts "
                                 f"{prediction.healthy:.1%}, so {low}..{high} (4 sigma)")


def test_exported_span_rate_is_what_the_plan_predicts(main_run):
    run, prediction = main_run
    measured, predicted = run.exported_spans_per_sec, prediction.exported_spans_per_sec
    assert abs(measured - predicted) <= SPAN_RATE_TOLERANCE * predicted, (
        f"Jaeger received {measured:.1f} spans/s at {run.rate:.1f} requests/s; "
        f"`tracegen plan --rps {run.rate:.1f}` predicts {predicted:.1f} (+-{SPAN_RATE_TOLERANCE:.0%})")


def test_incident_mode_switches_live_without_touching_the_apps(incident):
    assert incident.apps_running, "a service stopped during the switch"
    assert incident.app_pids[0] == incident.app_pids[1], "the services were restarted"
    assert incident.gateway_pids[0] == incident.gateway_pids[1], "the gateways were restarted, not reloaded"
    assert incident.reload_s <= RELOAD_BUDGET_S, f"the reload took {incident.reload_s:.1f}s"


def test_incident_mode_keeps_healthy_traffic(incident):
    run = incident.run
    assert run.settle_s is not None, "Jaeger never held every error and slow trace whole after the switch"
    assert incident.prediction.healthy >= KEPT_AT_LEAST, (
        f"`tracegen plan --mode {INCIDENT}` predicts only {incident.prediction.healthy:.1%} of healthy traces kept")
    for cls in ("ok", *MUST_KEEP):
        assert run.share(cls) >= KEPT_AT_LEAST, (
            f"{INCIDENT}: kept {len(run.kept(cls))} of {len(run.of(cls))} {cls} traces ({run.share(cls):.1%})")
        assert run.incomplete(cls) == [], f"{INCIDENT}: {cls} traces kept incomplete: {run.incomplete(cls)[:5]}"


def test_switching_back_restores_the_baseline_share(back):
    run = back.run
    assert back.apps_running and back.app_pids[0] == back.app_pids[1]
    assert back.gateway_pids[0] == back.gateway_pids[1]
    for cls in MUST_KEEP:
        assert run.share(cls) >= KEPT_AT_LEAST, f"kept {len(run.kept(cls))} of {len(run.of(cls))} {cls} traces"
    n, kept = len(run.of("ok")), len(run.kept("ok"))
    low, high = binomial_bounds(n, back.prediction.healthy)
    assert low <= kept <= high, (f"back in {live_modes.BASELINE}: kept {kept} of {n} healthy traces; "
                                 f"`tracegen plan` predicts {back.prediction.healthy:.1%}, so {low}..{high}")
