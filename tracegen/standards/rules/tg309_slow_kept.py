"""TG309 sampling.slow-kept (error)

Slow traces (above the lowest latency policy's threshold) must reach the backends:
`standards.sampling_targets.slow` (default 0.99) of them. Like errors, they are lost for good at
any head decision that drops them, and the gateway keeps them only with a `latency` policy without
an upper bound. The message names the stage that loses them.

Bad:

    sampling:
      tail:
        policies:
          - {name: keep-errors, type: errors}
          - {name: baseline, type: probabilistic, percentage: 10}

Good:

    sampling:
      tail:
        policies:
          - {name: keep-errors, type: errors}
          - {name: keep-slow, type: latency, threshold_ms: 500}
          - {name: baseline, type: probabilistic, percentage: 10}
"""

from __future__ import annotations

from collections.abc import Iterator

from tracegen.blueprint.loader import LoadedBlueprint
from tracegen.standards.finding import Hit, Severity
from tracegen.standards.rules._common import reported_by_tg301, sampling_models, shortfall

NAME = "sampling.slow-kept"
SEVERITY = Severity.ERROR


def check(loaded: LoadedBlueprint) -> Iterator[Hit]:
    for env, model in sampling_models(loaded):
        if model.head_losses and reported_by_tg301(model, model.head_losses[0].stage):
            continue  # TG301 names the head stage that loses every class
        tail = (("sampling", "tail", "policies"),
                "no latency policy (without an upper bound) keeps slow traces: the gateway keeps them only "
                "with the baseline share; add {name: keep-slow, type: latency, threshold_ms: 500}")
        found = shortfall(model, "slow", tail)
        if found:
            yield Hit(found[0], found[1], environment=env)
