"""A loopback OTLP/gRPC trace receiver that records everything sent to it.

It stands in for a tracing backend in the end-to-end tests: for a vendor SaaS endpoint (Honeycomb,
reached over the internet in production: here its API key must still arrive as a request header)
and for Jaeger's OTLP port. It keeps every `ExportTraceServiceRequest` with the request's metadata
(gRPC headers), and can be stopped and started again on the same port to simulate an outage.
"""

from __future__ import annotations

import threading
import time
from concurrent import futures
from dataclasses import dataclass

import grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from opentelemetry.proto.common.v1 import common_pb2

HOST = "127.0.0.1"
MAX_MESSAGE = 64 * 1024 * 1024


@dataclass(frozen=True)
class Received:
    at: float                                  # time.monotonic() on arrival
    metadata: tuple[tuple[str, str], ...]      # gRPC request headers, lower-case keys
    request: trace_service_pb2.ExportTraceServiceRequest


@dataclass(frozen=True)
class Span:
    """One received span, flattened for assertions (ids in lower-case hex)."""

    trace_id: str
    span_id: str
    parent_span_id: str
    name: str
    kind: int
    status_code: int                           # 2 = ERROR
    start_ns: int
    end_ns: int
    attributes: dict
    resource: dict


def any_value(value: common_pb2.AnyValue) -> object:
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [any_value(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: any_value(kv.value) for kv in value.kvlist_value.values}
    return getattr(value, kind)


def attributes(items) -> dict:
    return {kv.key: any_value(kv.value) for kv in items}


class _Servicer(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self, owner: "OtlpReceiver") -> None:
        self.owner = owner

    def Export(self, request, context):  # noqa: N802 - the generated service's name
        metadata = tuple((m.key.lower(), m.value if isinstance(m.value, str) else repr(m.value))
                         for m in context.invocation_metadata())
        for key, value in self.owner.required_headers.items():
            if (key.lower(), value) not in metadata:   # as an intake refuses a wrong key
                context.abort(grpc.StatusCode.UNAUTHENTICATED, f"{key} missing or wrong")
        self.owner._record(Received(time.monotonic(), metadata, request))
        return trace_service_pb2.ExportTraceServiceResponse()


class OtlpReceiver:
    """An OTLP/gRPC TraceService on 127.0.0.1:`port` that records requests; stop() and start()
    again to simulate the backend going away and coming back."""

    def __init__(self, name: str, port: int, required_headers: dict[str, str] | None = None) -> None:
        self.name = name
        self.port = port
        # Headers every request must carry with these values, else UNAUTHENTICATED (not recorded).
        self.required_headers = dict(required_headers or {})
        self._lock = threading.Lock()
        self._received: list[Received] = []
        self._server: grpc.Server | None = None

    # -- lifecycle
    def start(self) -> None:
        if self._server is not None:
            return
        server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix=f"otlp-{self.name}"),
            # No SO_REUSEPORT: a port someone else holds must fail here, not split the traffic.
            options=[("grpc.so_reuseport", 0), ("grpc.max_receive_message_length", MAX_MESSAGE)])
        trace_service_pb2_grpc.add_TraceServiceServicer_to_server(_Servicer(self), server)
        try:
            bound = server.add_insecure_port(f"{HOST}:{self.port}")
        except RuntimeError as error:
            raise RuntimeError(f"receiver {self.name}: cannot listen on {HOST}:{self.port}: {error}") from None
        if bound != self.port:
            raise RuntimeError(f"receiver {self.name}: cannot listen on {HOST}:{self.port}")
        server.start()
        self._server = server

    def stop(self) -> None:
        """Stop at once: open calls are cancelled, new connections refused."""
        server, self._server = self._server, None
        if server is not None:
            server.stop(grace=None).wait(timeout=10)

    @property
    def running(self) -> bool:
        return self._server is not None

    def __enter__(self) -> "OtlpReceiver":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- what arrived
    def _record(self, item: Received) -> None:
        with self._lock:
            self._received.append(item)

    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    def spans(self) -> list[Span]:
        """Every span received so far (a span delivered twice appears twice)."""
        out: list[Span] = []
        for item in self.received():
            for rs in item.request.resource_spans:
                resource = attributes(rs.resource.attributes)
                for ss in rs.scope_spans:
                    for span in ss.spans:
                        out.append(Span(
                            trace_id=span.trace_id.hex(), span_id=span.span_id.hex(),
                            parent_span_id=span.parent_span_id.hex(), name=span.name, kind=span.kind,
                            status_code=span.status.code, start_ns=span.start_time_unix_nano,
                            end_ns=span.end_time_unix_nano, attributes=attributes(span.attributes),
                            resource=resource))
        return out

    def header_values(self, key: str) -> set[str]:
        return {value for item in self.received() for k, value in item.metadata if k == key.lower()}

    def span_count(self) -> int:
        return sum(len(ss.spans) for item in self.received()
                   for rs in item.request.resource_spans for ss in rs.scope_spans)
