"""TG303 sampling.decision-wait-short (error)

The tail sampler decides `decision_wait` after a trace's first span. A latency policy keeps
traces slower than its threshold, but a trace that takes longer than `decision_wait` is judged
before its last spans arrive: they are dropped or kept as a separate fragment. decision_wait
must exceed the largest latency threshold (`threshold_ms`, `upper_threshold_ms`, modes included);
twice that, and not less than 5s, leaves room for late spans.

Bad:

    sampling:
      tail:
        decision_wait: 2s
        policies:
          - {name: keep-slow, type: latency, threshold_ms: 5000}

Good:

    sampling:
      tail:
        decision_wait: 10s
        policies:
          - {name: keep-errors, type: errors}
          - {name: keep-slow, type: latency, threshold_ms: 5000}
          - {name: baseline, type: probabilistic, percentage: 10}
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from tracegen.blueprint.loader import LoadedBlueprint
from tracegen.blueprint.model import duration_seconds
from tracegen.standards.finding import Hit, Severity
from tracegen.standards.rules._common import tail_on, tail_policies, views

NAME = "sampling.decision-wait-short"
SEVERITY = Severity.ERROR
FLOOR_S = 5


def check(loaded: LoadedBlueprint) -> Iterator[Hit]:
    for env, bp in views(loaded):
        if not tail_on(bp.sampling):
            continue
        thresholds = [ms for _, policy in tail_policies(bp.sampling) if policy.type == "latency"
                      for ms in (policy.threshold_ms, policy.upper_threshold_ms) if ms]
        if not thresholds:
            continue
        slowest = max(thresholds) / 1000
        wait = duration_seconds(bp.sampling.tail.decision_wait)
        if wait <= slowest:
            suggested = max(FLOOR_S, math.ceil(2 * slowest))
            yield Hit(("sampling", "tail", "decision_wait"),
                      f"decision_wait {bp.sampling.tail.decision_wait} does not exceed the slowest latency "
                      f"threshold ({slowest:g}s): slow traces are judged before their last spans arrive; "
                      f"set decision_wait to {suggested}s or more", environment=env)
