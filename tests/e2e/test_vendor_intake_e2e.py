"""What each vendor's intake actually receives: the real collector (the cached test distribution)
runs the generated config, and loopback capture servers stand in for Honeycomb, Datadog, a generic
OTLP endpoint, Tempo and Jaeger. Per vendor the test asserts the final request (gRPC method or
HTTP method and path, headers, body) is what the vendor documents:

- Honeycomb: OTLP gRPC `TraceService/Export` or OTLP/HTTP `POST /v1/traces` on a base URL, with
  `x-honeycomb-team` (the key) and `x-honeycomb-dataset`.
- Datadog: `POST /api/v0.2/traces` as written (the documented intake URL, not
  `/api/v0.2/traces/v1/traces`), `application/x-protobuf`, with `dd-protocol: otlp`,
  `dd-api-key` and `dd-otlp-source`.
- generic OTLP: a base URL with a path prefix gets `/v1/traces` appended (`/otlp/v1/traces`),
  the key as `authorization: Bearer ...`.
- Tempo: gRPC with the tenant in `x-scope-orgid`; Jaeger: gRPC, no credentials.

Secrets reach the backends only as headers, read from the collector's environment: the values
appear in no generated file. Two topologies, each with its generated configs: a lone agent that
exports to the backends itself (gateway disabled), and agent -> gateway-0 (load balancing by trace
ID), where the gateway exports. Everything binds 127.0.0.1.
"""

from __future__ import annotations

import gzip
import http.server
import threading
import time
import urllib.request
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import pytest
import yaml
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from opentelemetry.proto.common.v1 import common_pb2
from opentelemetry.proto.resource.v1 import resource_pb2
from opentelemetry.proto.trace.v1 import trace_pb2

from tests.e2e.harness.pipeline import build, collector_binary
from tests.e2e.harness.processes import Collector, collector_env, port_free, wait_until

pytestmark = pytest.mark.e2e

HOST = "127.0.0.1"
EXPORT_METHOD = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
SECRETS = {"HONEYCOMB_API_KEY": "hc-e2e-key-7d1f", "DD_API_KEY": "dd-e2e-key-93ab", "OTLP_TOKEN": "otlp-e2e-tok-55c2"}
# The agent's ports (otlp grpc, http, health, metrics) from here; below the ephemeral range.
BASE_PORTS = (28620, 28640, 28660, 28680)
TRACE_ID = bytes.fromhex("5b8efff798038103d269b633813fc60c")


@dataclass
class Request:
    method: str                   # HTTP method, or the gRPC method path
    path: str
    headers: dict[str, str]
    spans: list[str]              # span names in the body


@dataclass
class Capture:
    """A loopback stand-in for one vendor intake that records every request."""

    name: str
    protocol: str
    port: int = 0
    requests: list[Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, request: Request) -> None:
        with self.lock:
            self.requests.append(request)

    def received(self) -> list[Request]:
        with self.lock:
            return list(self.requests)


def _span_names(body: bytes) -> list[str]:
    message = trace_service_pb2.ExportTraceServiceRequest.FromString(body)
    return [s.name for rs in message.resource_spans for ss in rs.scope_spans for s in ss.spans]


def _http_server(capture: Capture) -> http.server.ThreadingHTTPServer:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            capture.record(Request("POST", self.path, {k.lower(): v for k, v in self.headers.items()},
                                   _span_names(body)))
            reply = trace_service_pb2.ExportTraceServiceResponse().SerializeToString()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer((HOST, 0), Handler)
    capture.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _grpc_server(capture: Capture) -> grpc.Server:
    class Recorder(grpc.ServerInterceptor):
        def intercept_service(self, continuation, details):
            handler = continuation(details)
            if handler is None or handler.unary_unary is None:
                return handler
            inner = handler.unary_unary

            def export(request, context):
                capture.record(Request(details.method, details.method,
                                       {m.key.lower(): str(m.value) for m in details.invocation_metadata},
                                       _span_names(request.SerializeToString())))
                return inner(request, context)

            return grpc.unary_unary_rpc_method_handler(export, request_deserializer=handler.request_deserializer,
                                                       response_serializer=handler.response_serializer)

    class Servicer(trace_service_pb2_grpc.TraceServiceServicer):
        def Export(self, request, context):  # noqa: N802 - the generated service's name
            return trace_service_pb2.ExportTraceServiceResponse()

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4), interceptors=[Recorder()])
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(Servicer(), server)
    capture.port = server.add_insecure_port(f"{HOST}:0")
    server.start()
    return server


def _blueprint(captures: dict[str, Capture], base_port: int, gateway: bool) -> str:
    def url(name: str, path: str = "") -> str:
        return f"http://{HOST}:{captures[name].port}{path}"

    def grpc_address(name: str) -> str:
        return f"{HOST}:{captures[name].port}"

    plain = {"tls": {"insecure": True}, "retention": {"hot_days": 7, "cold_days": 30}}
    backends = {
        "honeycomb": {"type": "honeycomb", "endpoint": grpc_address("honeycomb"),
                      "api_key": "${env:HONEYCOMB_API_KEY}", "dataset": "checkout", **plain},
        "honeycomb-http": {"type": "honeycomb", "protocol": "http", "endpoint": url("honeycomb-http"),
                           "api_key": "${env:HONEYCOMB_API_KEY}", "dataset": "checkout", **plain},
        # Datadog's documented intake URL shape: https://trace.agent.<site>/api/v0.2/traces.
        "datadog": {"type": "datadog", "endpoint": url("datadog", "/api/v0.2/traces"),
                    "api_key": "${env:DD_API_KEY}", "headers": {"dd-otlp-source": "acme"}, **plain},
        "otlp": {"type": "otlp", "protocol": "http", "endpoint": url("otlp", "/otlp"),
                 "api_key": "${env:OTLP_TOKEN}", **plain},
        "tempo": {"type": "tempo", "endpoint": grpc_address("tempo"), "dataset": "team-a", **plain},
        "jaeger": {"type": "jaeger", "endpoint": grpc_address("jaeger"), **plain},
    }
    data = {
        "schema_version": 1, "name": "intake-e2e",
        "services": {"api": {"version": "1.0.0", "language": "python", "edge": True, "peak_rps": 5,
                             "inbound": ["http"], "owner": {"team": "platform", "oncall": "pagerduty:platform"}}},
        "topology": {"gateway": {"enabled": True, "replicas": 1} if gateway else {"enabled": False}},
        "backends": backends,
        "environments": {"dev": {"platform": {"local": {"base_port": base_port}}}},
    }
    return yaml.safe_dump(data, sort_keys=False)


def _export_one_span(http_port: int) -> None:
    span = trace_pb2.Span(trace_id=TRACE_ID, span_id=bytes.fromhex("051581bf3cb55c13"), name="GET /checkout",
                          kind=trace_pb2.Span.SPAN_KIND_SERVER, start_time_unix_nano=time.time_ns() - 5_000_000,
                          end_time_unix_nano=time.time_ns())
    resource = resource_pb2.Resource(attributes=[common_pb2.KeyValue(
        key="service.name", value=common_pb2.AnyValue(string_value="api"))])
    body = trace_service_pb2.ExportTraceServiceRequest(resource_spans=[trace_pb2.ResourceSpans(
        resource=resource, scope_spans=[trace_pb2.ScopeSpans(spans=[span])])]).SerializeToString()
    request = urllib.request.Request(f"http://{HOST}:{http_port}/v1/traces", data=body, method="POST",
                                     headers={"Content-Type": "application/x-protobuf"})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback only
        assert response.status == 200


@pytest.fixture(scope="module", params=["agent", "gateway"])
def delivered(request, tmp_path_factory) -> dict[str, Capture]:
    through_gateway = request.param == "gateway"
    # Slot 0 is the agent (otlp grpc, http, health, metrics), slot 1 gateway-0 (base + 10...).
    base = next((p for p in BASE_PORTS if all(port_free(p + i) for i in (*range(4), *range(10, 14)))), None)
    assert base is not None, f"no free agent ports at any of {BASE_PORTS}"
    captures = {name: Capture(name, protocol) for name, protocol in (
        ("honeycomb", "grpc"), ("honeycomb-http", "http"), ("datadog", "http"), ("otlp", "http"),
        ("tempo", "grpc"), ("jaeger", "grpc"))}
    servers = [(_grpc_server if c.protocol == "grpc" else _http_server)(c) for c in captures.values()]
    work = tmp_path_factory.mktemp("intake")
    blueprint = work / "blueprint.yaml"
    blueprint.write_text(_blueprint(captures, base, through_gateway), encoding="utf-8")
    out = work / "out"
    built = build(blueprint, out)
    assert built.returncode == 0, built.stderr
    generated = "".join(p.read_text(encoding="utf-8", errors="replace") for p in out.rglob("*") if p.is_file())
    assert not any(value in generated for value in SECRETS.values())
    binary, env = collector_binary(blueprint), collector_env(work / "state", SECRETS)
    collectors = [Collector("agent", binary, [out / "dev" / "collector" / "agent-local.yaml"], env,
                            work / "agent.log", health_port=base + 2, metrics_port=base + 3)]
    if through_gateway:
        collectors.insert(0, Collector("gateway-0", binary, [out / "dev" / "collector" / "gateway-0.yaml"], env,
                                       work / "gateway-0.log", health_port=base + 12, metrics_port=base + 13))
    try:
        for collector in collectors:
            collector.start()
        _export_one_span(base + 1)
        arrived = wait_until(lambda: all(c.received() for c in captures.values()), 30)
        assert arrived, "backends without a request: " + ", ".join(
            n for n, c in captures.items() if not c.received()) + "\n" + "\n".join(c.log_tail() for c in collectors)
    finally:
        for collector in reversed(collectors):
            collector.stop()
        for server in servers:
            if isinstance(server, grpc.Server):
                server.stop(0)
            else:
                server.shutdown()
    return captures


def _only(capture: Capture) -> Request:
    requests = capture.received()
    assert requests and all(r.spans == ["GET /checkout"] for r in requests), requests
    return requests[0]


def test_honeycomb_grpc_gets_its_key_and_dataset_as_metadata(delivered):
    request = _only(delivered["honeycomb"])
    assert request.method == EXPORT_METHOD
    assert request.headers["x-honeycomb-team"] == SECRETS["HONEYCOMB_API_KEY"]
    assert request.headers["x-honeycomb-dataset"] == "checkout"


def test_honeycomb_http_base_url_gets_v1_traces(delivered):
    request = _only(delivered["honeycomb-http"])
    assert (request.method, request.path) == ("POST", "/v1/traces")
    assert request.headers["content-type"] == "application/x-protobuf"
    assert request.headers["x-honeycomb-team"] == SECRETS["HONEYCOMB_API_KEY"]
    assert request.headers["x-honeycomb-dataset"] == "checkout"


def test_datadog_gets_its_documented_url_and_headers(delivered):
    request = _only(delivered["datadog"])
    # As written: the exporter did not append /v1/traces to the intake URL.
    assert (request.method, request.path) == ("POST", "/api/v0.2/traces")
    assert request.headers["content-type"] == "application/x-protobuf"      # http/protobuf only
    assert request.headers["dd-protocol"] == "otlp"
    assert request.headers["dd-api-key"] == SECRETS["DD_API_KEY"]
    assert request.headers["dd-otlp-source"] == "acme"


def test_generic_otlp_base_path_and_bearer_token(delivered):
    request = _only(delivered["otlp"])
    assert (request.method, request.path) == ("POST", "/otlp/v1/traces")
    assert request.headers["authorization"] == f"Bearer {SECRETS['OTLP_TOKEN']}"


def test_tempo_gets_the_tenant_over_grpc(delivered):
    tempo = _only(delivered["tempo"])
    assert tempo.method == EXPORT_METHOD and tempo.headers["x-scope-orgid"] == "team-a"
    assert "authorization" not in tempo.headers


def test_jaeger_gets_otlp_grpc_without_credentials(delivered):
    jaeger = _only(delivered["jaeger"])
    assert jaeger.method == EXPORT_METHOD
    credentials = {"authorization", "x-honeycomb-team", "dd-api-key", "x-scope-orgid"}
    assert not credentials & set(jaeger.headers)


def test_each_secret_reaches_only_its_own_backend(delivered):
    for capture in delivered.values():
        for request in capture.received():
            leaked = {name for name, value in SECRETS.items() if value in " ".join(request.headers.values())}
            expected = {"honeycomb": {"HONEYCOMB_API_KEY"}, "honeycomb-http": {"HONEYCOMB_API_KEY"},
                        "datadog": {"DD_API_KEY"}, "otlp": {"OTLP_TOKEN"}}.get(capture.name, set())
            assert leaked == expected, (capture.name, leaked)
