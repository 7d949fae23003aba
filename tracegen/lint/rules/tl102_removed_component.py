"""TL102 components.removed (error)

A component that the collector no longer ships makes the whole config fail to load. The ones
configs copied from older guides still carry:

- exporter `jaeger` (and `jaeger_thrift`): removed in collector-contrib v0.85.0. Jaeger takes OTLP
  natively: export with `otlp_grpc` (`otlp` before 0.144.0) to Jaeger's OTLP port 4317.
- exporter `logging`: removed in v0.111.0. Its successor is `debug` with
  `verbosity: basic|normal|detailed` (there is no `loglevel`).
- processor `spanmetrics`: removed from collector-contrib (PR #31508, 2024; absent from every
  collector tracegen supports). Use the `span_metrics` connector (`spanmetrics` before 0.151.0),
  an exporter of the traces pipeline and a receiver of a metrics pipeline.

Bad:

    exporters:
      jaeger:
        endpoint: jaeger-collector.jaeger:14250

Good:

    exporters:
      otlp_grpc/jaeger:
        endpoint: jaeger-collector.jaeger:4317
"""

from __future__ import annotations

from collections.abc import Iterator

from tracegen.lint.config import CollectorConfig
from tracegen.standards.finding import Hit, Severity

NAME = "components.removed"
SEVERITY = Severity.ERROR

# (section, type) -> (when it was removed, what to do instead)
REMOVED = {
    ("exporters", "jaeger"): ("collector-contrib v0.85.0", "export OTLP with otlp_grpc (otlp before 0.144.0) to "
                                                          "Jaeger's OTLP port 4317"),
    ("exporters", "jaeger_thrift"): ("collector-contrib v0.85.0", "export OTLP with otlp_http to Jaeger's OTLP "
                                                                  "HTTP port 4318"),
    ("exporters", "logging"): ("v0.111.0", "use the debug exporter with verbosity: basic, normal or detailed "
                                           "(no loglevel), or nothing in production"),
    ("processors", "spanmetrics"): ("collector-contrib (PR #31508, 2024)", "define the span_metrics connector "
                                    "(spanmetrics before 0.151.0): an exporter of the traces pipeline and a "
                                    "receiver of a metrics pipeline"),
}


def check(config: CollectorConfig) -> Iterator[Hit]:
    for (section, type_name), (when, instead) in REMOVED.items():
        for component_id, found, _ in config.components(section):
            if found == type_name:
                yield Hit((section, component_id),
                          f"{section[:-1]} '{component_id}': '{type_name}' was removed in {when}; {instead}")
