"""TG102 propagation.w3c-missing (error)

Every hop must extract and inject W3C `traceparent`/`tracestate` (the `tracecontext` propagator).
A service, or the organisation default, without it starts a new trace at every inbound request
from a W3C caller and hands its callers a context they cannot read: traces end at that hop.

Bad:

    standards:
      propagators: [b3multi, baggage]

Good:

    standards:
      propagators: [tracecontext, baggage]
"""

from __future__ import annotations

from collections.abc import Iterator

from tracegen.blueprint.loader import LoadedBlueprint
from tracegen.standards.finding import Hit, Severity
from tracegen.standards.rules._common import views

NAME = "propagation.w3c-missing"
SEVERITY = Severity.ERROR


def check(loaded: LoadedBlueprint) -> Iterator[Hit]:
    for env, bp in views(loaded):
        if "tracecontext" not in bp.standards.propagators:
            yield Hit(("standards", "propagators"),
                      "the organisation-wide propagators lack tracecontext: add it first in the list "
                      "(tracecontext, baggage)", environment=env)
    for name, service in loaded.blueprint.services.items():
        if service.propagators is not None and "tracecontext" not in service.propagators:
            yield Hit(("services", name, "propagators"),
                      f"service '{name}' does not propagate tracecontext: add it, or drop the service's "
                      "propagators to inherit standards.propagators")
