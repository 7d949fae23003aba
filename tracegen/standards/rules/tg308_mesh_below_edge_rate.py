"""TG308 sampling.mesh-below-edge-rate (warning)

With `sampling.strategy: edge_head` the edge's head rate is the volume cap, and the first proxy
decides it: Istio or the ingress takes its share before the edge service's parent-based SDK, which
only follows. A proxy sampling less than the SDK's ratio makes that ratio a fiction (edge_rate 0.5
behind a 10 % mesh keeps 10 %). Leave the mesh percentage unset (it follows the strategy) or make
them agree.

Bad:

    mesh:
      istio: {sampling_percentage: 5}
    sampling:
      strategy: edge_head
      head: {edge_rate: 0.1}

Good:

    standards:
      sampling_targets: {errors: 0.1, slow: 0.1, coverage: 0.1}
    mesh:
      istio: {sampling_percentage: 10}
    sampling:
      strategy: edge_head
      head: {edge_rate: 0.1}
"""

from __future__ import annotations

from collections.abc import Iterator

from tracegen.blueprint.loader import LoadedBlueprint
from tracegen.plan.retention import COLLECTOR, pct
from tracegen.standards.finding import Hit, Severity
from tracegen.standards.rules._common import sampling_models

NAME = "sampling.mesh-below-edge-rate"
SEVERITY = Severity.WARNING


def check(loaded: LoadedBlueprint) -> Iterator[Hit]:
    for env, model in sampling_models(loaded):
        if model.strategy == COLLECTOR:
            continue  # TG302 speaks: the mesh must pass everything
        ratios = {s.stage.removeprefix("sdk:"): s.ratio for s in model.chain if s.stage.startswith("sdk:")}
        for stage in model.chain:
            if stage.stage not in ("mesh", "ingress") or stage.kind != "head":
                continue
            wanted = max((ratios.get(root) or 0.0) for root in stage.roots) if stage.roots else 0.0
            if stage.keeps < wanted - 1e-9:
                yield Hit(stage.path, f"{stage.label} but the edge SDK asks for {pct(wanted)}: the proxy decides "
                                      f"first, so only {pct(stage.keeps)} arrive; make them agree",
                          environment=env)
