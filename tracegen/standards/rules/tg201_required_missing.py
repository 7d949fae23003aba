"""TG201 resource.required-missing (error)

Every service must carry the organisation's required resource attributes, or dashboards, alerts
and the owner on-call lookup cannot find it. tracegen fills `service.name` (the service's key),
`service.version` (its version), `deployment.environment.name` (the environment) and
`service.owner` (from `owner.team`); any other required key needs a value in the service's
`resource_attributes` or, organisation-wide, in `standards.resource_attributes.values`.

Bad:

    standards:
      resource_attributes:
        required: [service.name, service.version, deployment.environment.name, cloud.region]
    services:
      api: {version: 1.0.0, language: go}

Good:

    standards:
      resource_attributes:
        required: [service.name, service.version, deployment.environment.name, cloud.region]
        values: {cloud.region: eu-west-1}
"""

from __future__ import annotations

from collections.abc import Iterator

from tracegen.blueprint.loader import LoadedBlueprint
from tracegen.blueprint.model import Service
from tracegen.standards.finding import Hit, Severity
from tracegen.standards.rules._common import views

NAME = "resource.required-missing"
SEVERITY = Severity.ERROR
# Filled by tracegen itself. The deprecated `deployment.environment` counts too: TG202 asks for the rename.
AUTOMATIC = frozenset({"service.name", "service.version", "deployment.environment.name",
                       "deployment.environment"})


def _resolves(key: str, service: Service, organisation: dict[str, str]) -> bool:
    if key in AUTOMATIC or key in service.resource_attributes or key in organisation:
        return True
    return key == "service.owner" and service.owner is not None


def check(loaded: LoadedBlueprint) -> Iterator[Hit]:
    for env, bp in views(loaded):
        standard = bp.standards.resource_attributes
        for name, service in bp.services.items():
            missing = [key for key in standard.required if not _resolves(key, service, standard.values)]
            if not missing:
                continue
            hint = " (or give it an owner: {team: ...})" if "service.owner" in missing else ""
            yield Hit(("services", name),
                      f"service '{name}' has no value for required resource attribute(s) "
                      f"{', '.join(missing)}: set them in services.{name}.resource_attributes{hint}, or for "
                      "every service in standards.resource_attributes.values", environment=env)
