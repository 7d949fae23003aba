"""TG302 sampling.mesh-starves-tail (error)

With `sampling.strategy: collector` (the default) the gateway tier decides, so every head decision
before it must pass 100 %: the first proxy's decision wins and travels in the `sampled` flag, and
the parent-based SDKs behind it obey. An Istio mesh at 10 % (or an ingress sampling 10 %) means
90 % of the traces, errors included, are never created and the tail policies never see them. Set
the mesh and the ingress to 100 % (tracegen's default for this strategy), or declare
`strategy: edge_head` with its lowered targets if the cap at the edge is what you want.

Bad:

    mesh:
      istio: {sampling_percentage: 10}
    sampling:
      tail:
        policies:
          - {name: keep-errors, type: errors}

Good:

    mesh:
      istio: {sampling_percentage: 100}
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
from tracegen.plan.retention import COLLECTOR, pct
from tracegen.standards.finding import Hit, Severity
from tracegen.standards.rules._common import sampling_models

NAME = "sampling.mesh-starves-tail"
SEVERITY = Severity.ERROR


def check(loaded: LoadedBlueprint) -> Iterator[Hit]:
    for env, model in sampling_models(loaded):
        if model.strategy != COLLECTOR:
            continue
        for stage in model.head_losses:
            if stage.stage in ("mesh", "ingress"):
                yield Hit(stage.path, f"{stage.label} while the collector decides: {pct(1 - stage.keeps)} of "
                                      f"the traces it decides for, errors included, are never created; "
                                      f"{stage.fix}", environment=env)
