"""TG505 backends.retention (warning)

Traces are for debugging recent incidents and comparing releases: keep 7-14 days hot (fast
search) and 30-90 days cold (cheap object storage). Shorter hot retention loses last week's
incident; longer hot retention multiplies cost; no cold tier loses the before-and-after view.
Record the retention on every backend so it is a decision, not an accident.

Bad:

    backends:
      tempo:
        type: tempo
        endpoint: tempo.example.net:4317
        retention: {hot_days: 30}

Good:

    backends:
      tempo:
        type: tempo
        endpoint: tempo.example.net:4317
        retention: {hot_days: 7, cold_days: 30}
"""

from __future__ import annotations

from collections.abc import Iterator

from tracegen.blueprint.loader import LoadedBlueprint
from tracegen.standards.finding import Hit, Severity
from tracegen.standards.rules._common import views

NAME = "backends.retention"
SEVERITY = Severity.WARNING
HOT = (7, 14)
COLD = (30, 90)


def check(loaded: LoadedBlueprint) -> Iterator[Hit]:
    for env, bp in views(loaded):
        for name, backend in bp.backends.items():
            retention = backend.retention
            if retention is None:
                yield Hit(("backends", name),
                          f"backend '{name}' states no retention: add retention: {{hot_days: 7, cold_days: 30}} "
                          "(7-14 hot, 30-90 cold)", environment=env)
                continue
            if not HOT[0] <= retention.hot_days <= HOT[1]:
                yield Hit(("backends", name, "retention", "hot_days"),
                          f"backend '{name}' keeps traces hot for {retention.hot_days} days: use "
                          f"{HOT[0]}-{HOT[1]}", environment=env)
            if not COLD[0] <= retention.cold_days <= COLD[1]:
                yield Hit(("backends", name, "retention", "cold_days"),
                          f"backend '{name}' keeps traces cold for {retention.cold_days} days: use "
                          f"{COLD[0]}-{COLD[1]} (object storage is cheap)", environment=env)
