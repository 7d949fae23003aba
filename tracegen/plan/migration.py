"""Backend migrations: which backends an environment exports to in each phase, decided once.

A migration (blueprint `migrations:`) moves some environments from one backend to another in
phases, each a complete build:

    planned     old only (the new backend is declared but not exported to)
    dual-write  old and new: the gateways fan out to both, each exporter with its own persistent
                queue (file_storage in a directory of its own) and retry, so an outage of one never
                stalls or drops the other (collector-contrib #31775: the fan-out is synchronous, so
                a queue-less exporter that blocks holds every exporter of the pipeline)
    verify      old and new, compared: `tracegen migrate verify` reads the gateways' own counters
    cutover     new only; the old backend stays queryable for its hot retention
    done        new only; the old backend may be decommissioned

Outside a migration's environments each backend's own `environments` list decides, as before.
The collector config (plan/collectors.py) reads the result through EnvironmentPlan.exporters; the
migrate command and the runbook read MigrationPlan.
"""

from __future__ import annotations

from tracegen import backends
from tracegen.blueprint import model as bm
from tracegen.blueprint.loader import EnvironmentView, LoadedBlueprint
from tracegen.plan.migration_model import MigrationPlan, Side

PHASES: tuple[str, ...] = bm.PHASES
EXPORTS: dict[str, tuple[str, ...]] = {      # phase -> which side(s) are exported to
    "planned": ("from",),
    "dual-write": ("from", "to"),
    "verify": ("from", "to"),
    "cutover": ("to",),
    "done": ("to",),
}


def previous(phase: str) -> str | None:
    index = PHASES.index(phase)
    return PHASES[index - 1] if index else None


def following(phase: str) -> str | None:
    index = PHASES.index(phase)
    return PHASES[index + 1] if index + 1 < len(PHASES) else None


def in_environment(migration: bm.Migration, view: EnvironmentView) -> bool:
    return migration.moves(view.name, view.blueprint.backends)


def environment_migration(view: EnvironmentView) -> bm.Migration | None:
    """The one migration that moves this environment (references.py refuses two)."""
    return next((m for m in view.blueprint.migrations if in_environment(m, view)), None)


def involved(view: EnvironmentView) -> dict[str, bm.Backend]:
    """Both backends of the migration that moves this environment, whatever its phase."""
    migration = environment_migration(view)
    if migration is None:
        return {}
    declared = view.blueprint.backends
    return {name: declared[name] for name in (migration.from_, migration.to) if name in declared}


def backends_of(view: EnvironmentView) -> dict[str, bm.Backend]:
    """The backends this environment exports to, with its migration's phase applied."""
    chosen = view.backends()
    migration = environment_migration(view)
    if migration is None:
        return chosen
    declared = view.blueprint.backends
    exported = EXPORTS[migration.phase]
    for side, name in (("from", migration.from_), ("to", migration.to)):
        if side in exported and name in declared:
            chosen[name] = declared[name]
        else:
            chosen.pop(name, None)
    return dict(sorted(chosen.items()))


def _mapping(bp: bm.Blueprint, migration: bm.Migration) -> tuple[tuple[str, str], ...]:
    old, new = (backends.get(bp.backends[name].type) for name in (migration.from_, migration.to))
    return () if new.vendor_attributes else old.vendor_attributes


def _header_names(backend: bm.Backend) -> tuple[str, ...]:
    kind = backends.get(backend.type)
    return tuple(sorted(kind.headers(dict(backend.headers), backend.api_key, backend.dataset)))


def attribute_mapping(view: EnvironmentView) -> tuple[tuple[str, str], ...]:
    """(semantic-convention key, vendor key) pairs the new backend needs once it is exported to: moving
    away from a type that names resources its own way (Datadog's env/service/version) to one that
    reads the semantic conventions. Moving to such a type needs nothing: its intake maps them."""
    migration = environment_migration(view)
    if migration is None or "to" not in EXPORTS[migration.phase]:
        return ()
    return _mapping(view.blueprint, migration)


def _exporter_id(backend: bm.Backend, name: str, collector_version: str) -> str:
    from tracegen.plan import collector_common as cc

    kind = backends.get(backend.type)
    canonical = cc.OTLP_HTTP if kind.exporter_protocol(backend.protocol) == "http" else cc.OTLP_GRPC
    return cc.Components(collector_version).name(canonical, name)


def _side(loaded: LoadedBlueprint, name: str, collector_version: str) -> Side:
    backend = loaded.blueprint.backends[name]
    kind = backends.get(backend.type)
    hot = backend.retention.hot_days if backend.retention else kind.retention.hot_days
    source = "the blueprint's retention.hot_days" if backend.retention else kind.retention.source
    return Side(name, backend.type, _exporter_id(backend, name, collector_version), hot, source)


def plan_migrations(loaded: LoadedBlueprint) -> tuple[MigrationPlan, ...]:
    """Every migration of the blueprint, resolved (names already checked by blueprint/references.py)."""
    from tracegen import versions

    bp = loaded.blueprint
    version = bp.topology.collector_version or versions.COLLECTOR_VERSION
    plans = []
    for migration in bp.migrations:
        envs = tuple(sorted(name for name, view in loaded.environments.items() if in_environment(migration, view)))
        owner = migration.owner
        plans.append(MigrationPlan(
            name=migration.name, phase=migration.phase,
            old=_side(loaded, migration.from_, version), new=_side(loaded, migration.to, version),
            environments=envs, window_s=bm.duration_seconds(migration.verify.window),
            window=migration.verify.window, tolerance=migration.verify.tolerance,
            observe_days=migration.verify.observe_days,
            owner_team=owner.team if owner else None, owner_oncall=owner.oncall if owner else None,
            mapping=_mapping(bp, migration), new_headers=_header_names(bp.backends[migration.to]),
            notes=tuple(dict.fromkeys(note for name in (migration.from_, migration.to)
                                      for note in backends.get(bp.backends[name].type).migration_notes)),
            phase_exports=tuple((phase, tuple(migration.from_ if side == "from" else migration.to
                                              for side in EXPORTS[phase])) for phase in PHASES)))
    return tuple(plans)
