"""TL402 components.undefined (error)

A pipeline (or `service.extensions`) that names a component the config does not define fails to
load: the collector stops at start-up with "references ... which is not configured". Define it
under its section (a connector under `connectors:`), or remove the reference; mind the spelling,
including the `/name` suffix.

Bad:

    exporters:
      otlp_grpc/backend: {endpoint: backend:4317}
    service:
      pipelines:
        traces: {receivers: [otlp], exporters: [otlp_grpc/backnd]}

Good:

    service:
      pipelines:
        traces: {receivers: [otlp], exporters: [otlp_grpc/backend]}
"""

from __future__ import annotations

from collections.abc import Iterator

from tracegen.lint.config import CollectorConfig
from tracegen.standards.finding import Hit, Severity

NAME = "components.undefined"
SEVERITY = Severity.ERROR
DEFINED_IN = {"receivers": ("receivers", "connectors"), "processors": ("processors",),
              "exporters": ("exporters", "connectors")}


def check(config: CollectorConfig) -> Iterator[Hit]:
    for name, pipeline in config.pipelines():
        for role, sections in DEFINED_IN.items():
            defined = {component_id for section in sections for component_id in config.section(section)}
            for index, item in enumerate(pipeline[role]):
                if item not in defined:
                    yield Hit(("service", "pipelines", name, role, index),
                              f"pipeline '{name}' uses {role[:-1]} '{item}', which is not defined: define it "
                              f"under {' or '.join(sections)} or remove it here")
    extensions = config.service().get("extensions")
    for index, item in enumerate(extensions if isinstance(extensions, list) else []):
        if str(item) not in config.section("extensions"):
            yield Hit(("service", "extensions", index),
                      f"service.extensions lists '{item}', which is not defined under extensions")
