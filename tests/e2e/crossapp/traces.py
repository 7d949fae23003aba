"""What the cross-service test sends and how it reads what arrived: the requests it drives through
the edge, and a kept trace's services, languages and hops (HTTP and broker) as the backend holds it.
"""

from __future__ import annotations

import json
import random
import re
import secrets
import time
from collections import defaultdict
from dataclasses import dataclass, field

from tests.e2e.harness.receiver import Span
from tests.e2e.sdk_apps import support

HOST = "127.0.0.1"
KIND_SERVER, KIND_CLIENT, KIND_PRODUCER, KIND_CONSUMER = 2, 3, 4, 5
STATUS_ERROR = 2
SERVICES = ("edge", "orders", "fulfillment", "inventory", "notifications")
LANGUAGE = {"edge": "nodejs", "orders": "java", "fulfillment": "go", "inventory": "python", "notifications": "nodejs"}
HTTP_HOPS = (("edge", "orders"), ("fulfillment", "inventory"))
# (topic, producer, consumer): each producing and each consuming language's client and helpers.
BROKER_HOPS = (("orders", "orders", "fulfillment"), ("shipments", "fulfillment", "inventory"),
               ("stock-events", "inventory", "notifications"))
# The topics a request's trace crosses: a failed reservation publishes nothing further.
TOPICS = {"ok": ("orders", "shipments", "stock-events"), "slow": ("orders", "shipments", "stock-events"),
          "fail": ("orders",)}
REACHES = {"ok": set(SERVICES), "slow": set(SERVICES), "fail": set(SERVICES) - {"notifications"}}
PER_SECOND = 10.0
TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")


@dataclass
class Request:
    id: str
    mode: str                          # ok | slow | fail
    strip: bool = False                # chaos: x-chaos-strip sent
    sent_trace_id: str | None = None   # chaos: the traceparent an upstream proxy would have sent
    sent_parent_id: str | None = None
    status: int = 0
    trace_id: str | None = None        # the trace the edge recorded the request under
    sampled: bool = False
    seen_traceparent: str | None = None


def plan(prefix: str, mix: dict[str, int], seed: int, chaos: bool = False) -> list[Request]:
    rng = random.Random(seed)
    modes = [mode for mode, n in mix.items() for _ in range(n)]
    rng.shuffle(modes)
    requests = [Request(f"{prefix}-{i:03d}", mode) for i, mode in enumerate(modes)]
    if chaos:
        stripped = set(rng.sample(range(len(requests)), len(requests) // 2))
        for i, request in enumerate(requests):
            request.strip = i in stripped
            request.sent_trace_id, request.sent_parent_id = secrets.token_hex(16), secrets.token_hex(8)
    return requests


def drive(edge_port: int, requests: list[Request], deadline_s: float = 90.0) -> None:
    """One GET /checkout per request, paced at PER_SECOND; bounded by the plan and `deadline_s`."""
    started = time.monotonic()
    for i, request in enumerate(requests):
        pause = started + i / PER_SECOND - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        if time.monotonic() - started > deadline_s:
            raise TimeoutError(f"sent only {i} of {len(requests)} requests in {deadline_s}s")
        headers = {}
        if request.sent_trace_id:
            headers["traceparent"] = f"00-{request.sent_trace_id}-{request.sent_parent_id}-01"
        if request.strip:
            headers["x-chaos-strip"] = "1"
        answer = support.http_get(f"http://{HOST}:{edge_port}/checkout?id={request.id}&mode={request.mode}",
                                  headers)
        request.status = answer.status
        if answer.status == 200:
            body = json.loads(answer.body)
            request.trace_id, request.sampled = body["trace_id"], body["sampled"]
            request.seen_traceparent = body["traceparent_seen"]


def by_trace(spans: list[Span]) -> dict[str, list[Span]]:
    grouped: dict[str, list[Span]] = defaultdict(list)
    for span in spans:
        grouped[span.trace_id].append(span)
    return grouped


def service(span: Span) -> str:
    return str(span.resource.get("service.name"))


@dataclass
class TraceView:
    """One trace as the backend holds it, and how its hops are linked."""

    spans: list[Span]
    by_id: dict[str, Span] = field(init=False)

    def __post_init__(self) -> None:
        self.by_id = {s.span_id: s for s in self.spans}

    @property
    def services(self) -> set[str]:
        return {service(s) for s in self.spans}

    @property
    def languages(self) -> set[str]:
        return {str(s.resource.get("telemetry.sdk.language")) for s in self.spans}

    def of(self, name: str, kind: int) -> list[Span]:
        return [s for s in self.spans if service(s) == name and s.kind == kind]

    @property
    def roots(self) -> list[Span]:
        return [s for s in self.spans if not s.parent_span_id]

    @property
    def dangling(self) -> list[Span]:
        """Spans whose parent is not in the trace."""
        return [s for s in self.spans if s.parent_span_id and s.parent_span_id not in self.by_id]

    def edge_server(self) -> Span | None:
        servers = self.of("edge", KIND_SERVER)
        return servers[0] if servers else None

    def http_linked(self, caller: str, callee: str) -> bool:
        return any(s.parent_span_id in self.by_id and service(self.by_id[s.parent_span_id]) == caller
                   and self.by_id[s.parent_span_id].kind == KIND_CLIENT for s in self.of(callee, KIND_SERVER))

    def broker_link(self, producer: str, consumer: str) -> tuple[Span, Span] | None:
        """(producer span, consumer span) where the consumer's parent is the producer's span."""
        producers = {s.span_id: s for s in self.of(producer, KIND_PRODUCER)}
        for span in self.of(consumer, KIND_CONSUMER):
            if span.parent_span_id in producers:
                return producers[span.parent_span_id], span
        return None

    def broken_hops(self, mode: str) -> list[str]:
        reaches = REACHES[mode]
        broken = [f"{a} -HTTP-> {b}" for a, b in HTTP_HOPS if b in reaches and not self.http_linked(a, b)]
        broken += [f"{p} -{topic}-> {c}" for topic, p, c in BROKER_HOPS
                   if topic in TOPICS[mode] and self.broker_link(p, c) is None]
        missing = reaches - self.services
        return broken + ([f"services missing: {sorted(missing)}"] if missing else [])

    @property
    def has_error(self) -> bool:
        return any(s.status_code == STATUS_ERROR for s in self.spans)

    def tree(self) -> list[str]:
        """`service KIND name` lines, indented under their parents, in start order."""
        kinds = {1: "INTERNAL", KIND_SERVER: "SERVER", KIND_CLIENT: "CLIENT", KIND_PRODUCER: "PRODUCER",
                 KIND_CONSUMER: "CONSUMER"}
        children: dict[str, list[Span]] = defaultdict(list)
        for span in self.spans:
            children[span.parent_span_id if span.parent_span_id in self.by_id else ""].append(span)
        lines: list[str] = []

        def walk(span: Span, depth: int) -> None:
            error = " (ERROR)" if span.status_code == STATUS_ERROR else ""
            lines.append(f"{'  ' * depth}{service(span)} [{span.resource.get('telemetry.sdk.language')}] "
                         f"{kinds.get(span.kind, span.kind)} {span.name}{error}")
            for child in sorted(children[span.span_id], key=lambda s: s.start_ns):
                walk(child, depth + 1)

        for root in sorted(children[""], key=lambda s: s.start_ns):
            walk(root, 0)
        return lines


class OrphanView(TraceView):
    """A trace that starts at fulfillment's consumer: the hops before it do not exist."""

    def broken_hops(self, mode: str) -> list[str]:
        reaches = REACHES[mode] - {"edge", "orders"}
        broken = [] if self.http_linked("fulfillment", "inventory") else ["fulfillment -HTTP-> inventory"]
        broken += [f"{p} -{topic}-> {c}" for topic, p, c in BROKER_HOPS
                   if topic in TOPICS[mode] and topic != "orders" and self.broker_link(p, c) is None]
        missing = reaches - self.services
        return broken + ([f"services missing: {sorted(missing)}"] if missing else [])

