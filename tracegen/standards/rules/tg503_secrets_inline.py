"""TG503 secrets.inline (error, cannot be suppressed)

A key written into the blueprint ends up in Git, in every generated config, in ConfigMaps and
in CI logs. Refer to secrets by environment variable (`${env:NAME}`, which the collector
expands at start-up) and deliver the variable from a Secret or vault. Only a backend's `api_key`
and its header values may hold a reference; a header whose name or value looks like a credential,
and a resource attribute that does, are refused. A URL with credentials (userinfo or a key in the
query string) is refused by the schema. The policy is one module (`tracegen/secrets.py`): the
planner and the collector target refuse the same literals, so no suppression lets one through.
tracegen never repeats a secret's value in its messages.

Bad:

    backends:
      honeycomb:
        type: honeycomb
        endpoint: api.honeycomb.io:443
        api_key: hcaik_01hx...

Good:

    backends:
      honeycomb:
        type: honeycomb
        endpoint: api.honeycomb.io:443
        api_key: ${env:HONEYCOMB_API_KEY}
"""

from __future__ import annotations

from collections.abc import Iterator

from tracegen import secrets
from tracegen.blueprint.loader import LoadedBlueprint
from tracegen.standards.finding import Hit, Severity
from tracegen.standards.rules._common import views

NAME = "secrets.inline"
SEVERITY = Severity.ERROR
SUPPRESSIBLE = False


def check(loaded: LoadedBlueprint) -> Iterator[Hit]:
    # The policy itself lives in tracegen.secrets (the planner and the build guard apply it too).
    for env, bp in views(loaded):
        for path, message in secrets.literals(bp):
            yield Hit(path, message, environment=env)
