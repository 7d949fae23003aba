"""`tracegen verify` on crafted OTLP JSON (the collector file exporter's format): coverage, propagation
per hop, unparented calls, orphans, error capture, exit codes and the JSON report."""

from __future__ import annotations

import itertools
import json
import subprocess
from pathlib import Path

import pytest

from tracegen.verify import span_metrics
from tracegen.verify.spans import read_otlp_file

ROOT = Path(__file__).resolve().parents[1]
# edge -> orders (http), orders -> fulfillment (rabbitmq orders), fulfillment -> inventory (http), ...
BLUEPRINT = ROOT / "tests" / "e2e" / "blueprints" / "crossservice.yaml"
_ids = itertools.count(1)


def _id(width: int) -> str:
    return f"{next(_ids):0{width}x}"


def span(service: str, trace: str, parent: str = "", kind: int = 2, error: bool = False, **attributes) -> dict:
    return {"service": service, "traceId": trace, "spanId": _id(16), "parentSpanId": parent, "name": f"{service} op",
            "kind": kind, "status": {"code": 2} if error else {},
            "attributes": [{"key": k.replace("_", "."), "value": {"stringValue": v}} for k, v in attributes.items()]}


def request_line(spans: list[dict]) -> str:
    """One ExportTraceServiceRequest as the file exporter writes it (a resource per service)."""
    by_service: dict[str, list[dict]] = {}
    for s in spans:
        body = {k: v for k, v in s.items() if k != "service" and v != ""}
        by_service.setdefault(s["service"], []).append(body)
    return json.dumps({"resourceSpans": [
        {"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": name}}]},
         "scopeSpans": [{"scope": {"name": "t"}, "spans": items}]} for name, items in by_service.items()]})


def healthy_trace(break_hop: bool = False, error: bool = False) -> list[dict]:
    """edge (server, client) -> orders (server, producer) -> fulfillment (consumer, client) -> inventory."""
    trace = _id(32)
    root = span("edge", trace, kind=2, error=error)
    call = span("edge", trace, root["spanId"], kind=3, error=error)
    # A broken hop: orders starts a new trace (no context arrived).
    orders_trace = _id(32) if break_hop else trace
    orders = span("orders", orders_trace, "" if break_hop else call["spanId"], kind=2, error=error)
    produce = span("orders", orders_trace, orders["spanId"], kind=4)
    consume = span("fulfillment", orders_trace, produce["spanId"], kind=5)
    inventory_call = span("fulfillment", orders_trace, consume["spanId"], kind=3)
    inventory = span("inventory", orders_trace, inventory_call["spanId"], kind=2)
    query = span("inventory", orders_trace, inventory["spanId"], kind=3, db_system="postgresql")
    return [root, call, orders, produce, consume, inventory_call, inventory, query]


def write(tmp_path: Path, traces: list[list[dict]]) -> Path:
    path = tmp_path / "spans.jsonl"
    path.write_text("\n".join(request_line(t) for t in traces) + "\n")
    return path


def verify(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["tracegen", "verify", str(BLUEPRINT), *args], capture_output=True, text=True)


def test_reads_the_file_exporter_format(tmp_path):
    spans = read_otlp_file(str(write(tmp_path, [healthy_trace()])))
    assert {s.service for s in spans} == {"edge", "orders", "fulfillment", "inventory"}
    assert [s.kind for s in spans if s.service == "edge"] == ["server", "client"]
    assert sum(s.database for s in spans) == 1


def test_healthy_spans_pass_and_every_hop_is_measured(tmp_path):
    run = verify("--otlp-file", str(write(tmp_path, [healthy_trace() for _ in range(20)])), "--format", "json")
    assert run.returncode == 0, run.stdout + run.stderr
    report = json.loads(run.stdout)
    assert report["passed"] and report["traces"] == 20
    hops = {c["subject"]: c for c in report["checks"] if c["check"] == "propagation"}
    # The database call is not a hop; the messaging hop is.
    assert set(hops) == {"edge -> orders", "orders -> fulfillment", "fulfillment -> inventory"}
    assert all(h["value"] == 1.0 for h in hops.values())
    coverage = next(c for c in report["checks"] if c["check"] == "coverage")
    assert coverage["value"] == 1.0 and coverage["target"] == 0.9
    assert {c["subject"] for c in report["checks"] if c["check"] == "services"} == {"notifications"}


def test_a_broken_hop_fails_naming_it(tmp_path):
    traces = [healthy_trace() for _ in range(18)] + [healthy_trace(break_hop=True) for _ in range(2)]
    run = verify("--otlp-file", str(write(tmp_path, traces)))
    assert run.returncode == 1, run.stdout + run.stderr
    failing = [line for line in run.stdout.splitlines() if "FAIL" in line]
    assert any("propagation" in line and "edge -> orders" in line and "18 of 20 calls" in line for line in failing)
    assert any("unparented" in line and "edge -> orders" in line and "2 of 20 requests" in line for line in failing)
    assert not any("orders -> fulfillment" in line for line in failing)


def test_orphans_break_coverage(tmp_path):
    traces = [healthy_trace() for _ in range(8)]
    for trace in traces[:2]:
        trace[2]["parentSpanId"] = "00000000000000ff"      # orders' parent never arrived
    run = verify("--otlp-file", str(write(tmp_path, traces)), "--format", "json")
    assert run.returncode == 1
    coverage = next(c for c in json.loads(run.stdout)["checks"] if c["check"] == "coverage")
    assert coverage["value"] == 0.75 and not coverage["passed"]
    assert "orphan spans in orders (2)" in coverage["detail"]


def test_error_capture_against_span_metrics(tmp_path):
    traces = [healthy_trace(error=True) for _ in range(3)] + [healthy_trace() for _ in range(5)]
    exposition = "\n".join([
        "# TYPE traces_span_metrics_duration_milliseconds_count counter",
        'traces_span_metrics_duration_milliseconds_count{service_name="edge",span_kind="SPAN_KIND_SERVER",'
        'status_code="STATUS_CODE_ERROR"} 3',
        'traces_span_metrics_duration_milliseconds_count{service_name="edge",span_kind="SPAN_KIND_CLIENT",'
        'status_code="STATUS_CODE_ERROR"} 3',
        'traces_span_metrics_duration_milliseconds_count{service_name="orders",span_kind="SPAN_KIND_SERVER",'
        'status_code="STATUS_CODE_ERROR"} 6',
        'traces_span_metrics_duration_milliseconds_count{service_name="orders",span_kind="SPAN_KIND_SERVER",'
        'status_code="STATUS_CODE_UNSET"} 50',
    ])
    assert span_metrics.errors_by_service(exposition) == {"edge": 6.0, "orders": 6.0}
    from tracegen.verify import judge, measures
    from tracegen.blueprint.loader import load
    from tracegen.plan.builder import build_plan
    env = build_plan(load(str(BLUEPRINT))).environments[0]
    topo = judge.topology(env)
    measured = measures.measure(read_otlp_file(str(write(tmp_path, traces))), topo)
    measured.errors_before_sampling = span_metrics.errors_by_service(exposition)
    checks = {c.subject: c for c in judge.judge(measured, env, topo) if c.name == "error-capture"}
    assert checks["edge"].passed and checks["edge"].value == 1.0
    # orders: 3 error spans received of 6 counted before sampling: half the errors were lost.
    assert not checks["orders"].passed and checks["orders"].value == 0.5


@pytest.mark.parametrize("content, where", [("{\"resourceSpans\": [\n", ":1:"), ("[]\n", ":1:1:")])
def test_a_bad_spans_file_is_a_positioned_usage_error(tmp_path, content, where):
    path = tmp_path / "bad.jsonl"
    path.write_text(content)
    run = verify("--otlp-file", str(path))
    assert run.returncode == 2 and f"{path}{where}" in run.stderr and "Traceback" not in run.stderr


def test_needs_exactly_one_source():
    run = verify()
    assert run.returncode == 2 and "--otlp-file" in run.stderr


def test_reads_jaeger_query_api_answers(tmp_path):
    """The Jaeger reader against a loopback server answering api/traces as Jaeger's query service does
    (the real Jaeger is exercised in tests/e2e/test_verify_e2e.py when it is built)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from tracegen.verify.spans import read_jaeger

    trace = {"traceID": "ab" * 8, "processes": {"p1": {"serviceName": "edge"}, "p2": {"serviceName": "orders"}},
             "spans": [
                 {"traceID": "ab" * 8, "spanID": "01" * 8, "operationName": "GET /", "processID": "p1",
                  "references": [], "tags": [{"key": "span.kind", "value": "server"}]},
                 {"traceID": "ab" * 8, "spanID": "02" * 8, "operationName": "GET orders", "processID": "p1",
                  "references": [{"refType": "CHILD_OF", "spanID": "01" * 8}],
                  "tags": [{"key": "span.kind", "value": "client"}, {"key": "error", "value": True}]},
                 {"traceID": "ab" * 8, "spanID": "03" * 8, "operationName": "GET /orders", "processID": "p2",
                  "references": [{"refType": "CHILD_OF", "spanID": "02" * 8}],
                  "tags": [{"key": "span.kind", "value": "server"}]}]}
    asked = []

    class Jaeger(BaseHTTPRequestHandler):
        def log_message(self, *_):
            pass

        def do_GET(self):
            asked.append(self.path)
            body = json.dumps({"data": [trace]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Jaeger)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        spans = read_jaeger(f"http://127.0.0.1:{server.server_address[1]}", ["edge", "orders"], "1h", 20)
    finally:
        server.shutdown()
    assert len(spans) == 3                      # the trace came back for both services, counted once
    assert any("service=edge" in p and "lookback=1h" in p and "limit=20" in p for p in asked)
    client = next(s for s in spans if s.kind == "client")
    assert client.service == "edge" and client.error and client.parent_id == "01" * 8
    assert next(s for s in spans if s.service == "orders").parent_id == client.span_id


def test_an_unreachable_jaeger_is_a_usage_error():
    run = verify("--jaeger", "http://127.0.0.1:9/")
    assert run.returncode == 2 and "--jaeger" in run.stderr and "Traceback" not in run.stderr
