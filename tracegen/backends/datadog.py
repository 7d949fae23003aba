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
    # Unified service tagging: Datadog's intake derives env/service/version from these semantic
    # conventions itself; spans from dd-trace (or tagged for Datadog) carry the vendor names instead.
    vendor_attributes=(("deployment.environment.name", "env"), ("service.name", "service"),
                       ("service.version", "version")),
    migration_notes=(
        "Trace IDs: OTLP trace IDs are 128-bit. Datadog shows a trace under the low 64 bits of its ID "
        "(as a decimal number) and keeps the high 64 bits in the `_dd.p.tid` tag, so the same trace is "
        "found in the other backend by the full 32-hex-digit ID, whose last 16 hex digits are Datadog's "
        "ID in hexadecimal (`printf '%d' 0x<last 16 hex digits>` gives Datadog's number). Apps still on "
        "dd-trace with 64-bit IDs produce IDs whose high half is zero.",
        "Unified service tagging: Datadog derives env, service and version from deployment.environment.name, "
        "service.name and service.version; resources that carry only Datadog's names get the semantic "
        "conventions inserted by the `resource/migration` processor (never overwritten).",
        "APM trace metrics: Datadog computes them from what it receives (the kept traces only behind tail "
        "sampling); after the move, monitors belong on the gateways' span metrics or the new backend's own.",
        "dd-trace apps sending to a Datadog Agent: the collector's `datadog` receiver would accept them, but "
        "the Go module proxy serves no version of receiver/datadogreceiver (its version list is 404, "
        "v0.165.0 is 403 'not available'), so tracegen cannot build or validate a collector with it. Move "
        "each such service to the OpenTelemetry SDK bootstrap tracegen generates (sdk/<service>/) before "
        "dual-write; until then its spans reach only Datadog, through its Agent.",
    ),
    intake_rule=_intake,
)
