"""Small helpers the rules share: environment views, endpoints, secret references, attribute keys."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

from tracegen import secrets
from tracegen.blueprint.loader import LoadedBlueprint
from tracegen.blueprint.model import Blueprint, Sampling



def views(loaded: LoadedBlueprint) -> Iterator[tuple[str, Blueprint]]:
    """Each environment's merged blueprint, by environment name."""
    for name, view in loaded.environments.items():
        yield name, view.blueprint


def is_env_ref(value: str | None) -> bool:
    return secrets.is_reference(value)


def looks_secret(header: str) -> bool:
    """A header whose name suggests it carries a credential (x-api-key, authorization, ...)."""
    return secrets.secret_name(header)


@dataclass(frozen=True)
class Endpoint:
    scheme: str | None
    host: str
    has_password: bool


def endpoint(text: str) -> Endpoint:
    """Split `host:port`, `scheme://host:port/path` or `scheme://user:pass@host` (IPv6 in brackets)."""
    parts = urlsplit(text if "://" in text else "//" + text)
    try:
        password = parts.password
    except ValueError:
        password = None
    return Endpoint(parts.scheme.lower() or None, (parts.hostname or "").lower(), password is not None)


def is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def tokens(key: str) -> list[str]:
    """`user.email_address` -> ['user', 'email', 'address']; `userId` -> ['user', 'id']."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", key)
    return [part for part in re.split(r"[._\-]", spaced.lower()) if part]


def tail_policies(sampling: Sampling) -> Iterator[tuple[tuple, object]]:
    """Tail policies with their paths: the base list, then each mode's added policies."""
    if sampling.tail is not None:
        for index, policy in enumerate(sampling.tail.policies):
            yield ("sampling", "tail", "policies", index), policy
    for mode_name, mode in sampling.modes.items():
        for index, policy in enumerate(mode.add_policies):
            yield ("sampling", "modes", mode_name, "add_policies", index), policy


def tail_on(sampling: Sampling) -> bool:
    """Tail sampling runs: present, enabled and with at least one policy (as the planner decides)."""
    return sampling.tail is not None and sampling.tail.enabled and bool(sampling.tail.policies)


def standards_keys(bp: Blueprint) -> Iterator[tuple[tuple, str]]:
    """Attribute keys named in the (overridable) standards and sampling sections."""
    resource = bp.standards.resource_attributes
    for index, key in enumerate(resource.required):
        yield ("standards", "resource_attributes", "required", index), key
    for key in resource.values:
        yield ("standards", "resource_attributes", "values", key), key
    for index, rule in enumerate(bp.standards.pii):
        yield ("standards", "pii", index, "key"), rule.key
    for index, rule in enumerate(bp.standards.high_cardinality):
        yield ("standards", "high_cardinality", index, "key"), rule.key
    for path, policy in tail_policies(bp.sampling):
        key = getattr(policy, "key", None)
        if key and policy.type in ("attribute", "numeric_attribute"):
            yield path + ("key",), key


def service_keys(bp: Blueprint) -> Iterator[tuple[tuple, str]]:
    """Attribute keys named by services: their resource attributes and the span attributes they set."""
    for name, service in bp.services.items():
        for key in service.resource_attributes:
            yield ("services", name, "resource_attributes", key), key
        for index, key in enumerate(service.span_attributes):
            yield ("services", name, "span_attributes", index), key


def handled_keys(bp: Blueprint) -> set[str]:
    """Keys the collector already redacts (pii) or drops/hashes (high_cardinality)."""
    return {rule.key for rule in bp.standards.pii} | {rule.key for rule in bp.standards.high_cardinality}
