"""TG304 sampling.trace-buffer-small (error)

Each gateway replica holds every trace it has not decided yet: `num_traces` of them. It needs room
for the traces that start during one `decision_wait` at the declared peak, per replica (the
retention model's recorded traces per second, shared by the replicas by trace ID); when the buffer
is full it evicts the oldest traces before their decision, and error traces vanish at exactly the
busiest moment. The buffer (num_traces x spans per trace x `sampling.assumptions.span_bytes`) must
also fit in half the replica's memory_limiter limit, or the limiter refuses spans first. Leave
`num_traces` unset to let tracegen size it (twice one wait at peak).

Bad:

    services:
      api: {version: 1.0.0, language: go, edge: true, peak_rps: 2000}
    sampling:
      tail:
        decision_wait: 10s
        num_traces: 5000
        policies:
          - {name: keep-errors, type: errors}

Good:

    services:
      api: {version: 1.0.0, language: go, edge: true, peak_rps: 2000}
    sampling:
      tail:
        decision_wait: 10s
        policies:
          - {name: keep-errors, type: errors}
          - {name: keep-slow, type: latency, threshold_ms: 500}
          - {name: baseline, type: probabilistic, percentage: 10}
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from tracegen.blueprint.loader import LoadedBlueprint
from tracegen.standards.finding import Hit, Severity
from tracegen.standards.rules._common import sampling_models

NAME = "sampling.trace-buffer-small"
SEVERITY = Severity.ERROR
MEMORY_SHARE = 0.5    # of the memory_limiter limit; the rest is for queues, batches and the decision cache


def check(loaded: LoadedBlueprint) -> Iterator[Hit]:
    for env, model in sampling_models(loaded):
        volumes = model.volumes
        if model.decision_wait_s is None or not volumes.num_traces:
            continue
        needed = math.ceil(volumes.traces_recorded_per_sec / model.replicas * model.decision_wait_s)
        if volumes.num_traces < needed:
            yield Hit(("sampling", "tail", "num_traces"),
                      f"num_traces {volumes.num_traces} cannot hold the {needed} traces that start on each of the "
                      f"{model.replicas} gateway replica(s) during one decision_wait at peak: raise it to at least "
                      f"{needed} (tracegen's default is twice that), or remove it", environment=env)
        limit = volumes.memory_limit_bytes
        if limit and volumes.tail_buffer_bytes > limit * MEMORY_SHARE:
            mib = 2 ** 20
            yield Hit(("topology", "gateway", "resources", "memory_mib"),
                      f"the tail buffer ({volumes.num_traces} traces x {model.spans_per_trace:.0f} spans x "
                      f"{model.assumptions.span_bytes} B = {volumes.tail_buffer_bytes / mib:.0f} MiB) needs more than "
                      f"half of the gateway's memory_limiter limit ({limit / mib:.0f} MiB): raise "
                      "topology.gateway.resources.memory_mib or add replicas", environment=env)
