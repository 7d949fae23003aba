"""Names that must point at something that exists. A dangling reference makes the blueprint unusable."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tracegen.blueprint.merge import replaced_by

if TYPE_CHECKING:
    from tracegen.blueprint.loader import LoadedBlueprint


def _unknown(kind: str, name: str, known) -> str:
    return f"unknown {kind} '{name}' (known: {', '.join(sorted(known)) or 'none'})"


def check_references(loaded: "LoadedBlueprint") -> None:
    bp = loaded.blueprint
    services, environments = set(bp.services), set(bp.environments)
    source = loaded.source
    for name, backend in bp.backends.items():
        for index, env in enumerate(backend.environments):
            if env not in environments:
                raise source.error(_unknown("environment", env, environments),
                                   ("backends", name, "environments", index))
    _check_migrations(loaded)
    for name, service in bp.services.items():
        for index, callee in enumerate(service.calls):
            if callee not in services:
                raise source.error(_unknown("service", callee, services), ("services", name, "calls", index))
    for env_name, view in loaded.environments.items():
        sampling = view.blueprint.sampling
        for name in sampling.head.services:
            if name not in services:
                raise source.error(_unknown("service", name, services),
                                   _where(loaded, env_name, ("sampling", "head", "services", name)))
        if view.platform.vm:
            for group, body in view.platform.vm.groups.items():
                for index, name in enumerate(body.services):
                    if name not in services:
                        raise source.error(_unknown("service", name, services),
                                           ("environments", env_name, "platform", "vm", "groups", group,
                                            "services", index))
            if view.platform.vm.resolver == "dns" and not view.platform.vm.dns_name:
                raise source.error("resolver dns needs dns_name: the DNS name all gateways answer on",
                                   ("environments", env_name, "platform", "vm", "resolver"))


def _check_migrations(loaded: "LoadedBlueprint") -> None:
    """A migration names two different declared backends and known environments; an environment
    moves in at most one migration at a time; the old backend serves what it moves away from."""
    bp, source = loaded.blueprint, loaded.source
    moving: dict[str, str] = {}
    for index, migration in enumerate(bp.migrations):
        at = ("migrations", index)
        for key, name in (("from", migration.from_), ("to", migration.to)):
            if name not in bp.backends:
                raise source.error(_unknown("backend", name, bp.backends), at + (key,))
        if migration.from_ == migration.to:
            raise source.error("a migration moves from one backend to another: from and to are the same", at + ("to",))
        if any(m.name == migration.name for m in bp.migrations[:index]):
            raise source.error(f"migration name '{migration.name}' is used twice", at + ("name",))
        for position, env in enumerate(migration.environments):
            if env not in bp.environments:
                raise source.error(_unknown("environment", env, bp.environments), at + ("environments", position))
            old = bp.backends[migration.from_]
            if old.environments and env not in old.environments:
                raise source.error(f"backend '{migration.from_}' does not serve environment '{env}' (its "
                                   "environments list), so there is nothing to migrate there",
                                   at + ("environments", position))
        for env, view in sorted(loaded.environments.items()):
            if migration.moves(env, view.blueprint.backends):
                if env in moving:
                    raise source.error(f"environment '{env}' is already moved by migration '{moving[env]}'; "
                                       "one migration per environment at a time", at + ("environments",)
                                       if migration.environments else at + ("name",))
                moving[env] = migration.name


def _where(loaded: "LoadedBlueprint", env: str, path: tuple) -> tuple:
    if replaced_by(path, loaded.environments[env].overridden):
        return ("environments", env, "overrides") + path
    return path
