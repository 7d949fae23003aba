"""TG101 propagation.b3-past-edge (error)

B3 headers are accepted only at legacy edges. Inside the system every hop speaks W3C
`traceparent`/`tracestate` (plus `baggage`); a service that propagates B3 past the edge splits
traces wherever a W3C-only hop sits next to it.

Bad:

    services:
      payments:
        version: 2.8.0
        language: java
        propagators: [tracecontext, baggage, b3]

Good (B3 only where old callers arrive, and the edge translates):

    services:
      edge-gateway:
        version: 3.2.0
        language: node
        edge: true
        legacy_edge: true
        propagators: [tracecontext, baggage, b3multi]
"""

from __future__ import annotations

from collections.abc import Iterator

from tracegen.blueprint.loader import LoadedBlueprint
from tracegen.standards.finding import Hit, Severity

NAME = "propagation.b3-past-edge"
SEVERITY = Severity.ERROR
B3 = {"b3", "b3multi"}


def check(loaded: LoadedBlueprint) -> Iterator[Hit]:
    bp = loaded.blueprint
    if B3 & set(bp.standards.propagators):
        yield Hit(("standards", "propagators"),
                  "B3 in the organisation-wide propagators reaches every hop; keep tracecontext,baggage "
                  "here and set b3 only on services marked legacy_edge")
    for name, service in bp.services.items():
        if service.propagators and B3 & set(service.propagators) and not (service.edge and service.legacy_edge):
            yield Hit(("services", name, "propagators"),
                      f"service '{name}' propagates B3 but is not a legacy edge; remove b3, or mark it "
                      "edge: true and legacy_edge: true if old callers really send B3")
