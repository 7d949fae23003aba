"""TG503 secrets.inline (error)

A key written into the blueprint ends up in Git, in every generated config, in ConfigMaps and
in CI logs. Refer to secrets by environment variable (`${env:NAME}`, which the collector
expands at start-up) and deliver the variable from a Secret or vault. Only a backend's `api_key`
and its credential headers may hold a reference; a header whose name or value looks like a credential,
and a resource attribute that does, are refused. A URL with credentials (userinfo or a key in the
query string) is refused by the schema. The policy is one module (`tracegen/secrets.py`): the
planner refuses the same literals and the collector target guards them too, so this rule cannot be
suppressed. tracegen never repeats a secret's value in its messages.

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

from tracegen.blueprint.loader import LoadedBlueprint
from tracegen.plan.builder import refusals
from tracegen.standards.finding import Hit, Severity

NAME = "secrets.inline"
SEVERITY = Severity.ERROR
SUPPRESSIBLE = False


def check(loaded: LoadedBlueprint) -> Iterator[Hit]:
    # The policy lives in tracegen.secrets; the planner refuses what it finds (tracegen/plan/builder.py),
    # so check and build cannot disagree.
    for refusal in refusals(loaded, "TG503"):
        yield Hit(refusal.path, refusal.message, environment=refusal.environment)
