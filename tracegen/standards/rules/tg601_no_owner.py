"""TG601 ownership.no-owner (warning)

A trace that points at a slow hop is only useful if someone owns that hop. tracegen puts the
owning team on every span as `service.owner`, so an alert or a trace leads to the people who can
fix it in one click.

Bad:

    services:
      api: {version: 1.0.0, language: go}

Good:

    services:
      api:
        version: 1.0.0
        language: go
        owner: {team: web, oncall: "pagerduty:web"}
"""

from __future__ import annotations

from collections.abc import Iterator

from tracegen.blueprint.loader import LoadedBlueprint
from tracegen.standards.finding import Hit, Severity

NAME = "ownership.no-owner"
SEVERITY = Severity.WARNING


def check(loaded: LoadedBlueprint) -> Iterator[Hit]:
    for name, service in loaded.blueprint.services.items():
        if service.owner is None:
            yield Hit(("services", name),
                      f"service '{name}' has no owner: add owner: {{team: ..., oncall: ...}}")
