"""Datadog: OTLP/HTTP protobuf, HTTP only whatever the blueprint says, to one of

- Datadog's OTLP traces intake (agentless). Its documented URL is a whole traces URL,
  `https://trace.agent.<site>/api/v0.2/traces`, so it goes into `traces_endpoint` (the exporter
  would append /v1/traces to `endpoint`); any path in a Datadog endpoint is taken that way. Its
  documented headers: `dd-protocol: otlp`, `dd-api-key` (the key) and `dd-otlp-source` (the
  organisation name Datadog gives you; put it in `headers`). A bare `trace.agent.<site>` host, or
  that intake without `dd-otlp-source`, is refused (TG509).
- A Datadog Agent's OTLP receiver (`http://<agent>:4318`, a base URL: /v1/traces appended).

Indexed spans are kept 15 days by default.

APM trace metrics: Datadog computes its request/error/latency metrics from the spans it receives,
so behind tail sampling they count only the kept traces and monitors on them are wrong. The
contrib `datadog` connector (stats from every span, before sampling) and the `datadog` exporter
cannot be built from the Go module proxy this project builds from: the proxy serves no version of
connector/datadogconnector at all (checked: its version list is 404), and the exporter imports
datadog-agent modules it does not serve (components.PROXY_GAPS). What tracegen offers instead:
`topology.derived_metrics.span_metrics` computes RED metrics on the gateway from every span, before
tail sampling (`traces/metrics` pipeline), served to Prometheus; point Datadog monitors at those
(e.g. through the Datadog Agent's OpenMetrics check), not at its APM trace metrics. TG510 warns
when a Datadog backend sits behind tail sampling without them.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from tracegen.backends.base import BackendType, Retention, http_url

SOURCE_HEADER = "dd-otlp-source"
INTAKE_HOST_PREFIX = "trace.agent."
INTAKE_PATH = "/api/v0.2/traces"


def _intake(endpoint: str, protocol: str, insecure: bool, headers: Mapping[str, str]) -> str | None:
    url = urlsplit(http_url(endpoint, insecure))
    if not (url.hostname or "").startswith(INTAKE_HOST_PREFIX):
        return None                          # a Datadog Agent's OTLP port, or a local stand-in
    if url.path.rstrip("/") == "":
        return (f"Datadog's OTLP traces intake is https://{url.hostname}{INTAKE_PATH}; a bare host would "
                "get /v1/traces appended by the exporter: give the whole URL")
    if SOURCE_HEADER not in headers:
        return (f"Datadog's OTLP traces intake needs the {SOURCE_HEADER} header (the organisation name "
                f"Datadog gives you): add headers: {{{SOURCE_HEADER}: <your org>}}")
    return None


BACKEND = BackendType(
    name="datadog",
    summary="Datadog over OTLP/HTTP",
    key_header="dd-api-key",
    key_required=True,
    keyed_headers=(("dd-protocol", "otlp"),),
    protocol="http",
    full_url_paths=True,
    retention=Retention(15, source="Datadog's default retention filter for indexed spans"),
    intake_rule=_intake,
)
