"""The playbook's exit criteria measured on real spans, against the blueprint's targets.

- Trace coverage: the share of traces that are whole (one root, every parent present). A planned
  service that sent no span at all is reported on its own: nothing of it is covered.
- Propagation per hop: a CLIENT or PRODUCER span of service A (not a database call) succeeded when a
  span of another service is its child. The hop is A -> the child's service; for a failure, the
  callee is read from the span's peer attributes when they name a planned service, else the one
  service A calls in the blueprint, else it stays unnamed (`A -> ?`).
- Unparented calls: a non-edge service that other services call should never start a trace; its
  SERVER or CONSUMER spans without a parent are calls whose context was lost on the way in (seen
  from the callee, as the generated Prometheus alert sees them; named with the planned callers).
- Orphan spans: spans whose parent is not in their trace (lost, or still in a queue).
- Error capture: error spans received per service, against the span metrics' error count (computed
  before sampling) when `--span-metrics` gives their Prometheus endpoint; not measured otherwise.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from tracegen.verify.spans import PEER_KEYS, Span

OUTBOUND = ("client", "producer")
INBOUND = ("server", "consumer")
UNKNOWN = "?"


@dataclass(frozen=True)
class Topology:
    """What the blueprint says about the services (from the plan)."""
    services: tuple[str, ...]
    edges: frozenset[str]
    calls: dict[str, tuple[str, ...]]          # caller -> services it calls or produces to

    def callers(self, service: str) -> list[str]:
        return sorted(a for a, callees in self.calls.items() if service in callees)


@dataclass
class Hop:
    caller: str
    callee: str
    ok: int = 0
    failed: int = 0

    @property
    def success(self) -> float:
        total = self.ok + self.failed
        return self.ok / total if total else 1.0


@dataclass
class Measures:
    spans: int
    traces: int
    whole_traces: int
    orphans: dict[str, int]                        # service -> spans whose parent is missing
    hops: dict[tuple[str, str], Hop]
    missing_services: list[str]
    # Non-edge services other services call: (SERVER/CONSUMER spans that started a trace, all of them).
    unparented: dict[str, tuple[int, int]]
    error_spans: dict[str, int]
    errors_before_sampling: dict[str, float] | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def coverage(self) -> float:
        return self.whole_traces / self.traces if self.traces else 0.0

    def error_capture(self) -> dict[str, float]:
        if self.errors_before_sampling is None:
            return {}
        return {service: min(1.0, self.error_spans.get(service, 0) / expected)
                for service, expected in sorted(self.errors_before_sampling.items()) if expected > 0}


def _callee(span: Span, topology: Topology) -> str:
    for key in PEER_KEYS:
        value = str(span.attributes.get(key) or "")
        host = value.split(":")[0].split(".")[0]
        if value in topology.services:
            return value
        if host in topology.services:
            return host
    planned = topology.calls.get(span.service, ())
    return planned[0] if len(planned) == 1 else UNKNOWN


def measure(spans: Iterable[Span], topology: Topology) -> Measures:
    traces: dict[str, list[Span]] = defaultdict(list)
    for span in spans:
        traces[span.trace_id].append(span)
    hops: dict[tuple[str, str], Hop] = {}
    orphans: dict[str, int] = defaultdict(int)
    errors: dict[str, int] = defaultdict(int)
    inbound: dict[str, list[int]] = {}
    whole = 0
    seen_services: set[str] = set()

    def hop(caller: str, callee: str) -> Hop:
        return hops.setdefault((caller, callee), Hop(caller, callee))

    for members in traces.values():
        ids = {s.span_id for s in members}
        children: dict[str, list[Span]] = defaultdict(list)
        for span in members:
            children[span.parent_id].append(span)
        roots = [s for s in members if not s.parent_id]
        lost = [s for s in members if s.parent_id and s.parent_id not in ids]
        whole += len(roots) == 1 and not lost
        for span in members:
            seen_services.add(span.service)
            errors[span.service] += span.error
        for span in lost:
            orphans[span.service] += 1
        for span in members:
            if span.kind in OUTBOUND and not span.database:
                remote = [c for c in children.get(span.span_id, ()) if c.service != span.service]
                if remote:
                    for child in {c.service for c in remote}:
                        hop(span.service, child).ok += 1
                else:
                    hop(span.service, _callee(span, topology)).failed += 1
            if span.kind in INBOUND and span.service not in topology.edges and topology.callers(span.service):
                counts = inbound.setdefault(span.service, [0, 0])
                counts[0] += not span.parent_id
                counts[1] += 1
    missing = sorted(set(topology.services) - seen_services)
    return Measures(spans=sum(len(m) for m in traces.values()), traces=len(traces), whole_traces=whole,
                    orphans=dict(orphans), hops=dict(sorted(hops.items())), missing_services=missing,
                    unparented={k: (v[0], v[1]) for k, v in sorted(inbound.items())},
                    error_spans={k: v for k, v in errors.items() if v})
