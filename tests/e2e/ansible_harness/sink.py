"""The backend of the test estate: an OTLP/gRPC trace sink that appends what it receives to a JSON
lines file. Run inside the lab namespace (python -m tests.e2e.ansible_harness.sink ADDRESS:PORT FILE),
so the gateways reach it over the estate's bridge like a backend on the network."""

from __future__ import annotations

import json
import sys
import threading
from concurrent import futures

import grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc


def _value(value) -> object:
    kind = value.WhichOneof("value")
    return getattr(value, kind) if kind and kind not in ("array_value", "kvlist_value") else None


class _Sink(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self, path: str) -> None:
        self.path = path
        self.lock = threading.Lock()

    def Export(self, request, context):  # noqa: N802 - the generated service's name
        spans = []
        for rs in request.resource_spans:
            resource = {kv.key: _value(kv.value) for kv in rs.resource.attributes}
            for ss in rs.scope_spans:
                spans += [{"trace_id": s.trace_id.hex(), "name": s.name, "resource": resource,
                           "attributes": {kv.key: _value(kv.value) for kv in s.attributes}} for s in ss.spans]
        record = {"metadata": {m.key: m.value for m in context.invocation_metadata() if isinstance(m.value, str)},
                  "spans": spans}
        with self.lock, open(self.path, "a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")
        return trace_service_pb2.ExportTraceServiceResponse()


def main(address: str, path: str) -> None:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4), options=[("grpc.so_reuseport", 0)])
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(_Sink(path), server)
    if not server.add_insecure_port(address):
        raise SystemExit(f"cannot listen on {address}")
    server.start()
    print("listening", flush=True)
    server.wait_for_termination()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
