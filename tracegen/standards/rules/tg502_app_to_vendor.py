"""TG502 export.app-to-vendor (error)

Applications export OTLP to the local collector; only the collector talks to vendors. An SDK
that exports straight to a vendor (or to a backend the collector already fans out to) skips
sampling, redaction and retries, needs the vendor's key in every pod, and turns a change of
vendor into a month of redeploys.

Bad:

    services:
      api:
        version: 1.0.0
        language: go
        export_endpoint: https://api.honeycomb.io:443

Good (leave export_endpoint unset: the SDK exports to the local agent):

    services:
      api:
        version: 1.0.0
        language: go
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tracegen.blueprint.loader import LoadedBlueprint
from tracegen.standards.finding import Hit, Severity
from tracegen.standards.rules._common import endpoint, views

NAME = "export.app-to-vendor"
SEVERITY = Severity.ERROR
VENDOR_HOST = re.compile(
    r"(^|\.)(honeycomb\.io|datadoghq\.[a-z]+|ddog-gov\.com|lightstep\.com|newrelic\.com|nr-data\.net|"
    r"grafana\.net|signalfx\.com|splunkcloud\.com|dynatrace\.com|elastic-cloud\.com|cloud\.es\.io|"
    r"logz\.io|coralogix\.com|sumologic\.com|uptrace\.dev|aspecto\.io|lumigo\.io|axiom\.co)$")


def check(loaded: LoadedBlueprint) -> Iterator[Hit]:
    backends = {endpoint(b.endpoint).host: name for _, bp in views(loaded) for name, b in bp.backends.items()}
    for name, service in loaded.blueprint.services.items():
        if not service.export_endpoint:
            continue
        host = endpoint(service.export_endpoint).host
        if VENDOR_HOST.search(host):
            target = f"the vendor host {host}"
        elif host in backends:
            target = f"backend '{backends[host]}'"
        else:
            continue
        yield Hit(("services", name, "export_endpoint"),
                  f"service '{name}' exports straight to {target}: remove export_endpoint so the SDK sends OTLP "
                  "to the local collector, which fans out to backends")
