"""What reached a backend, measured against what was sent."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from .receiver import Span
from .traffic import CLASSES, SentTrace

MUST_KEEP = ("error", "slow")


def by_trace(spans: Iterable[Span]) -> dict[str, list[Span]]:
    grouped: dict[str, list[Span]] = defaultdict(list)
    for span in spans:
        grouped[span.trace_id].append(span)
    return grouped


@dataclass
class ClassTally:
    sent: int = 0
    kept: int = 0                      # traces with at least one span at the backend
    complete: int = 0                  # kept with every span sent
    spans_expected: int = 0            # spans of kept traces
    spans_missing: int = 0             # of kept traces: sent but not received
    duplicates: int = 0                # spans received more than once
    partial: list[str] = field(default_factory=list)   # trace ids kept incomplete

    @property
    def dropped(self) -> int:
        return self.sent - self.kept


def tally(sent: Iterable[SentTrace], spans: Iterable[Span]) -> dict[str, ClassTally]:
    received = by_trace(spans)
    out = {cls: ClassTally() for cls in CLASSES}
    for item in sent:
        t = out[item.cls]
        t.sent += 1
        got = received.get(item.trace_id, [])
        if not got:
            continue
        t.kept += 1
        ids = [s.span_id for s in got]
        unique = set(ids)
        t.duplicates += len(ids) - len(unique)
        t.spans_expected += len(item.span_ids)
        missing = item.span_ids - unique
        t.spans_missing += len(missing)
        if missing:
            t.partial.append(item.trace_id)
        else:
            t.complete += 1
    return out


def missing_spans(sent: Iterable[SentTrace], spans: Iterable[Span]) -> dict[str, set[str]]:
    """trace id -> span ids sent but never received (only traces with something missing)."""
    received: dict[str, set[str]] = defaultdict(set)
    for span in spans:
        received[span.trace_id].add(span.span_id)
    return {t.trace_id: set(t.span_ids - received.get(t.trace_id, set()))
            for t in sent if t.span_ids - received.get(t.trace_id, set())}


def stray_traces(sent: Iterable[SentTrace], spans: Iterable[Span]) -> set[str]:
    """Trace ids received that nobody sent (there must be none)."""
    known = {t.trace_id for t in sent}
    return {s.trace_id for s in spans} - known


def binomial_bounds(n: int, p: float, sigmas: float = 4.0) -> tuple[int, int]:
    """Accept [lo, hi] for a Binomial(n, p) count: mean +- `sigmas` standard deviations (4 sigma:
    a correct sampler fails this about once in 16,000 runs)."""
    mean = n * p
    spread = sigmas * math.sqrt(n * p * (1 - p))
    return max(0, math.floor(mean - spread)), min(n, math.ceil(mean + spread))


def format_tally(title: str, tallies: dict[str, ClassTally]) -> list[str]:
    lines = [title]
    for cls, t in tallies.items():
        share = f"{100.0 * t.kept / t.sent:5.1f}%" if t.sent else "  -  "
        lines.append(f"  {cls:<8} sent {t.sent:4d}  kept {t.kept:4d} ({share})  dropped {t.dropped:4d}  "
                     f"complete {t.complete:4d}  spans missing {t.spans_missing}  duplicates {t.duplicates}")
    return lines
