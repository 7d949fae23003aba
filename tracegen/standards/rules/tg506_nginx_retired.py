"""TG506 ingress.nginx-retired (warning)

The community ingress-nginx controller was retired: maintenance ended in March 2026 and it gets
no fixes, security ones included. tracegen still configures its OpenTelemetry module for
estates that run it, but new work belongs on a maintained ingress: Envoy Gateway (Gateway API)
or the Istio ingress gateway.

Bad:

    ingress:
      kind: nginx

Good:

    ingress:
      kind: envoy_gateway
"""

from __future__ import annotations

from collections.abc import Iterator

from tracegen.blueprint.loader import LoadedBlueprint
from tracegen.standards.finding import Hit, Severity
from tracegen.standards.rules._common import views

NAME = "ingress.nginx-retired"
SEVERITY = Severity.WARNING


def check(loaded: LoadedBlueprint) -> Iterator[Hit]:
    for env, bp in views(loaded):
        if bp.ingress is not None and bp.ingress.kind == "nginx":
            yield Hit(("ingress", "kind"),
                      "ingress-nginx is retired (no fixes since March 2026): plan the move to envoy_gateway "
                      "or istio; tracegen keeps configuring nginx until then", environment=env)
