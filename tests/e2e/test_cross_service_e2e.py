"""One trace across five services in four languages, over HTTP and a real RabbitMQ broker.

tests/e2e/blueprints/crossservice.yaml (platform `local`) is built with the real CLI. Its
collector configs run as one agent and two gateways (trace-ID routing, tail sampling) on the real
collector, in front of a loopback OTLP receiver standing in for the backend. A real rabbitmq-server
runs on loopback, and the sample services (tests/e2e/crossapp) run beside their generated tracing
files with the generated otel.env, each using its language's real client library:

    edge (Node/Express) --HTTP--> orders (Java/Spring, Java agent) --RabbitMQ `orders`-->
    fulfillment (Go, amqp091-go) --HTTP--> inventory (Python/FastAPI, pika) --`stock-events`-->
    notifications (Node, amqplib);  fulfillment --`shipments`--> inventory

The driver sends requests to the edge, some slow, some failing downstream; the tests read what the
backend received and what crossed the broker (a tap queue beside every consumer's queue), and
measure propagation success (kept traces linking two or more services; the playbook wants > 99 %)
and coverage (requests recorded as a trace before sampling; head ratio 1.0 at the edge). The chaos
run strips the incoming traceparent at the edge for half of the requests: those must start new
roots that still cross every service, and their error traces must still be kept.

Needs node/npm, java/mvn, go and rabbitmq-server (scripts/install-test-services.sh installs it;
scripts/test.sh calls that). Figures are printed at the end of the module, also under -q.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.crossapp import stack
from tests.e2e.crossapp.traces import (
    BROKER_HOPS, KIND_CLIENT, KIND_CONSUMER, KIND_PRODUCER, KIND_SERVER, LANGUAGE, SERVICES, STATUS_ERROR,
    TOPICS, TRACEPARENT, OrphanView, Request, TraceView, by_trace, drive, plan, service,
)
from tests.e2e.harness import pipeline as pipeline_module
from tests.e2e.harness.processes import wait_until
from tests.e2e.harness.report import print_figures

HERE = Path(__file__).resolve().parent
BLUEPRINT = HERE / "blueprints" / "crossservice.yaml"
MAIN_MIX = {"ok": 40, "slow": 10, "fail": 10}
CHAOS_MIX = {"ok": 24, "slow": 6, "fail": 10}
ORPHAN_MIX = {"ok": 2, "fail": 4}
MUST_KEEP = ("fail", "slow")
SETTLE_TIMEOUT_S = 90.0
TOOLS = ("node", "npm", "java", "mvn", "go")
RABBITMQ = stack.rabbitmq_server()
# Where scripts/install-test-services.sh can install (CI, as root, with apt-get) a missing broker is
# a broken install step: fail there rather than skip, so a green CI cannot hide it.
BROKER_REQUIRED = bool(os.environ.get("CI")) and os.geteuid() == 0 and shutil.which("apt-get") is not None

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.skipif(not all(shutil.which(t) for t in TOOLS), reason=f"needs {', '.join(TOOLS)}"),
    pytest.mark.skipif(RABBITMQ is None and not BROKER_REQUIRED,
                       reason="needs rabbitmq-server: scripts/install-test-services.sh (run by scripts/test.sh) "
                              "installs it from Debian, and could not here (no apt-get, or not root)"),
]


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def figures(request):
    """Lines of measured figures, printed when the module finishes (pass or fail)."""
    lines: list[str] = []
    yield lines
    print_figures(request, "cross-service end-to-end figures", lines)


@pytest.fixture(scope="module")
def timings() -> dict[str, float]:
    return {"module start": time.monotonic()}


@pytest.fixture(scope="module")
def built(tmp_path_factory, timings) -> Path:
    started = time.monotonic()
    out = tmp_path_factory.mktemp("crossservice-build") / "out"
    result = pipeline_module.build(BLUEPRINT, out)
    assert result.returncode == 0, f"tracegen build failed:\n{result.stdout}\n{result.stderr}"
    timings["tracegen build"] = time.monotonic() - started
    return out


@pytest.fixture(scope="module")
def builds(built, timings) -> dict[str, Path]:
    """The four languages' builds (cached per content), made side by side."""
    started = time.monotonic()
    sdk = built / "sdk"          # the code, the same for every environment
    jobs = {"node": lambda: stack.node_modules(sdk, ("edge", "notifications")), "python": lambda: stack.python_venv(sdk),
            "java": lambda: stack.java_build(sdk), "go": lambda: stack.go_build(sdk)}
    each: dict[str, float] = {}

    def timed(name: str) -> Path:
        begun = time.monotonic()
        try:
            return jobs[name]()
        finally:
            each[name] = time.monotonic() - begun

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = {name: pool.submit(timed, name) for name in jobs}
        out = {name: future.result() for name, future in futures.items()}
    # Each build's own time (they overlap on the machine's cores): where a cold run's minutes go.
    timings["builds (cached after the first run)"] = time.monotonic() - started
    timings.update({f"{name} build": seconds for name, seconds in sorted(each.items())})
    return out


@dataclass
class System:
    pipeline: pipeline_module.Pipeline
    broker: stack.Broker
    services: dict[str, stack.Service]
    python: Path

    @property
    def receiver(self):
        return self.pipeline.receivers["backend"]

    def traces_seen_by_gateways(self) -> float:
        """Traces the gateways' tail samplers started tracking (before any sampling decision)."""
        return sum(g.metric("otelcol_processor_tail_sampling_new_trace_id_received") for g in self.pipeline.gateways)

    def diagnostics(self) -> str:
        parts = [self.pipeline.diagnostics(15), f"--- rabbitmq ---\n{self.broker.tail(15)}"]
        parts += [f"--- {s.name} ---\n{s.output(1500)}" for s in self.services.values()]
        return "\n".join(parts)


@pytest.fixture(scope="module")
def system(built, builds, tmp_path_factory, timings):
    assert RABBITMQ is not None, ("rabbitmq-server is missing although apt-get is available as root: "
                                  "scripts/install-test-services.sh did not install it")
    started = time.monotonic()
    work = tmp_path_factory.mktemp("crossservice-run")
    binary = pipeline_module.collector_binary(BLUEPRINT)
    running = pipeline_module.start(BLUEPRINT, built, binary, work / "collectors", {})
    broker = stack.Broker(work / "broker", RABBITMQ)
    (work / "broker").mkdir()
    processes: list[stack.Service] = []
    try:
        broker.start()
        # Retried: the AMQP listener opens a moment before the node accepts logins.
        assert wait_until(lambda: _try_tap(builds["python"], broker.url), 30, 1.0), broker.tail()
        processes = stack.services(built / "sdk", built / "e2e" / "sdk", work / "services", broker.url, builds)
        stack.start_all(processes)
        timings["start: collectors, broker, services"] = time.monotonic() - started
        result = System(running, broker, {s.name: s for s in processes}, builds["python"])
        _warm_up(result)
        yield result
    finally:
        for process in reversed(processes):
            process.stop()
        broker.stop()
        running.stop()


def _try_tap(python: Path, url: str) -> bool:
    try:
        return bool(stack.tap(python, "setup", url))
    except AssertionError:
        return False


def _warm_up(system: System) -> None:
    """A few requests through the whole chain first, so the JVM's and the runtimes' first-request
    costs do not count as latency; their traces belong to no measured run."""
    warm = [Request(f"warm-{i}", "ok") for i in range(3)]
    drive(system.services["edge"].port, warm)
    assert all(r.status == 200 for r in warm), system.diagnostics()


@dataclass
class Run:
    name: str
    requests: list[Request]
    traces: dict[str, TraceView]              # kept traces holding any of the run's request ids
    messages: list[dict]                      # what crossed the broker (tap queues), this run's
    gateway_traces: float                     # traces the gateways saw in the run (pre-sampling)
    settle_s: float | None
    send_s: float

    def view(self, request: Request) -> TraceView | None:
        return self.traces.get(request.trace_id or "")


def _run(system: System, name: str, requests: list[Request], figures: list[str]) -> Run:
    # Nothing of the warm-up may still be on its way when the pre-sampling count is taken.
    _wait_quiet(system, system.pipeline.decision_wait_s + 2, 30)
    before = system.traces_seen_by_gateways()
    started = time.monotonic()
    drive(system.services["edge"].port, requests)
    send_s = time.monotonic() - started
    assert all(r.status == 200 for r in requests), (
        [(r.id, r.status) for r in requests if r.status != 200], system.diagnostics())
    settle_s = _settle(system, requests)
    spans = system.receiver.spans()
    ids = {r.id for r in requests}
    grouped = by_trace(spans)
    traces = {tid: TraceView(group) for tid, group in grouped.items()
              if any(s.attributes.get("test.request_id") in ids for s in group)
              or tid in {r.trace_id for r in requests}}
    messages = [m for m in stack.tap(system.python, "drain", system.broker.url)
                if json.loads(m["body"]).get("id") in ids]
    run = Run(name, requests, traces, messages, system.traces_seen_by_gateways() - before, settle_s, send_s)
    figures.extend(_figures(run))
    return run


def _wait_quiet(system: System, quiet_s: float, timeout_s: float) -> None:
    last = {"count": -1, "since": time.monotonic()}

    def quiet() -> bool:
        count = system.receiver.span_count()
        if count != last["count"]:
            last.update(count=count, since=time.monotonic())
        return time.monotonic() - last["since"] >= quiet_s

    wait_until(quiet, timeout_s, 0.5)


def _settle(system: System, requests: list[Request], whole=None) -> float | None:
    """Wait until every must-keep request's trace is whole at the backend and nothing has arrived
    for a decision window; the seconds it took, or None on time-out. `whole(grouped, request)`
    says whether a request's trace is complete (default: found by its trace id, no hop broken)."""
    must = [r for r in requests if r.mode in MUST_KEEP]
    whole = whole or (lambda grouped, r: not TraceView(grouped.get(r.trace_id, [])).broken_hops(r.mode))
    started = time.monotonic()
    quiet_s = system.pipeline.decision_wait_s + 2
    last = {"count": -1, "since": time.monotonic()}

    def settled() -> bool:
        count = system.receiver.span_count()
        if count != last["count"]:
            last.update(count=count, since=time.monotonic())
        if time.monotonic() - last["since"] < quiet_s:
            return False
        grouped = by_trace(system.receiver.spans())
        return all(whole(grouped, r) for r in must)

    ok = wait_until(settled, SETTLE_TIMEOUT_S, 0.5)
    return time.monotonic() - started if ok else None


def propagation_success(run: Run) -> tuple[int, int]:
    """(kept traces linking two or more services, kept traces) among the run's traces."""
    linked = sum(1 for view in run.traces.values() if len(view.services) >= 2)
    return linked, len(run.traces)


def _figures(run: Run, coverage: bool = True) -> list[str]:
    n = len(run.requests)
    linked, kept = propagation_success(run)
    recorded = sum(r.sampled and r.trace_id is not None for r in run.requests)
    lines = [f"{run.name}: {n} requests sent in {run.send_s:.1f}s, settled after "
             f"{'timeout' if run.settle_s is None else f'{run.settle_s:.1f}s'}"]
    if coverage:
        lines.append(f"  coverage: {recorded}/{n} = {recorded / n:.1%} of requests recorded as a trace at the edge "
                     f"(head ratio 1.0); the gateways started tracking {run.gateway_traces:g} traces for them "
                     "before sampling")
    else:
        lines.append(f"  the gateways started tracking {run.gateway_traces:g} traces for {n} messages before sampling")
    lines.append(f"  propagation success: {linked}/{kept} = {linked / kept if kept else 0:.1%} of kept traces "
                 "link two or more services")
    for mode in MAIN_MIX:
        of_mode = [r for r in run.requests if r.mode == mode]
        held = [r for r in of_mode if run.view(r)]
        lines.append(f"  {mode:<5} sent {len(of_mode):3d}  kept {len(held):3d}")
    sizes = sorted({len(v.services) for v in run.traces.values()})
    languages = sorted({len(v.languages) for v in run.traces.values()})
    spans = sum(len(v.spans) for v in run.traces.values())
    lines.append(f"  kept traces: {kept}, {spans} spans; services per trace {sizes}, languages per trace {languages}")
    per_topic = defaultdict(int)
    for message in run.messages:
        per_topic[message["queue"]] += 1
    lines.append("  messages tapped on the broker: " + ", ".join(f"{t} {per_topic[t]}" for t, _, _ in BROKER_HOPS))
    return lines


@pytest.fixture(scope="module")
def main_run(system, figures) -> Run:
    return _run(system, "main run", plan("main", MAIN_MIX, seed=20261125), figures)


@pytest.fixture(scope="module")
def chaos_run(system, main_run, figures) -> Run:
    return _run(system, "chaos run (traceparent stripped at the edge for half)",
                plan("chaos", CHAOS_MIX, seed=4242, chaos=True), figures)


@pytest.fixture(scope="module")
def orphan_run(system, chaos_run, figures) -> Run:
    """Messages published to `orders` with no headers at all, as by a producer without tracing: the
    Go consumer must start a new root, and the rest of the chain must join it."""
    _wait_quiet(system, system.pipeline.decision_wait_s + 2, 30)
    before = system.traces_seen_by_gateways()
    requests = plan("orphan", ORPHAN_MIX, seed=77)
    started = time.monotonic()
    stack.tap(system.python, "publish", system.broker.url, "orders",
              *(json.dumps({"id": r.id, "mode": r.mode}) for r in requests))
    send_s = time.monotonic() - started

    def carrying(grouped, request) -> list[str]:
        return [tid for tid, spans in grouped.items()
                if any(s.attributes.get("test.request_id") == request.id for s in spans)]

    def whole(grouped, request) -> bool:
        found = carrying(grouped, request)
        return len(found) == 1 and not OrphanView(grouped[found[0]]).broken_hops(request.mode)

    settle_s = _settle(system, requests, whole)
    grouped = by_trace(system.receiver.spans())
    traces = {}
    for request in requests:
        found = carrying(grouped, request)
        if found:
            request.trace_id = found[0]
            traces.update({tid: OrphanView(grouped[tid]) for tid in found})
    ids = {r.id for r in requests}
    messages = [m for m in stack.tap(system.python, "drain", system.broker.url)
                if json.loads(m["body"]).get("id") in ids]
    run = Run("orphan run (messages published without traceparent)", requests, traces, messages,
              system.traces_seen_by_gateways() - before, settle_s, send_s)
    figures.extend(_figures(run, coverage=False))
    return run


@pytest.fixture(scope="module", autouse=True)
def _total_time(timings, figures):
    yield
    total = time.monotonic() - timings.pop("module start")
    figures.append("time: " + ", ".join(f"{k} {v:.0f}s" for k, v in timings.items()) + f"; module total {total:.0f}s")


# --------------------------------------------------------------------------- one trace, every hop
def test_one_trace_crosses_every_service_and_language(main_run, system, figures):
    assert main_run.traces, f"nothing reached the backend\n{system.diagnostics()}"
    whole = [v for v in main_run.traces.values() if len(v.services) >= 4 and len(v.languages) >= 3]
    assert whole, "no kept trace spans four services and three languages"
    for request in main_run.requests:
        view = main_run.view(request)
        if view is None:
            continue
        assert len(view.services) >= 4 and len(view.languages) >= 3, (request, sorted(view.services))
        assert not view.broken_hops(request.mode), (request.id, view.broken_hops(request.mode))
        # One root, the edge's server span; every other span's parent is in the trace.
        assert [s.span_id for s in view.roots] == [view.edge_server().span_id], (request.id, view.roots)
        assert not view.dangling, (request.id, [(service(s), s.name) for s in view.dangling])
    full = next(v for v in main_run.traces.values() if v.services == set(SERVICES))
    assert full.languages == {"nodejs", "java", "go", "python"}
    assert {KIND_PRODUCER, KIND_CONSUMER, KIND_CLIENT, KIND_SERVER} <= {s.kind for s in full.spans}
    figures.append(f"  one kept trace ({full.spans[0].trace_id}), as the backend holds it:")
    figures.extend(f"    {line}" for line in full.tree())


def test_propagation_success_and_coverage(main_run):
    n = len(main_run.requests)
    recorded = sum(r.sampled and r.trace_id is not None for r in main_run.requests)
    assert recorded / n > 0.90, f"coverage {recorded}/{n}"
    assert recorded == n, "head ratio 1.0 at the edge: every request must start a recorded trace"
    # Before sampling: the gateways saw one trace per request, so no hop started a trace of its own.
    assert main_run.gateway_traces == n, (
        f"the gateways saw {main_run.gateway_traces:g} traces for {n} requests: some hop started its own trace")
    linked, kept = propagation_success(main_run)
    assert kept and linked / kept > 0.99, f"propagation success {linked}/{kept}"
    # Each request is exactly one trace: its id appears under one trace id only.
    traces_of = defaultdict(set)
    for tid, view in main_run.traces.items():
        for span in view.spans:
            if "test.request_id" in span.attributes:
                traces_of[span.attributes["test.request_id"]].add(tid)
    split = {rid: tids for rid, tids in traces_of.items() if len(tids) > 1}
    assert not split, f"requests split over several traces: {split}"


def test_error_and_slow_traces_are_kept_whole(main_run, system):
    for request in main_run.requests:
        if request.mode not in MUST_KEEP:
            continue
        view = main_run.view(request)
        assert view is not None, f"{request.mode} trace of {request.id} was not kept\n{system.diagnostics()}"
        assert not view.broken_hops(request.mode), (request.id, view.broken_hops(request.mode))
        if request.mode == "fail":
            failed = {service(s) for s in view.spans if s.status_code == STATUS_ERROR}
            assert {"inventory", "fulfillment"} <= failed, (request.id, failed)


# --------------------------------------------------------------------------- headers on the broker
def _messages(run: Run, topic: str) -> list[dict]:
    return [m for m in run.messages if m["queue"] == topic]


@pytest.mark.parametrize("topic,producer,consumer", BROKER_HOPS, ids=[f"{LANGUAGE[p]}-produces-{t}"
                                                                    for t, p, _ in BROKER_HOPS])
def test_produced_messages_carry_traceparent(main_run, topic, producer, consumer):
    """Every message the producing language published carries a W3C traceparent naming the
    request's trace and the producer span (the playbook: assert header presence in CI)."""
    expected = [r for r in main_run.requests if topic in TOPICS[r.mode]]
    messages = _messages(main_run, topic)
    assert len(messages) == len(expected), f"{topic}: tapped {len(messages)} messages for {len(expected)} requests"
    requests = {r.id: r for r in main_run.requests}
    for message in messages:
        request = requests[json.loads(message["body"])["id"]]
        header = message["headers"].get("traceparent")
        assert header, f"{producer} ({LANGUAGE[producer]}) published to {topic} without traceparent: {message}"
        match = TRACEPARENT.match(header)
        assert match and int(match.group(3), 16) & 1, header
        assert match.group(1) == request.trace_id, (request.id, header)
        view = main_run.view(request)
        if view is not None:
            span = view.by_id.get(match.group(2))
            assert span is not None and span.kind == KIND_PRODUCER and service(span) == producer, (
                f"{topic}: traceparent {header} does not name {producer}'s producer span")
            assert span.resource["telemetry.sdk.language"] == LANGUAGE[producer]


@pytest.mark.parametrize("topic,producer,consumer", BROKER_HOPS, ids=[f"{LANGUAGE[c]}-consumes-{t}"
                                                                    for t, _, c in BROKER_HOPS])
def test_consumer_continues_the_producers_trace(main_run, topic, producer, consumer):
    """The consuming language extracts the context: its consumer span's parent is the producer span
    the message's traceparent named."""
    headers = {json.loads(m["body"])["id"]: m["headers"]["traceparent"] for m in _messages(main_run, topic)}
    checked = 0
    for request in main_run.requests:
        view = main_run.view(request)
        if view is None or topic not in TOPICS[request.mode]:
            continue
        link = view.broker_link(producer, consumer)
        assert link is not None, f"{request.id}: no {consumer} consumer span under {producer}'s producer span"
        produced, consumed = link
        assert consumed.resource["telemetry.sdk.language"] == LANGUAGE[consumer]
        assert headers[request.id].split("-")[2] == produced.span_id
        checked += 1
    assert checked, "no kept trace to check"


# --------------------------------------------------------------------------- chaos
def test_chaos_stripped_traceparent_starts_new_roots(chaos_run, system, figures):
    stripped = [r for r in chaos_run.requests if r.strip]
    continued = [r for r in chaos_run.requests if not r.strip]
    assert stripped and continued
    # Before sampling: still one trace per request, whether it kept the caller's trace or not.
    assert chaos_run.gateway_traces == len(chaos_run.requests), chaos_run.gateway_traces
    received = by_trace(system.receiver.spans())
    for request in stripped:
        assert request.seen_traceparent is None and request.trace_id != request.sent_trace_id, request
        assert request.sampled, f"{request.id}: the new root was not recorded (head ratio 1.0)"
        assert request.sent_trace_id not in received, f"{request.id}: spans arrived under the stripped trace id"
        view = chaos_run.view(request)
        if view is None:
            continue
        edge = view.edge_server()
        assert edge is not None and edge.parent_span_id == "", f"{request.id}: the edge did not start a new root"
        assert [s.span_id for s in view.roots] == [edge.span_id] and not view.dangling, request.id
        assert not view.broken_hops(request.mode), (request.id, view.broken_hops(request.mode))
    for request in continued:
        assert request.trace_id == request.sent_trace_id, f"{request.id}: the edge dropped a traceparent it was given"
        view = chaos_run.view(request)
        if view is None:
            continue
        edge = view.edge_server()
        assert edge is not None and edge.parent_span_id == request.sent_parent_id, request.id
        # The upstream caller's span is the only parent outside the trace.
        assert [s.span_id for s in view.dangling] == [edge.span_id], request.id
        assert not view.broken_hops(request.mode), (request.id, view.broken_hops(request.mode))
    rooted = [r for r in stripped if chaos_run.view(r)]
    figures.append(f"  chaos: {len(stripped)} stripped -> {len(rooted)} kept, each a new root at the edge crossing "
                   f"{sorted({len(chaos_run.view(r).services) for r in rooted})} services; {len(continued)} not "
                   "stripped continued the caller's trace")
    linked, total = propagation_success(chaos_run)
    assert total and linked / total > 0.99, f"propagation success under chaos {linked}/{total}"


def test_chaos_error_traces_are_still_kept(chaos_run, system, figures):
    errors = [r for r in chaos_run.requests if r.mode == "fail"]
    assert any(r.strip for r in errors) and any(not r.strip for r in errors), "the plan must mix both"
    missing = [r.id for r in errors if chaos_run.view(r) is None or not chaos_run.view(r).has_error]
    assert not missing, f"error traces dropped under chaos: {missing}\n{system.diagnostics()}"
    slow = [r.id for r in chaos_run.requests if r.mode == "slow" and chaos_run.view(r) is None]
    assert not slow, f"slow traces dropped under chaos: {slow}"
    figures.append(f"  chaos: error traces kept {len(errors)}/{len(errors)} "
                   f"({sum(r.strip for r in errors)} of them re-rooted at the edge)")


def test_chaos_message_without_traceparent_starts_a_new_root_at_the_consumer(orphan_run, system):
    n = len(orphan_run.requests)
    assert orphan_run.gateway_traces == n, (
        f"the gateways saw {orphan_run.gateway_traces:g} traces for {n} header-less messages: one each expected")
    for request in orphan_run.requests:
        view = orphan_run.view(request)
        if view is None:
            assert request.mode not in MUST_KEEP, f"{request.id}: error trace of an orphan message was not kept"
            continue
        consumer = view.of("fulfillment", KIND_CONSUMER)
        assert [s.span_id for s in view.roots] == [consumer[0].span_id], (request.id, view.tree())
        assert not view.dangling and not view.broken_hops(request.mode), (request.id, view.tree())
        assert {"edge", "orders"}.isdisjoint(view.services), view.services
        if request.mode == "fail":
            assert view.has_error, request.id
    downstream = [m for m in orphan_run.messages if m["queue"] != "orders"]
    assert downstream and all(TRACEPARENT.match(m["headers"].get("traceparent", "")) for m in downstream), downstream
    assert all("traceparent" not in m["headers"] for m in orphan_run.messages if m["queue"] == "orders")
