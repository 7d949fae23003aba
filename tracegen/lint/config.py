"""One collector config as the lint rules see it: its components by section, its pipelines, and
where each thing stands in the file."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

from tracegen.blueprint.source import SourceMap

SECTIONS = ("receivers", "processors", "exporters", "connectors", "extensions")
KIND = {"receivers": "receiver", "processors": "processor", "exporters": "exporter",
        "connectors": "connector", "extensions": "extension"}
ROLES = ("receivers", "processors", "exporters")      # the lists of a pipeline


def type_of(component_id: str) -> str:
    """`otlp/honeycomb` -> `otlp`: a component id is its type, optionally `/name`."""
    return component_id.split("/", 1)[0]


@dataclass
class CollectorConfig:
    file: str
    data: dict[str, Any]
    source: SourceMap
    origin: str | None = None        # "ConfigMap otel/config:otelcol.yaml" for an embedded config
    deployment: str | None = None    # from the workload that mounts it: daemonset | replicated | single
    config_map: str | None = None    # the ConfigMap it came from
    options: dict[str, Any] = field(default_factory=dict)

    def section(self, name: str) -> dict[str, Any]:
        value = self.data.get(name)
        return value if isinstance(value, dict) else {}

    def components(self, section: str) -> Iterator[tuple[str, str, Any]]:
        """(id, type, settings) of every component defined in `section`."""
        for component_id, settings in self.section(section).items():
            yield str(component_id), type_of(str(component_id)), settings if isinstance(settings, dict) else {}

    def service(self) -> dict[str, Any]:
        return self.section("service")

    def pipelines(self) -> Iterator[tuple[str, dict[str, list]]]:
        """(pipeline id, {receivers, processors, exporters}) with every list present (maybe empty)."""
        pipelines = self.service().get("pipelines")
        for name, pipeline in (pipelines.items() if isinstance(pipelines, dict) else []):
            pipeline = pipeline if isinstance(pipeline, dict) else {}
            yield str(name), {role: [str(v) for v in pipeline.get(role) or [] if isinstance(v, (str, int))]
                              if isinstance(pipeline.get(role), list) else [] for role in ROLES}

    def used_in_pipelines(self, role: str) -> set[str]:
        return {item for _, pipeline in self.pipelines() for item in pipeline[role]}

    def locate(self, path: tuple) -> tuple[int, int] | None:
        return self.source.locate(path)
