"""TL302 exporters.plaintext (warning)

An exporter that sends to another host without TLS puts every span (and any credential header) on
the network in clear text. The gRPC OTLP exporter uses TLS unless `tls.insecure: true` or an
`http://` endpoint turns it off; the HTTP exporters use what the endpoint's scheme says. Only
loopback (`localhost`, 127.0.0.0/8, ::1) is exempt. Use TLS (`tls.ca_file` for a private CA), or
keep the hop on the node.

Bad:

    exporters:
      otlp_grpc/gateway:
        endpoint: otel-gateway.observability:4317
        tls: {insecure: true}

Good:

    exporters:
      otlp_grpc/gateway:
        endpoint: otel-gateway.observability:4317
        tls: {ca_file: /etc/otelcol/tls/ca.crt}
"""

from __future__ import annotations

from collections.abc import Iterator

from tracegen.lint.config import CollectorConfig
from tracegen.lint.rules._common import HTTP_EXPORTERS, NETWORK_EXPORTERS
from tracegen.standards.finding import Hit, Severity
from tracegen.standards.rules._common import endpoint, is_loopback

NAME = "exporters.plaintext"
SEVERITY = Severity.WARNING


def _insecure(settings: dict) -> bool:
    tls = settings.get("tls")
    return isinstance(tls, dict) and tls.get("insecure") is True


def check(config: CollectorConfig) -> Iterator[Hit]:
    for component_id, type_name, settings in config.components("exporters"):
        if type_name not in NETWORK_EXPORTERS or type_name in ("load_balancing", "loadbalancing"):
            continue
        for key in ("endpoint", "traces_endpoint"):
            target = settings.get(key)
            if not isinstance(target, str) or "${" in target:
                continue
            where = endpoint(target)
            if not where.host or is_loopback(where.host):
                continue
            plain = where.scheme == "http" or (type_name not in HTTP_EXPORTERS and _insecure(settings))
            if plain:
                yield Hit(("exporters", component_id, key),
                          f"{component_id} sends to {where.host} without TLS: use https/TLS (tls.ca_file for a "
                          "private CA) or keep this hop on loopback")
