"""TG306 sampling.no-baseline-share (warning)

Tail policies that keep only errors, slow traces or chosen attributes leave no healthy traffic
in the backend: no baseline to compare a slow trace with, no RED metrics from sampled traces,
and nothing for a sampling mode's `probabilistic_percentage` to raise. Keep a share of the rest
with a `probabilistic` policy (a `rate_limit` policy also counts).

Bad:

    sampling:
      tail:
        policies:
          - {name: keep-errors, type: errors}

Good:

    sampling:
      tail:
        policies:
          - {name: keep-errors, type: errors}
          - {name: baseline, type: probabilistic, percentage: 10}
"""

from __future__ import annotations

from collections.abc import Iterator

from tracegen.blueprint.loader import LoadedBlueprint
from tracegen.standards.finding import Hit, Severity
from tracegen.standards.rules._common import tail_on, views

NAME = "sampling.no-baseline-share"
SEVERITY = Severity.WARNING
BASELINE = {"probabilistic", "rate_limit"}


def check(loaded: LoadedBlueprint) -> Iterator[Hit]:
    for env, bp in views(loaded):
        if tail_on(bp.sampling) and not any(p.type in BASELINE for p in bp.sampling.tail.policies):
            yield Hit(("sampling", "tail", "policies"),
                      "no tail policy keeps a share of healthy traffic: add "
                      "{name: baseline, type: probabilistic, percentage: 10}", environment=env)
