"""TG304 sampling.trace-buffer-small (error)

The tail sampler holds every trace it has not decided yet: `num_traces` of them. It needs room
for all traces that start during one `decision_wait` at peak (new traces per second, the sum of
the edge services' `peak_rps`, times the wait); when the buffer is full it evicts the oldest
traces before their decision, and error traces vanish at exactly the busiest moment. Leave
`num_traces` unset to let tracegen size it (peak x wait x 2), or give at least that much.

Bad:

    services:
      api: {version: 1.0.0, language: go, edge: true, peak_rps: 2000}
    sampling:
      tail:
        decision_wait: 10s
        num_traces: 5000
        policies:
          - {name: keep-errors, type: errors}

Good:

    services:
      api: {version: 1.0.0, language: go, edge: true, peak_rps: 2000}
    sampling:
      tail:
        decision_wait: 10s
        num_traces: 40000
        policies:
          - {name: keep-errors, type: errors}
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from tracegen.blueprint.loader import LoadedBlueprint
from tracegen.blueprint.model import Blueprint, duration_seconds
from tracegen.standards.finding import Hit, Severity
from tracegen.standards.rules._common import tail_on, views

NAME = "sampling.trace-buffer-small"
SEVERITY = Severity.ERROR


def peak_new_traces(bp: Blueprint) -> float:
    """Traces start at the edge; without a declared edge every service may start them."""
    edges = [service.peak_rps for service in bp.services.values() if service.edge]
    return sum(edges) if edges else sum(service.peak_rps for service in bp.services.values())


def check(loaded: LoadedBlueprint) -> Iterator[Hit]:
    for env, bp in views(loaded):
        tail = bp.sampling.tail
        if not tail_on(bp.sampling) or tail.num_traces is None:
            continue
        needed = math.ceil(peak_new_traces(bp) * duration_seconds(tail.decision_wait))
        if tail.num_traces < needed:
            yield Hit(("sampling", "tail", "num_traces"),
                      f"num_traces {tail.num_traces} cannot hold the {needed} traces that start during one "
                      f"decision_wait at peak: raise it to at least {needed} (tracegen's default is twice "
                      "that), or remove it", environment=env)
