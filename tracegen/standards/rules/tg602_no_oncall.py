"""TG602 ownership.no-oncall (warning)

Tier 0 and tier 1 services are the ones that page. From an SLO burn alert, the on-call must get
from the trace to the slow hop and its owner's rotation in two clicks: give critical services'
owners an `oncall` (pager rotation or channel).

Bad:

    services:
      api:
        version: 1.0.0
        language: go
        tier: 0
        owner: {team: web}

Good:

    services:
      api:
        version: 1.0.0
        language: go
        tier: 0
        owner: {team: web, oncall: "pagerduty:web"}
"""

from __future__ import annotations

from collections.abc import Iterator

from tracegen.blueprint.loader import LoadedBlueprint
from tracegen.standards.finding import Hit, Severity

NAME = "ownership.no-oncall"
SEVERITY = Severity.WARNING
CRITICAL_TIER = 1


def check(loaded: LoadedBlueprint) -> Iterator[Hit]:
    for name, service in loaded.blueprint.services.items():
        if service.owner is not None and not service.owner.oncall and service.tier <= CRITICAL_TIER:
            yield Hit(("services", name, "owner"),
                      f"tier {service.tier} service '{name}' has no on-call: add owner.oncall "
                      "(e.g. pagerduty:<rotation>) so alerts reach someone")
