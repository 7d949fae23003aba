"""TG507 backends.none (error)

An environment whose collectors have nowhere to send traces drops every span it receives: the
SDKs, agents and gateways run, cost CPU, and nothing is ever searchable. Every environment
needs at least one backend (a backend without `environments` serves all of them).

Bad:

    backends:
      tempo:
        type: tempo
        endpoint: tempo.example.net:4317
        environments: [prod]
    environments:
      prod: {platform: {kubernetes: {cluster: prod}}}
      staging: {platform: {kubernetes: {cluster: staging}}}

Good:

    backends:
      tempo:
        type: tempo
        endpoint: tempo.example.net:4317
        environments: [prod, staging]
    environments:
      prod: {platform: {kubernetes: {cluster: prod}}}
      staging: {platform: {kubernetes: {cluster: staging}}}
"""

from __future__ import annotations

from collections.abc import Iterator

from tracegen.blueprint.loader import LoadedBlueprint
from tracegen.standards.finding import Hit, Severity

NAME = "backends.none"
SEVERITY = Severity.ERROR


def check(loaded: LoadedBlueprint) -> Iterator[Hit]:
    for env, view in loaded.environments.items():
        if not view.backends():
            yield Hit(("environments", env),
                      f"environment '{env}' exports to no backend, so its traces are dropped: add it to a "
                      "backend's environments (or add a backend for it)", environment=env)
