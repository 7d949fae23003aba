"""TL303 exporters.no-retry-or-queue (warning)

A network exporter retries failed sends and buffers in its sending queue by default. Turned off,
every backend hiccup drops spans, and because a pipeline's fan-out is synchronous, one slow
backend without a queue stalls every other exporter of the pipeline. Keep `retry_on_failure` and
`sending_queue` enabled; on gateways give the queue `storage:` (a `file_storage` extension) so it
survives a restart.

Bad:

    exporters:
      otlp_grpc/vendor:
        endpoint: api.vendor.example:443
        retry_on_failure: {enabled: false}
        sending_queue: {enabled: false}

Good:

    exporters:
      otlp_grpc/vendor:
        endpoint: api.vendor.example:443
        retry_on_failure: {enabled: true, max_elapsed_time: 300s}
        sending_queue: {enabled: true, storage: file_storage/queue}
"""

from __future__ import annotations

from collections.abc import Iterator

from tracegen.lint.config import CollectorConfig
from tracegen.lint.rules._common import NETWORK_EXPORTERS
from tracegen.standards.finding import Hit, Severity

NAME = "exporters.no-retry-or-queue"
SEVERITY = Severity.WARNING
WHAT = {"retry_on_failure": "retries", "sending_queue": "its sending queue"}


def check(config: CollectorConfig) -> Iterator[Hit]:
    for component_id, type_name, settings in config.components("exporters"):
        if type_name not in NETWORK_EXPORTERS:
            continue
        for key, what in WHAT.items():
            block = settings.get(key)
            if isinstance(block, dict) and block.get("enabled") is False:
                yield Hit(("exporters", component_id, key),
                          f"{component_id} has {what} turned off: a backend outage drops spans and can stall "
                          f"the pipeline's other exporters; enable {key}")
