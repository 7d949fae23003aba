"""TG504 export.no-tls (error)

Spans carry URLs, queries, user agents and whatever the code put in attributes; credentials
travel in the exporter's headers. Across any network they go encrypted: no `tls.insecure`, no
`http://` endpoint. Only loopback (localhost, 127.0.0.0/8, ::1) may go plain.

Bad:

    backends:
      tempo:
        type: tempo
        endpoint: tempo.example.net:4317
        tls: {insecure: true}

Good:

    backends:
      tempo:
        type: tempo
        endpoint: tempo.example.net:4317
        tls: {ca_file: /etc/otelcol/tls/ca.crt}
"""

from __future__ import annotations

from collections.abc import Iterator

from tracegen.blueprint.loader import LoadedBlueprint
from tracegen.standards.finding import Hit, Severity
from tracegen.standards.rules._common import endpoint, is_loopback, views

NAME = "export.no-tls"
SEVERITY = Severity.ERROR


def check(loaded: LoadedBlueprint) -> Iterator[Hit]:
    for env, bp in views(loaded):
        for name, backend in bp.backends.items():
            target = endpoint(backend.endpoint)
            if is_loopback(target.host):
                continue
            if target.scheme == "http":
                yield Hit(("backends", name, "endpoint"),
                          f"backend '{name}' is reached over plain http://{target.host}: use https://",
                          environment=env)
            elif backend.tls.insecure:
                yield Hit(("backends", name, "tls", "insecure"),
                          f"backend '{name}' at {target.host} is exported to without TLS: remove "
                          "tls.insecure (give tls.ca_file for a private CA)", environment=env)
