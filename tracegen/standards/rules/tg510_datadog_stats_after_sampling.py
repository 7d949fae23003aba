"""TG510 backends.datadog-stats-after-sampling (warning)

Datadog computes its APM trace metrics (requests, errors, latency per service and resource) from
the spans it receives. Behind tail sampling it receives the kept traces only: errors and slow
traces are over-represented and the healthy bulk is missing, so every monitor on those metrics is
wrong. The contrib `datadog` connector, which computes them from every span before sampling,
cannot be built from the Go module proxy (it serves no version of it). Compute RED metrics from
every span before sampling with `span_metrics` (served to Prometheus; scrape them into Datadog)
and put monitors on those.

Bad:

    backends:
      datadog:
        type: datadog
        endpoint: https://trace.agent.datadoghq.com/api/v0.2/traces
        api_key: ${env:DD_API_KEY}
        headers: {dd-otlp-source: shop}
        retention: {hot_days: 15, cold_days: 30}
    sampling:
      tail:
        policies:
          - {name: keep-errors, type: errors}

Good (the same backend and sampling, plus):

    topology:
      derived_metrics: {span_metrics: true}
"""

from __future__ import annotations

from collections.abc import Iterator

from tracegen.blueprint.loader import LoadedBlueprint
from tracegen.standards.finding import Hit, Severity

NAME = "backends.datadog-stats-after-sampling"
SEVERITY = Severity.WARNING


def check(loaded: LoadedBlueprint) -> Iterator[Hit]:
    for env, view in loaded.environments.items():
        bp = view.blueprint
        if bp.sampling.tail is None or bp.topology.derived_metrics.span_metrics:
            continue
        for name, backend in sorted(view.backends().items()):
            if backend.type == "datadog":
                yield Hit(("backends", name),
                          f"Datadog backend '{name}' receives tail-sampled traces, so its APM trace metrics "
                          "count only the kept ones: set topology.derived_metrics.span_metrics: true (RED "
                          "metrics from every span, before sampling) and monitor those", environment=env)
