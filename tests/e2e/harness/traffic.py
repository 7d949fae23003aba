"""Known traffic through the OpenTelemetry Python SDK: one TracerProvider per service (each with
its own resource), exporting OTLP/gRPC to the agent, as the services' SDKs would.

Every trace has the same shape, four spans across three services:

    storefront  SERVER  GET /checkout            (root; test.class, test.index, user_id, session.id)
    cart        SERVER  POST /cart/checkout      (user.email, user.phone, user_id)
    inventory   SERVER  inventory.Reserve        (status ERROR in `error` traces)
    inventory   CLIENT  SELECT orders            (db.query.text with literals)

Timestamps are explicit, so a `slow` trace (900 ms) costs no real time. The root span carries the
trace's class in `test.class`, so the receiving side can classify what it got; the sender also
returns what it sent (`SentTrace`), which is what the assertions trust.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable
from dataclasses import dataclass

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode

CLASSES = ("healthy", "error", "slow")
SPANS_PER_TRACE = 4
SLOW_MS = 900
HEALTHY_MS = 60
SERVICES = {
    "storefront": {"service.version": "1.0.0", "service.owner": "web"},
    "cart": {"service.version": "2.1.0", "service.owner": "cart"},
    "inventory": {"service.version": "0.4.2", "service.owner": "inventory"},
}
# What the collectors must strip or rewrite, with the values the SDK sends.
SQL_TEMPLATE = "SELECT id, total FROM orders WHERE customer_email = '{email}' AND id = {order}"


def email(index: int) -> str:
    return f"shopper{index}@example.com"


def phone(index: int) -> str:
    return f"+44 20 7946 {index:04d}"


def order_id(index: int) -> int:
    return 700000 + index


@dataclass(frozen=True)
class SentTrace:
    trace_id: str                  # 32 hex digits
    cls: str                       # healthy | error | slow
    index: int
    span_ids: frozenset[str]       # 16 hex digits each
    sent_at: float                 # time.monotonic() when the SDK ended the root span


class Traffic:
    """Three services' SDKs exporting to `endpoint` (host:port of the agent's OTLP/gRPC receiver)."""

    def __init__(self, endpoint: str) -> None:
        self.providers: dict[str, TracerProvider] = {}
        self.tracers = {}
        for service, attrs in SERVICES.items():
            provider = TracerProvider(resource=Resource.create({"service.name": service, **attrs}))
            exporter = OTLPSpanExporter(endpoint=endpoint, insecure=True, timeout=10)
            # A queue large enough for a whole burst: the SDK must not drop what the test counts.
            provider.add_span_processor(BatchSpanProcessor(
                exporter, max_queue_size=50_000, max_export_batch_size=512, schedule_delay_millis=100))
            self.providers[service] = provider
            self.tracers[service] = provider.get_tracer("tracegen.e2e")

    def send(self, cls: str, index: int) -> SentTrace:
        """Emit one trace of class `cls` (ended at once; its timestamps say how long it took)."""
        if cls not in CLASSES:
            raise ValueError(f"unknown class {cls}")
        ms = 1_000_000
        total = (SLOW_MS if cls == "slow" else HEALTHY_MS) * ms
        t0 = time.time_ns() - total   # the trace happened just now
        ids = []
        root = self.tracers["storefront"].start_span(
            "GET /checkout", kind=SpanKind.SERVER, start_time=t0,
            attributes={"test.class": cls, "test.index": index, "http.request.method": "GET",
                        "url.path": "/checkout", "user_id": f"u-{index}",
                        "session.id": f"sess-{index:08x}-{random.getrandbits(32):08x}"})
        ctx = trace.set_span_in_context(root)
        cart = self.tracers["cart"].start_span(
            "POST /cart/checkout", context=ctx, kind=SpanKind.SERVER, start_time=t0 + 2 * ms,
            attributes={"user.email": email(index), "user.phone": phone(index), "user_id": f"u-{index}",
                        "test.index": index})
        cart_ctx = trace.set_span_in_context(cart)
        reserve = self.tracers["inventory"].start_span(
            "inventory.Reserve", context=cart_ctx, kind=SpanKind.SERVER, start_time=t0 + 4 * ms,
            attributes={"rpc.system.name": "grpc", "test.index": index})
        reserve_ctx = trace.set_span_in_context(reserve)
        query = self.tracers["inventory"].start_span(
            "SELECT orders", context=reserve_ctx, kind=SpanKind.CLIENT, start_time=t0 + 5 * ms,
            attributes={"db.system.name": "postgresql", "db.system": "postgresql",
                        "db.operation.name": "SELECT", "db.collection.name": "orders",
                        "db.query.text": SQL_TEMPLATE.format(email=email(index), order=order_id(index)),
                        "test.index": index})
        query.end(end_time=t0 + total - 10 * ms)
        if cls == "error":
            reserve.set_status(Status(StatusCode.ERROR, "out of stock"))
        reserve.end(end_time=t0 + total - 6 * ms)
        cart.end(end_time=t0 + total - 3 * ms)
        root.end(end_time=t0 + total)
        for span in (root, cart, reserve, query):
            ids.append(format(span.get_span_context().span_id, "016x"))
        trace_id = format(root.get_span_context().trace_id, "032x")
        return SentTrace(trace_id=trace_id, cls=cls, index=index, span_ids=frozenset(ids),
                         sent_at=time.monotonic())

    def send_mix(self, plan: Iterable[str], start_index: int = 0, per_second: float | None = None,
                 deadline_s: float = 120.0) -> list[SentTrace]:
        """Send one trace per class name in `plan`, paced at `per_second` if given. Bounded by
        the plan's length and by `deadline_s`: a plan not sent by then raises."""
        sent = []
        started = time.monotonic()
        for offset, cls in enumerate(plan):
            if per_second:
                due = started + offset / per_second
                pause = due - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
            if time.monotonic() - started > deadline_s:
                raise TimeoutError(f"sent only {len(sent)} traces in {deadline_s}s")
            sent.append(self.send(cls, start_index + offset))
        return sent

    def flush(self, timeout_s: float = 30.0) -> bool:
        return all(p.force_flush(int(timeout_s * 1000)) for p in self.providers.values())

    def shutdown(self) -> None:
        for provider in self.providers.values():
            provider.shutdown()


def mixed_plan(counts: dict[str, int], seed: int) -> list[str]:
    """Class names in a shuffled but reproducible order."""
    plan = [cls for cls, n in counts.items() for _ in range(n)]
    random.Random(seed).shuffle(plan)
    return plan
