"""Which changes can lose data (or let personal data through). Each rule names what is lost; the
diff marks the change with it. The rules:

- an exporter removed, or removed from a pipeline; a pipeline removed; a collector config removed;
  a receiver removed, or removed from a pipeline;
- sampling tightened: a probabilistic percentage or head-sampler ratio lowered (collector, SDK
  env/properties/declarative config, Istio, Jaeger remote strategies), a rate limit lowered, a
  tail-sampling policy removed, `decision_wait` shortened, a sampler leaving `always_on`, a
  sampling or filter processor added to a pipeline;
- a PII/attribute rule removed: an attributes/transform/redaction processor removed (or taken out
  of a pipeline), or any of its actions, statements or patterns removed;
- a persistent queue removed (`sending_queue.storage`, the queue itself, a `file_storage`
  extension), a sending queue or retries turned off.
"""

from __future__ import annotations

import re
from typing import Any

from tracegen.diff.documents import looks_like_collector
from tracegen.diff.redact import redact_line

PII_PROCESSORS = frozenset({"attributes", "transform", "redaction"})
DROPPING_PROCESSORS = frozenset({"probabilistic_sampler", "tail_sampling", "filter"})
# Keys whose value is a share or rate of traces kept: lowering one keeps less.
RATE_KEYS = frozenset({"sampling_percentage", "ratio", "randomSamplingPercentage", "OTEL_TRACES_SAMPLER_ARG",
                       "otel.traces.sampler.arg", "otel-sampler-ratio", "sampling_rate", "param",
                       "spans_per_second", "max_traces_per_second", "hash_seed_percentage"})
SAMPLER_KEYS = frozenset({"OTEL_TRACES_SAMPLER", "otel.traces.sampler", "otel-sampler"})


def judge(op: str, path: tuple[str, ...], old: Any, new: Any, root: int | None) -> str | None:
    """What the change can lose, or None. `root`: where in `path` the enclosing collector config starts.
    The reason quotes names and numbers, redacted like every other value shown."""
    found = _judge(op, path, old, new, root)
    return redact_line(found) if found else None


def _judge(op: str, path: tuple[str, ...], old: Any, new: Any, root: int | None) -> str | None:
    if op == "removed" and _holds_collector(old):
        return f"collector config removed{_exporters_of(old)}"
    if root is not None:
        found = _collector(op, path[root:], old, new)
        if found:
            return found
    return _sampling(op, path, old, new)


def _collector(op: str, local: tuple[str, ...], old: Any, new: Any) -> str | None:
    bare = [_bare(p) for p in local]
    head = bare[0] if bare else ""
    if head == "exporters":
        return _exporter(op, bare, old, new)
    if head == "service":
        return _service(op, bare, old, new)
    if head == "receivers" and op == "removed" and len(bare) == 2:
        return f"receiver {bare[1]} removed: what is sent to it is refused"
    if head == "processors" and len(bare) >= 2:
        return _processor(op, bare, old, new)
    if head == "extensions" and op == "removed":
        names = [bare[1]] if len(bare) == 2 else (list(old) if len(bare) == 1 and isinstance(old, dict) else [])
        stores = [n for n in names if _type(n) == "file_storage"]
        if stores:
            return f"persistent queue storage {', '.join(stores)} removed: data still queued in it is not sent"
    return None


def _exporter(op: str, bare: list[str], old: Any, new: Any) -> str | None:
    if op == "removed" and len(bare) == 1:
        return "every exporter removed"
    if op == "removed" and len(bare) == 2:
        return f"exporter {bare[1]} removed"
    tail = bare[2:]
    if tail == ["sending_queue"] and op == "removed":
        return f"exporter {bare[1]}'s sending queue removed: a backend outage drops data"
    if tail == ["sending_queue", "storage"] and old:
        if op == "removed" or not new:
            return f"exporter {bare[1]}'s persistent queue removed: queued data does not survive a restart"
        if op == "changed":
            return f"exporter {bare[1]}'s queue moves from {old} to {new}: data still queued in {old} is not sent"
    if tail in (["sending_queue", "enabled"], ["retry_on_failure", "enabled"]) and old is True and new is False:
        return f"exporter {bare[1]}'s {tail[0]} turned off: a backend outage drops data"
    if tail == ["retry_on_failure"] and op == "removed":
        return f"exporter {bare[1]}'s retries removed"
    return None


def _service(op: str, bare: list[str], old: Any, new: Any) -> str | None:
    if bare[:2] != ["service", "pipelines"] and not (bare == ["service"] and op == "removed"):
        return None
    if op == "removed" and len(bare) <= 2:
        return "every pipeline removed"
    if len(bare) == 3 and op == "removed":
        return f"pipeline {bare[2]} removed"
    if len(bare) >= 4 and bare[3] == "exporters":
        gone = _gone(bare, op, old, new)
        if gone:
            return f"exporter {', '.join(gone)} removed from pipeline {bare[2]}"
    if len(bare) >= 4 and bare[3] == "receivers":
        gone = _gone(bare, op, old, new)
        if gone:
            return f"receiver {', '.join(gone)} removed from pipeline {bare[2]}: what it receives no longer flows there"
    if len(bare) >= 4 and bare[3] == "processors":
        gone = [p for p in _gone(bare, op, old, new) if _type(p) in PII_PROCESSORS]
        if gone:
            return f"PII/attribute rule {', '.join(gone)} removed from pipeline {bare[2]}"
        added = [p for p in _gone(bare, op, new, old, added=True) if _type(p) in DROPPING_PROCESSORS]
        if added:
            return f"{', '.join(added)} added to pipeline {bare[2]}: it drops spans"
    return None


def _gone(bare: list[str], op: str, old: Any, new: Any, added: bool = False) -> list[str]:
    """Items of a pipeline's component list that `old` has and `new` lacks (a removed item is its
    own change `[id]`; a list replaced whole compares the lists)."""
    if len(bare) == 5 and op == ("added" if added else "removed"):
        return [bare[4]]
    if len(bare) == 4 and isinstance(old, list):
        return sorted(str(i) for i in old if not isinstance(new, list) or i not in new)
    return []


def _processor(op: str, bare: list[str], old: Any, new: Any) -> str | None:
    kind = _type(bare[1])
    if kind in PII_PROCESSORS and op == "removed":
        return (f"PII/attribute rule processor {bare[1]} removed" if len(bare) == 2
                else f"PII/attribute rule removed from {bare[1]} ({'.'.join(bare[2:])})")
    if kind == "tail_sampling":
        if op == "removed" and len(bare) == 2:
            return "tail sampling processor removed"
        if op == "removed" and bare[2:3] == ["policies"] and len(bare) <= 4:
            return f"tail-sampling policy {bare[3]} removed" if len(bare) == 4 else "every tail-sampling policy removed"
        if bare[-1] == "decision_wait" and op == "changed":
            before, after = _seconds(old), _seconds(new)
            if before is not None and after is not None and after < before:
                return f"decision_wait shortened from {old} to {new}: spans arriving later miss the decision"
    return None


def _sampling(op: str, path: tuple[str, ...], old: Any, new: Any) -> str | None:
    key = _bare(path[-1]) if path else ""
    if op == "changed" and key in RATE_KEYS:
        before, after = _number(old), _number(new)
        if before is not None and after is not None and after < before:
            return f"sampling tightened: {key} lowered from {old} to {new}"
    if op == "changed" and key in SAMPLER_KEYS and isinstance(old, str) and isinstance(new, str):
        if "always_on" in old and "always_on" not in new:
            return f"sampling tightened: sampler changed from {old} to {new}"
    return None


def _holds_collector(value: Any) -> bool:
    if looks_like_collector(value):
        return True
    if isinstance(value, dict):
        return any(_holds_collector(v) for v in value.values())
    if isinstance(value, list):
        return any(_holds_collector(v) for v in value)
    return False


def _exporters_of(value: Any) -> str:
    found: set[str] = set()

    def visit(item: Any) -> None:
        if looks_like_collector(item):
            found.update(str(e) for e in (item.get("exporters") or {}))
        elif isinstance(item, dict):
            for v in item.values():
                visit(v)
        elif isinstance(item, list):
            for v in item:
                visit(v)

    visit(value)
    return f" with its exporters ({', '.join(sorted(found))})" if found else ""


def _bare(part: str) -> str:
    return part[1:-1] if part.startswith("[") and part.endswith("]") else part


def _type(component_id: str) -> str:
    return component_id.split("/", 1)[0]


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def _seconds(value: Any) -> float | None:
    """A Go duration (`10s`, `1m30s`, `500ms`) in seconds; a bare number is seconds."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, str) or not value:
        return None
    parts = _DURATION.findall(value)
    if "".join(n + u for n, u in parts) != value:
        return None
    return sum(float(n) * _UNITS[u] for n, u in parts)
