"""TG310 sampling.coverage (error)

Trace coverage before sampling: the share of root requests whose trace is recorded at all, before
the gateway's tail decision, must reach `standards.sampling_targets.coverage` (default 0.9). Every
head decision (ingress, Istio, an SDK root sampler at an edge service or at a job or consumer that
starts traces) lowers it; the tail sampler cannot raise it. The message names the stage.

Bad:

    standards:
      sampling_targets: {errors: 0.5, slow: 0.5}
    sampling:
      strategy: edge_head
      head: {edge_rate: 0.5}

Good:

    standards:
      sampling_targets: {errors: 0.5, slow: 0.5, coverage: 0.5}
    sampling:
      strategy: edge_head
      head: {edge_rate: 0.5}
"""

from __future__ import annotations

from collections.abc import Iterator

from tracegen.blueprint.loader import LoadedBlueprint
from tracegen.standards.finding import Hit, Severity
from tracegen.standards.rules._common import reported_by_tg301, sampling_models, shortfall

NAME = "sampling.coverage"
SEVERITY = Severity.ERROR


def check(loaded: LoadedBlueprint) -> Iterator[Hit]:
    for env, model in sampling_models(loaded):
        if model.head_losses and reported_by_tg301(model, model.head_losses[0].stage):
            continue  # TG301 names the head stage that loses every class
        found = shortfall(model, "coverage", None)
        if found:
            yield Hit(found[0], found[1], environment=env)
