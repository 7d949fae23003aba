"""TG503 secrets.inline (error)

A key written into the blueprint ends up in Git, in every generated config, in ConfigMaps and
in CI logs. Refer to secrets by environment variable (`${env:NAME}`, which the collector
expands at start-up) and deliver the variable from a Secret or vault. tracegen never repeats a
secret's value in its messages.

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

import re
from collections.abc import Iterator

from tracegen.blueprint.loader import LoadedBlueprint
from tracegen.standards.finding import Hit, Severity
from tracegen.standards.rules._common import endpoint, is_env_ref, looks_secret, views

NAME = "secrets.inline"
SEVERITY = Severity.ERROR
# `Authorization: Bearer ${env:TOKEN}` keeps the secret out of the file as well as a bare reference.
SCHEMED_REF = re.compile(r"^(?:Bearer|Basic|ApiKey|Token)\s+\$\{env:[A-Za-z_][A-Za-z0-9_]*\}$", re.IGNORECASE)


def _reference(value: str) -> bool:
    return is_env_ref(value) or bool(SCHEMED_REF.match(value.strip()))


def check(loaded: LoadedBlueprint) -> Iterator[Hit]:
    for env, bp in views(loaded):
        for name, backend in bp.backends.items():
            if backend.api_key is not None and not is_env_ref(backend.api_key):
                yield Hit(("backends", name, "api_key"),
                          f"backend '{name}' has its api_key written inline: replace it with a reference such "
                          "as ${env:" + name.upper().replace("-", "_") + "_API_KEY} and rotate the exposed key",
                          environment=env)
            for header, value in backend.headers.items():
                if looks_secret(header) and not _reference(value):
                    yield Hit(("backends", name, "headers", header),
                              f"backend '{name}' header '{header}' carries a credential inline: use "
                              "${env:NAME} and rotate the exposed value", environment=env)
            if endpoint(backend.endpoint).has_password:
                yield Hit(("backends", name, "endpoint"),
                          f"backend '{name}' has a password in its endpoint URL: move the credential to an "
                          "authorization header with ${env:NAME} and rotate it", environment=env)
    for name, service in loaded.blueprint.services.items():
        if service.export_endpoint and endpoint(service.export_endpoint).has_password:
            yield Hit(("services", name, "export_endpoint"),
                      f"service '{name}' has a password in its export_endpoint URL: remove it (apps export to "
                      "the local collector without credentials) and rotate it")
