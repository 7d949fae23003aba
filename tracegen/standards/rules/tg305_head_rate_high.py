"""TG305 sampling.head-rate-high (warning)

Head sampling at the edge caps volume before anything is exported: 5-10% is plenty for healthy
traffic, and tail sampling keeps the errors and slow traces on top. Tracing 100% of traffic
multiplies ingest and storage cost without telling you more. Rates above 25% need a reason
(suppress this finding with one), e.g. a low-traffic service.

Bad:

    sampling:
      head: {edge_rate: 1.0}

Good:

    sampling:
      head: {edge_rate: 0.1}
"""

from __future__ import annotations

from collections.abc import Iterator

from tracegen.blueprint.loader import LoadedBlueprint
from tracegen.standards.finding import Hit, Severity
from tracegen.standards.rules._common import views

NAME = "sampling.head-rate-high"
SEVERITY = Severity.WARNING
LIMIT = 0.25


def check(loaded: LoadedBlueprint) -> Iterator[Hit]:
    for env, bp in views(loaded):
        head = bp.sampling.head
        if head.edge_rate > LIMIT:
            yield Hit(("sampling", "head", "edge_rate"),
                      f"head sampling keeps {head.edge_rate:.0%} of traces at the edge: 5-10% is plenty for "
                      "healthy traffic; lower edge_rate and let tail policies keep errors and slow traces",
                      environment=env)
        for name, ratio in head.services.items():
            if ratio > LIMIT:
                yield Hit(("sampling", "head", "services", name),
                          f"service '{name}' samples {ratio:.0%} of its root traces: lower it to 0.05-0.1 "
                          "unless its traffic is tiny (then suppress with the reason)", environment=env)
