"""TG103 propagation.custom-propagator (warning)

The standard is W3C `tracecontext` plus `baggage`, with B3 (`b3`, `b3multi`) only at legacy edges.
Any other propagator (jaeger, xray, ottrace, a home-grown header) is a custom header: hops that
do not speak it lose the context, and every SDK, proxy and mesh must be taught it. Ban them.

Bad:

    standards:
      propagators: [tracecontext, baggage, xray]

Good:

    standards:
      propagators: [tracecontext, baggage]
"""

from __future__ import annotations

from collections.abc import Iterator

from tracegen.blueprint.loader import LoadedBlueprint
from tracegen.standards.finding import Hit, Severity
from tracegen.standards.rules._common import views

NAME = "propagation.custom-propagator"
SEVERITY = Severity.WARNING
ALLOWED = ("tracecontext", "baggage", "b3", "b3multi")


def _message(where: str, propagator: str) -> str:
    return (f"{where} propagator '{propagator}' is not one of {', '.join(ALLOWED)}: remove it; custom "
            "headers break traces at every hop that does not speak them")


def check(loaded: LoadedBlueprint) -> Iterator[Hit]:
    for env, bp in views(loaded):
        for index, propagator in enumerate(bp.standards.propagators):
            if propagator not in ALLOWED:
                yield Hit(("standards", "propagators", index), _message("organisation-wide", propagator),
                          environment=env)
    for name, service in loaded.blueprint.services.items():
        for index, propagator in enumerate(service.propagators or ()):
            if propagator not in ALLOWED:
                yield Hit(("services", name, "propagators", index), _message(f"service '{name}':", propagator))
