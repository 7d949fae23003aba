"""TG509 backends.endpoint-shape (error)

The collector's exporters do not send to the URL you wrote, they build one from it: OTLP/HTTP
appends `/v1/traces` to `endpoint`, OTLP/gRPC dials `host:port` and cannot send to a path. An
endpoint they would mangle (Datadog's `https://trace.agent.datadoghq.com` without its
`/api/v0.2/traces` path, a gRPC endpoint with a path, a base URL ending in `/v1`) passes
`otelcol validate` and then fails on every export with a 404 that only the collector's log shows.
Each backend type states its URL shape and its intake's required headers (tracegen/backends); the
planner refuses what they rule out, so this finding cannot be suppressed.

Bad:

    backends:
      datadog:
        type: datadog
        endpoint: https://trace.agent.datadoghq.com
        api_key: ${env:DD_API_KEY}

Good:

    backends:
      datadog:
        type: datadog
        endpoint: https://trace.agent.datadoghq.com/api/v0.2/traces
        api_key: ${env:DD_API_KEY}
        headers: {dd-otlp-source: acme}
"""

from __future__ import annotations

from collections.abc import Iterator

from tracegen.blueprint.loader import LoadedBlueprint
from tracegen.plan.builder import refusals
from tracegen.standards.finding import Hit, Severity

NAME = "backends.endpoint-shape"
SEVERITY = Severity.ERROR
SUPPRESSIBLE = False  # the planner refuses it (tracegen/plan/refusals.py), so check must too


def check(loaded: LoadedBlueprint) -> Iterator[Hit]:
    for refusal in refusals(loaded, "TG509"):
        yield Hit(refusal.path, refusal.message, environment=refusal.environment)
