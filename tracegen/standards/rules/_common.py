"""Small helpers the rules share: environment views, endpoints, secret references, attribute keys."""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

from tracegen import secrets
from tracegen.blueprint.loader import LoadedBlueprint
from tracegen.blueprint.model import Blueprint, Sampling
from tracegen.plan.builder import plan_environment
from tracegen.plan.refusals import collect
from tracegen.plan.retention import SamplingModel, pct



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


# --------------------------------------------------------------------------- the retention model
_MODELS: dict[int, tuple[LoadedBlueprint, list]] = {}
NOUNS = {"errors": "error traces", "slow": "slow traces", "coverage": "root requests' traces"}


def planned(loaded: LoadedBlueprint) -> list:
    """Each planned environment (plan.model.EnvironmentPlan), planned once per loaded blueprint
    (environments the planner refuses are TG001's to report)."""
    hit = _MODELS.get(id(loaded))
    if hit is None or hit[0] is not loaded:
        plans, _ = collect(loaded, plan_environment)
        hit = (loaded, plans)
        _MODELS.clear()
        _MODELS[id(loaded)] = hit
    return hit[1]


def sampling_models(loaded: LoadedBlueprint) -> list[tuple[str, SamplingModel]]:
    """Each planned environment's retention model, computed by the planner once per loaded blueprint
    (environments the planner refuses are TG001's to report)."""
    return [(env.name, env.sampling) for env in planned(loaded) if env.sampling is not None]


def shortfall(model: SamplingModel, cls: str, tail_cause: tuple[tuple, str] | None) -> tuple[tuple, str] | None:
    """(path, message) when the model keeps less of `cls` (errors, slow, coverage) than its target:
    the stage that loses the traces, how many, and what to change."""
    kept, target = getattr(model.retention, cls), getattr(model.targets, cls)
    if kept >= target - 1e-9:
        return None
    noun = NOUNS[cls]
    lowered = (f"standards.sampling_targets.{cls}: {math.floor(kept * 1000) / 1000:g}")
    head = model.head_losses
    if head:
        stage = head[0]
        others = " (and of all other traces)" if cls == "errors" else ""
        share = f" ({pct(stage.weight)} of root traffic)" if stage.weight < 0.9995 else ""
        path = stage.path
        message = f"{stage.label}{share}: {pct(1 - stage.keeps)} of its {noun}{others} are never created"
        fix = stage.fix
    elif tail_cause is not None:
        path, message = tail_cause
        fix = ""
    else:
        return None
    summary = f"{pct(kept)} kept, target {pct(target)}"
    if model.strategy == "edge_head":
        fix = (f"strategy edge_head caps volume at the edge; if that is the intent, write the lowered target "
               f"{lowered}, else use strategy: collector")
    return path, f"{message} ({summary}); {fix}" if fix else f"{message} ({summary})"


def reported_by_tg301(model: SamplingModel, stage_name: str) -> bool:
    """TG301 names the head stage that loses error traces; other rules then stay quiet about it."""
    head = model.head_losses
    return (bool(head) and head[0].stage == stage_name
            and model.retention.errors < model.targets.errors - 1e-9)
