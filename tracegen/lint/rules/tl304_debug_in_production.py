"""TL304 debug.in-production (warning)

The `debug` exporter (and the removed `logging`) writes spans to the collector's log: at
`verbosity: detailed` every attribute, PII included, at any volume. `service.telemetry.logs.level:
debug` floods the log too. Both are for a laptop, not a production pipeline. Remove them from
configs that run in production (`--ignore TL304` for configs that are not).

Bad:

    service:
      telemetry: {logs: {level: debug}}
      pipelines:
        traces: {receivers: [otlp], exporters: [otlp_grpc/backend, debug]}

Good:

    service:
      telemetry: {logs: {level: info}}
      pipelines:
        traces: {receivers: [otlp], exporters: [otlp_grpc/backend]}
"""

from __future__ import annotations

from collections.abc import Iterator

from tracegen.lint.config import CollectorConfig, type_of
from tracegen.standards.finding import Hit, Severity

NAME = "debug.in-production"
SEVERITY = Severity.WARNING


def check(config: CollectorConfig) -> Iterator[Hit]:
    defined = {component_id: type_name for component_id, type_name, _ in config.components("exporters")}
    for name, pipeline in config.pipelines():
        for index, exporter in enumerate(pipeline["exporters"]):
            if type_of(defined.get(exporter, exporter)) in ("debug", "logging"):
                yield Hit(("service", "pipelines", name, "exporters", index),
                          f"pipeline '{name}' exports to {exporter}, which writes spans to the collector log: "
                          "remove it from production pipelines")
    telemetry = config.service().get("telemetry")
    logs = telemetry.get("logs") if isinstance(telemetry, dict) else None
    if isinstance(logs, dict) and str(logs.get("level", "")).lower() == "debug":
        yield Hit(("service", "telemetry", "logs", "level"),
                  "service.telemetry.logs.level is debug: use info (or warn) in production")
