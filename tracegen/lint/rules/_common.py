"""What the lint rules share: component renames at a collector version, network exporters, pipeline
helpers. Names come from the one component catalog (tracegen/components.py)."""

from __future__ import annotations

from dataclasses import dataclass

from tracegen import components
from tracegen.lint.config import KIND, CollectorConfig

# Exporters that send over the network (OTLP and the others people still run), by type name.
NETWORK_EXPORTERS = frozenset({"otlp", "otlp_grpc", "otlphttp", "otlp_http", "loadbalancing", "load_balancing",
                               "zipkin", "jaeger", "prometheusremotewrite", "prometheus_remote_write",
                               "datadog", "kafka"})
HTTP_EXPORTERS = frozenset({"otlphttp", "otlp_http", "zipkin", "prometheusremotewrite", "prometheus_remote_write"})
# Components that need every span of a trace in one instance.
TRACE_COMPLETE = {"tail_sampling": "processors", "spanmetrics": "connectors", "span_metrics": "connectors",
                  "servicegraph": "connectors", "service_graph": "connectors"}


@dataclass(frozen=True)
class Rename:
    old: str
    new: str
    since: str        # the collector version that introduced the name the target version wants
    forward: bool     # True: old -> new (a deprecated alias); False: the new name is unknown at the target


def rename(section: str, type_name: str, version: str) -> Rename | None:
    """The name `type_name` should have in `section` at collector `version`, if it differs."""
    kind = KIND[section]
    for component in components.CATALOG.values():
        names = [name for _, name in component.names]
        if component.kind != kind or type_name not in names:
            continue
        wanted = components.config_name(component.canonical, version)
        if wanted == type_name:
            return None
        index = names.index(wanted)
        forward = index > names.index(type_name)
        since = component.names[index if forward else names.index(type_name)][0]
        return Rename(type_name, wanted, since, forward)
    return None


def renames(config: CollectorConfig, version: str) -> dict[tuple[str, str], Rename]:
    """(section, component id) -> the rename its type needs at `version`."""
    found = {}
    for section in KIND:
        for component_id, type_name, _ in config.components(section):
            change = rename(section, type_name, version)
            if change:
                found[(section, component_id)] = change
    return found


def renamed_id(component_id: str, change: Rename) -> str:
    _, slash, name = component_id.partition("/")
    return change.new + (slash + name if slash else "")


def fed_only_by_connectors(config: CollectorConfig, receivers: list[str]) -> bool:
    connectors = set(config.section("connectors"))
    return bool(receivers) and all(r in connectors for r in receivers)
