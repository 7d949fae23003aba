"""TG301 sampling.errors-kept (error)

Error traces must reach the backends: `standards.sampling_targets.errors` (default 0.99) of them.
tracegen's retention model follows every trace through the decision chain (ingress, mesh, SDK root
samplers, the gateway's tail policies; see `tracegen plan`) and this rule judges what it keeps. A
head decision is taken before anyone knows the request will fail, and the spans it drops are never
created: with 10 % head sampling no tail policy can keep more than 10 % of the errors. So the apps
record every trace (the default, `sampling.strategy: collector`) and the gateway's `errors` policy
keeps them all. The message names the stage that loses them. `strategy: edge_head` (a volume cap
at the edge) needs the lowered target written in `standards.sampling_targets`.

Bad:

    sampling:
      head: {edge_rate: 0.1}
      tail:
        policies:
          - {name: keep-errors, type: errors}
          - {name: baseline, type: probabilistic, percentage: 10}

Good:

    sampling:
      strategy: collector
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
from tracegen.standards.rules._common import sampling_models, shortfall

NAME = "sampling.errors-kept"
SEVERITY = Severity.ERROR


def check(loaded: LoadedBlueprint) -> Iterator[Hit]:
    for env, model in sampling_models(loaded):
        tail = ((("sampling", "tail", "policies"),
                 f"no tail policy keeps error traces: the gateway keeps them only with the "
                 f"{model.retention.healthy / max(model.retention.coverage, 1e-12):.0%} baseline; add "
                 "{name: keep-errors, type: errors}"))
        found = shortfall(model, "errors", tail)
        if found:
            yield Hit(found[0], found[1], environment=env)
