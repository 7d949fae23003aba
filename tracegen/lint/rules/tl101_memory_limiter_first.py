"""TL101 pipeline.memory-limiter-first (error)

The `memory_limiter` processor refuses data when the collector nears its memory limit, so that
senders back off instead of the process being OOM-killed. It only protects what comes after it:
it must be the first processor of every pipeline that receives from outside (pipelines fed only by
connectors get data that already passed one). Size it from the container's memory limit
(`limit_percentage`/`spike_limit_percentage`, or `limit_mib`/`spike_limit_mib`).

Bad:

    service:
      pipelines:
        traces:
          receivers: [otlp]
          processors: [batch, memory_limiter]
          exporters: [otlp_grpc/backend]

Good:

    service:
      pipelines:
        traces:
          receivers: [otlp]
          processors: [memory_limiter, batch]
          exporters: [otlp_grpc/backend]
"""

from __future__ import annotations

from collections.abc import Iterator

from tracegen.lint.config import CollectorConfig, type_of
from tracegen.lint.rules._common import fed_only_by_connectors
from tracegen.standards.finding import Hit, Severity

NAME = "pipeline.memory-limiter-first"
SEVERITY = Severity.ERROR


def check(config: CollectorConfig) -> Iterator[Hit]:
    for name, pipeline in config.pipelines():
        if fed_only_by_connectors(config, pipeline["receivers"]):
            continue
        processors = pipeline["processors"]
        types = [type_of(p) for p in processors]
        path = ("service", "pipelines", name)
        if "memory_limiter" not in types:
            yield Hit(path + ("processors",) if processors else path,
                      f"pipeline '{name}' has no memory_limiter: define one and put it first in its processors")
        elif types[0] != "memory_limiter":
            index = types.index("memory_limiter")
            yield Hit(path + ("processors", index),
                      f"pipeline '{name}' runs {', '.join(processors[:index])} before memory_limiter: move "
                      "memory_limiter to the front of its processors")
