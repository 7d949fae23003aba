"""TG302 sampling.mesh-starves-tail (error)

The mesh's head decision comes first: when Istio samples 1%, the collector only ever sees 1% of
the traces, so tail sampling cannot keep the errors and slow traces in the other 99%. Keep the
mesh at 10% or more while tail sampling is on (or move all sampling to the collector).

Bad:

    mesh:
      istio: {sampling_percentage: 1}
    sampling:
      tail:
        policies:
          - {name: keep-errors, type: errors}

Good:

    mesh:
      istio: {sampling_percentage: 10}
    sampling:
      tail:
        policies:
          - {name: keep-errors, type: errors}
"""

from __future__ import annotations

from collections.abc import Iterator

from tracegen.blueprint.loader import LoadedBlueprint
from tracegen.standards.finding import Hit, Severity
from tracegen.standards.rules._common import tail_on, views

NAME = "sampling.mesh-starves-tail"
SEVERITY = Severity.ERROR
MINIMUM = 10.0


def check(loaded: LoadedBlueprint) -> Iterator[Hit]:
    for env, bp in views(loaded):
        istio = bp.mesh.istio
        if istio is None or not tail_on(bp.sampling) or istio.sampling_percentage >= MINIMUM:
            continue
        yield Hit(("mesh", "istio", "sampling_percentage"),
                  f"Istio samples {istio.sampling_percentage:g}% while the collector tail-samples: tail "
                  f"policies only ever see that share; set mesh.istio.sampling_percentage to at least "
                  f"{MINIMUM:g}", environment=env)
