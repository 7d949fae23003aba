"""TL404 processors.batch-in-exporters (info)

The collector is moving batching from the `batch` processor into the exporters (`sending_queue`
with `batch:`), where it happens after the queue: what sits in a persistent queue is flushed in full
batches after a restart, and there is one mechanism to size instead of two. tracegen's own configs
batch in the exporters at every version it builds; checked with `otelcol validate` at 0.160.0 and
0.165.0 (this rule fires from 0.160.0: earlier versions were not checked here). Move the settings
into each exporter's `sending_queue.batch` and drop the processor.

Bad:

    processors:
      batch: {timeout: 200ms, send_batch_size: 2048}
    exporters:
      otlp_grpc/backend: {endpoint: backend:4317}

Good:

    exporters:
      otlp_grpc/backend:
        endpoint: backend:4317
        sending_queue:
          batch: {flush_timeout: 200ms, min_size: 2048, max_size: 8192}
"""

from __future__ import annotations

from collections.abc import Iterator

from tracegen import components
from tracegen.lint.config import CollectorConfig
from tracegen.standards.finding import Hit, Severity

NAME = "processors.batch-in-exporters"
SEVERITY = Severity.INFO
SINCE = "0.160.0"


def check(config: CollectorConfig) -> Iterator[Hit]:
    version = config.options["collector_version"]
    if components.parse_version(version) < components.parse_version(SINCE):
        return
    used = config.used_in_pipelines("processors")
    for component_id, type_name, _ in config.components("processors"):
        if type_name == "batch" and component_id in used:
            yield Hit(("processors", component_id),
                      f"{component_id}: collector {version} batches in the exporters; move these settings to "
                      "each exporter's sending_queue.batch and remove the batch processor")
