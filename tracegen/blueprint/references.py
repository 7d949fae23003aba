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


def _where(loaded: "LoadedBlueprint", env: str, path: tuple) -> tuple:
    if replaced_by(path, loaded.environments[env].overridden):
        return ("environments", env, "overrides") + path
    return path
