"""TL403 connectors.cycle (error)

Connectors join pipelines: a connector is an exporter of one pipeline and a receiver of the next.
If following them leads back to a pipeline already passed, data loops forever; the collector
refuses such a config ("cycle detected"). Break the cycle: a pipeline that feeds a connector must
not, directly or through others, receive from it.

Bad:

    connectors:
      forward/a: {}
      forward/b: {}
    service:
      pipelines:
        traces/in: {receivers: [otlp, forward/b], exporters: [forward/a]}
        traces/out: {receivers: [forward/a], exporters: [forward/b]}

Good:

    service:
      pipelines:
        traces/in: {receivers: [otlp], exporters: [forward/a]}
        traces/out: {receivers: [forward/a], exporters: [otlp_grpc/backend]}
"""

from __future__ import annotations

from collections.abc import Iterator

from tracegen.lint.config import CollectorConfig
from tracegen.standards.finding import Hit, Severity

NAME = "connectors.cycle"
SEVERITY = Severity.ERROR


def _edges(config: CollectorConfig) -> dict[str, list[tuple[str, str]]]:
    """pipeline -> [(connector, pipeline it feeds)]."""
    connectors = set(config.section("connectors"))
    pipelines = dict(config.pipelines())
    return {name: [(c, other) for c in pipeline["exporters"] if c in connectors
                   for other, target in pipelines.items() if c in target["receivers"]]
            for name, pipeline in pipelines.items()}


def check(config: CollectorConfig) -> Iterator[Hit]:
    edges = _edges(config)
    reported: set[frozenset] = set()
    for start in sorted(edges):
        stack = [(start, [start], [])]
        while stack:
            node, seen, via = stack.pop()
            for connector, nxt in edges.get(node, []):
                if nxt == start:
                    loop = frozenset(seen)
                    if loop not in reported:
                        reported.add(loop)
                        route = " -> ".join(f"{p} [{c}]" for p, c in zip(seen, via + [connector])) + f" -> {start}"
                        yield Hit(("service", "pipelines", start),
                                  f"connectors form a cycle: {route}; break it (a pipeline must not receive what "
                                  "it feeds)")
                elif nxt not in seen:
                    stack.append((nxt, seen + [nxt], via + [connector]))
