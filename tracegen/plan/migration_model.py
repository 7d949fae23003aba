"""A backend migration as the plan holds it: what the migrate command and the runbook target read
(decided in plan/migration.py, which alone reads the blueprint)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Side:
    """One backend of a migration, as the collector names its exporter and the runbook describes it."""

    backend: str
    backend_type: str
    exporter: str                      # the exporter's id in the gateway config, e.g. otlp_grpc/jaeger
    hot_days: int | None
    retention_source: str


@dataclass(frozen=True)
class MigrationPlan:
    name: str
    phase: str
    old: Side
    new: Side
    environments: tuple[str, ...]
    window_s: float
    window: str
    tolerance: float
    observe_days: int
    owner_team: str | None
    owner_oncall: str | None
    mapping: tuple[tuple[str, str], ...] = ()      # resource keys inserted for the new backend
    new_headers: tuple[str, ...] = ()               # header names the new exporter sends (never values)
    notes: tuple[str, ...] = ()                     # what differs between the two types (backends/)
    # Every phase in order with the backends it exports to (targets read this, not the blueprint).
    phase_exports: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def exported(self) -> tuple[str, ...]:
        return tuple(side.backend for side, key in ((self.old, "from"), (self.new, "to"))
                     if key in EXPORTS[self.phase])
