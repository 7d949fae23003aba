"""TG402 cardinality.high-cardinality-kept (warning)

An unbounded identifier on spans (user_id, session.id, request.id, order.id) gives every span a
value never seen before. Backends index attributes; unbounded ones blow up index size and cost
(one team's `user_id` exploded Tempo's storage). Put the ID in logs, which carry the trace_id,
or list it in `standards.high_cardinality` so the collector drops or hashes it.

Bad:

    services:
      api:
        version: 1.0.0
        language: go
        span_attributes: [user_id]

Good:

    standards:
      high_cardinality:
        - {key: user_id, action: drop}
    services:
      api:
        version: 1.0.0
        language: go
        span_attributes: [user_id]
"""

from __future__ import annotations

from collections.abc import Iterator

from tracegen.blueprint.loader import LoadedBlueprint
from tracegen.standards.finding import Hit, Severity
from tracegen.standards.rules._common import handled_keys, tokens, views

NAME = "cardinality.high-cardinality-kept"
SEVERITY = Severity.WARNING
# Identifiers of infrastructure: bounded by the number of hosts, pods, accounts, partitions.
BOUNDED_PREFIXES = ("service.", "deployment.", "k8s.", "host.", "cloud.", "container.", "process.", "os.",
                    "telemetry.", "faas.", "thread.", "aws.", "gcp.", "azure.",
                    "messaging.destination.partition.")
ID_WORDS = frozenset({"id", "uuid", "guid"})


def unbounded_id(key: str) -> bool:
    if key.lower().startswith(BOUNDED_PREFIXES):
        return False
    parts = tokens(key)
    return len(parts) > 1 and parts[-1] in ID_WORDS


def check(loaded: LoadedBlueprint) -> Iterator[Hit]:
    for env, bp in views(loaded):
        handled = handled_keys(bp)
        for name, service in bp.services.items():
            for index, key in enumerate(service.span_attributes):
                if key not in handled and unbounded_id(key):
                    yield Hit(("services", name, "span_attributes", index),
                              f"service '{name}' sets '{key}', an unbounded identifier: log it instead, or add "
                              f"{{key: {key}, action: drop}} (or hash) to standards.high_cardinality",
                              environment=env)
