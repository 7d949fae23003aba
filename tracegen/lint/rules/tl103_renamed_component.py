"""TL103 components.renamed (warning)

In 2026 the collector renamed many components to snake_case (exporter `otlp` -> `otlp_grpc` and
`otlphttp` -> `otlp_http` in 0.144.0, `k8sattributes` -> `k8s_attributes` in 0.146.0,
`spanmetrics` -> `span_metrics` in 0.151.0, `servicegraph` -> `service_graph` in 0.152.0,
`loadbalancing` -> `load_balancing` and `resourcedetection` -> `resource_detection` in 0.153.0,
`prometheusremotewrite` -> `prometheus_remote_write` in 0.154.0; the receiver stays `otlp`). The old
names still load as deprecated aliases, with a warning, until they are removed; the new names do not
load in older collectors. The name to write depends on the collector you run
(`--collector-version`, default the version tracegen pins): `tracegen lint --fix` renames the
definitions and every pipeline reference in place, keeping comments and layout.

Bad (collector 0.160.0):

    exporters:
      otlp/backend: {endpoint: backend:4317}
    service:
      pipelines:
        traces: {receivers: [otlp], exporters: [otlp/backend]}

Good:

    exporters:
      otlp_grpc/backend: {endpoint: backend:4317}
    service:
      pipelines:
        traces: {receivers: [otlp], exporters: [otlp_grpc/backend]}
"""

from __future__ import annotations

from collections.abc import Iterator

from tracegen.lint.config import CollectorConfig
from tracegen.lint.rules._common import renamed_id, renames
from tracegen.standards.finding import Hit, Severity

NAME = "components.renamed"
SEVERITY = Severity.WARNING


def check(config: CollectorConfig) -> Iterator[Hit]:
    version = config.options["collector_version"]
    for (section, component_id), change in renames(config, version).items():
        new_id = renamed_id(component_id, change)
        if change.forward:
            message = (f"{section[:-1]} '{component_id}': '{change.old}' was renamed '{change.new}' in collector "
                       f"{change.since} and is a deprecated alias at {version}: rename it to '{new_id}' here and "
                       f"in the pipelines (tracegen lint --fix)")
        else:
            message = (f"{section[:-1]} '{component_id}': '{change.old}' loads only from collector {change.since}; "
                       f"at {version} write '{new_id}' (tracegen lint --fix)")
        yield Hit((section, component_id), message)
