"""TL301 secrets.inline (error)

A credential written into a collector config ends up in Git, in ConfigMaps anyone with read access
to the namespace can see, and in CI logs. Refer to it as `${env:NAME}` (the collector expands it at
start-up) and deliver the variable from a Secret or vault. The policy is tracegen's one secret
policy (`tracegen/secrets.py`, the same as `tracegen check`'s TG503): a header whose name says
credential (`authorization`, `x-honeycomb-team`, `*key*`, `*token*`, ...), a setting such as
`password`, `token` or `api_key`, a value shaped like a credential (a vendor key prefix, a JWT,
`Bearer <literal>`), and a URL with a password or a token in it. Lint never prints the value;
rotate what was exposed.

Bad:

    exporters:
      otlp_grpc/honeycomb:
        endpoint: api.honeycomb.io:443
        headers: {x-honeycomb-team: hcaik_01hx...}

Good:

    exporters:
      otlp_grpc/honeycomb:
        endpoint: api.honeycomb.io:443
        headers: {x-honeycomb-team: "${env:HONEYCOMB_API_KEY}"}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tracegen import secrets
from tracegen.lint.config import SECTIONS, CollectorConfig
from tracegen.standards.finding import Hit, Severity

NAME = "secrets.inline"
SEVERITY = Severity.ERROR


def _leaves(value: Any, path: tuple) -> Iterator[tuple[tuple, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, path + (index,))
    elif isinstance(value, str) and value.strip():
        yield path, value


def _credential(path: tuple, value: str) -> bool:
    if "${" in value:                        # a reference the collector expands
        return False
    key = path[-1] if isinstance(path[-1], str) else ""
    if key.endswith(("_file", "_path", "_env", "_env_var")):   # where the secret is, not the secret
        return False
    in_headers = len(path) > 1 and path[-2] == "headers"
    return (secrets.secret_value(value) or (in_headers and secrets.secret_name(key))
            or (not in_headers and bool(key) and secrets.secret_key(key)))


def check(config: CollectorConfig) -> Iterator[Hit]:
    for section in SECTIONS:
        for path, value in _leaves(config.section(section), (section,)):
            if _credential(path, value):
                where = ".".join(str(p) for p in path[1:])
                yield Hit(path, f"{where} holds a credential written inline: replace it with a reference such as "
                                "${env:NAME}, deliver NAME from a Secret, and rotate the exposed value")
