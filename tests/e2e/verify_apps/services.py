"""Three services on loopback HTTP (edge -> orders -> inventory), each with its own OpenTelemetry SDK
tracer provider and service.name, exporting over OTLP/gRPC to a real collector. Trace context
travels in real W3C `traceparent` headers; `--break edge` makes the edge call orders without it
(the hop whose propagation is disabled). Every tenth request fails in inventory.

    python services.py --otlp 127.0.0.1:4317 --requests 40 [--break edge]
"""

from __future__ import annotations

import argparse
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry import context, propagate
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode

CHAIN = {"edge": "orders", "orders": "inventory", "inventory": None}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--otlp", required=True)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--break", dest="broken", default=None, help="caller that does not inject context")
    args = parser.parse_args()
    providers, servers, ports = {}, {}, {}
    for name in CHAIN:
        provider = TracerProvider(resource=Resource.create({"service.name": name}))
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=args.otlp, insecure=True)))
        providers[name] = provider

    def handler_for(name: str):
        tracer = providers[name].get_tracer("verify-e2e")

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_):
                pass

            def do_GET(self):
                # urllib sends "Traceparent"; the default getter reads a dict case-sensitively.
                parent = propagate.extract({k.lower(): v for k, v in self.headers.items()})
                status = 200
                with tracer.start_as_current_span(f"GET {self.path}", context=parent, kind=SpanKind.SERVER) as span:
                    callee = CHAIN[name]
                    if callee:
                        with tracer.start_as_current_span(f"GET {callee}", kind=SpanKind.CLIENT) as call:
                            headers: dict[str, str] = {}
                            if args.broken != name:
                                propagate.inject(headers)
                            request = urllib.request.Request(f"http://127.0.0.1:{ports[callee]}{self.path}",
                                                             headers=headers)
                            try:
                                urllib.request.urlopen(request, timeout=10).read()
                            except urllib.error.HTTPError as error:
                                status = error.code
                                call.set_status(Status(StatusCode.ERROR))
                    elif self.path.endswith("/fail"):
                        status = 500
                    if status >= 500:
                        span.set_status(Status(StatusCode.ERROR))
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok")

        return Handler

    for name in CHAIN:
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(name))
        servers[name], ports[name] = server, server.server_address[1]
        threading.Thread(target=server.serve_forever, daemon=True).start()
    for i in range(args.requests):
        path = f"/order/{i}" + ("/fail" if i % 10 == 9 else "")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{ports['edge']}{path}", timeout=10).read()
        except urllib.error.HTTPError:
            pass
    for server in servers.values():
        server.shutdown()
    token = context.attach(context.Context())
    for provider in providers.values():
        provider.shutdown()
    context.detach(token)


if __name__ == "__main__":
    main()
