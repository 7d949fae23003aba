"""TG307 sampling.policy-name-unique (error)

The collector's `tail_sampling` processor refuses a configuration in which two policies share a
name. A sampling mode adds its `add_policies` to the base policies, so their names must differ
from the base names too, or switching to that mode breaks the collector. A capped probabilistic
policy P runs as the `and` of `P-share` and `P-cap`, so no other policy may take those names
(the collector's logs and metrics would mix them up). The planner refuses to build it, so this
finding cannot be suppressed.

Bad:

    sampling:
      tail:
        policies:
          - {name: keep, type: errors}
          - {name: keep, type: latency, threshold_ms: 500}

Good:

    sampling:
      tail:
        policies:
          - {name: keep-errors, type: errors}
          - {name: keep-slow, type: latency, threshold_ms: 500}
"""

from __future__ import annotations

from collections.abc import Iterator

from tracegen.blueprint.loader import LoadedBlueprint
from tracegen.plan.builder import refusals
from tracegen.standards.finding import Hit, Severity

NAME = "sampling.policy-name-unique"
SEVERITY = Severity.ERROR
SUPPRESSIBLE = False  # the planner refuses it (tracegen/plan/refusals.py), so check must too


def check(loaded: LoadedBlueprint) -> Iterator[Hit]:
    for refusal in refusals(loaded, "TG307"):
        yield Hit(refusal.path, refusal.message, environment=refusal.environment)
