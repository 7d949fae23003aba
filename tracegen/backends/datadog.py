"""Datadog: OTLP/HTTP protobuf to Datadog's OTLP traces intake (or a Datadog Agent's OTLP port) with
`dd-protocol: otlp` and the API key in `dd-api-key`. The contrib `datadog` exporter is not used:
it cannot be built from the module proxy this project builds from (components.PROXY_GAPS). HTTP
only, whatever the blueprint says. Indexed spans are kept 15 days by default."""

from tracegen.backends.base import BackendType, Retention

BACKEND = BackendType(
    name="datadog",
    summary="Datadog over OTLP/HTTP",
    key_header="dd-api-key",
    key_required=True,
    keyed_headers=(("dd-protocol", "otlp"),),
    protocol="http",
    retention=Retention(15, source="Datadog's default retention filter for indexed spans"),
)
