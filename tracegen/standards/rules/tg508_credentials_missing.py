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

from tracegen.blueprint.loader import LoadedBlueprint
from tracegen.standards.finding import Hit, Severity
from tracegen.standards.rules._common import views

NAME = "backends.credentials-missing"
SEVERITY = Severity.ERROR
# The header each vendor reads its key from, when the key comes as a header instead.
KEY_HEADER = {"honeycomb": "x-honeycomb-team", "datadog": "dd-api-key"}


def check(loaded: LoadedBlueprint) -> Iterator[Hit]:
    for env, bp in views(loaded):
        for name, backend in bp.backends.items():
            header = KEY_HEADER.get(backend.type)
            if header is None or backend.api_key:
                continue
            if header in {key.lower() for key in backend.headers}:
                continue
            variable = f"{backend.type.upper()}_API_KEY"
            yield Hit(("backends", name),
                      f"{backend.type} backend '{name}' has no api_key, so every export is rejected: add "
                      f"api_key: ${{env:{variable}}}", environment=env)
