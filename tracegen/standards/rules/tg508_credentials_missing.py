"""TG508 backends.credentials-missing (error)

Honeycomb and Datadog reject spans without an API key, and the collector only logs the
rejection: the pipeline looks healthy while nothing arrives. Give the key as a reference.

Bad:

    backends:
      honeycomb:
        type: honeycomb
        endpoint: api.honeycomb.io:443

Good:

    backends:
      honeycomb:
        type: honeycomb
        endpoint: api.honeycomb.io:443
        api_key: ${env:HONEYCOMB_API_KEY}
"""

from __future__ import annotations

from collections.abc import Iterator

from tracegen import backends
from tracegen.blueprint.loader import LoadedBlueprint
from tracegen.standards.finding import Hit, Severity
from tracegen.standards.rules._common import views

NAME = "backends.credentials-missing"
SEVERITY = Severity.ERROR


def check(loaded: LoadedBlueprint) -> Iterator[Hit]:
    for env, bp in views(loaded):
        for name, backend in bp.backends.items():
            kind = backends.get(backend.type)     # which types need a key, and in which header
            if not kind.key_required or kind.has_key(backend.api_key, backend.headers):
                continue
            variable = f"{backend.type.upper()}_API_KEY"
            yield Hit(("backends", name),
                      f"{backend.type} backend '{name}' has no api_key, so every export is rejected: add "
                      f"api_key: ${{env:{variable}}}", environment=env)
