"""TG308 sampling.mesh-below-edge-rate (warning)

Istio's head decision comes before the SDK's: the edge service's parent-based sampler follows
the sampled flag the mesh already set. A mesh that samples less than the edge's head rate makes
the edge rate a fiction (edge_rate 0.5 behind a 10% mesh keeps 10%). Make them agree: raise the
mesh percentage to at least edge_rate x 100, or lower the edge rate.

Bad:

    mesh:
      istio: {sampling_percentage: 10}
    sampling:
      head: {edge_rate: 0.5}

Good:

    mesh:
      istio: {sampling_percentage: 10}
    sampling:
      head: {edge_rate: 0.1}
"""

from __future__ import annotations

from collections.abc import Iterator

from tracegen.blueprint.loader import LoadedBlueprint
from tracegen.standards.finding import Hit, Severity
from tracegen.standards.rules._common import views

NAME = "sampling.mesh-below-edge-rate"
SEVERITY = Severity.WARNING


def check(loaded: LoadedBlueprint) -> Iterator[Hit]:
    for env, bp in views(loaded):
        istio = bp.mesh.istio
        wanted = round(bp.sampling.head.edge_rate * 100, 6)  # 0.07 * 100 is 7.000000000000001
        if istio is not None and istio.sampling_percentage < wanted:
            yield Hit(("mesh", "istio", "sampling_percentage"),
                      f"Istio samples {istio.sampling_percentage:g}% but the edge head rate asks for "
                      f"{wanted:g}%: the mesh decides first, so only {istio.sampling_percentage:g}% arrive; "
                      f"set sampling_percentage to {wanted:g} or lower sampling.head.edge_rate",
                      environment=env)
