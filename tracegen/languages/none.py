"""`none`: a proxy or server that traces with its own built-in tracer (Envoy's OpenTelemetry
tracer, nginx's ngx_otel_module, flagd, k6's xk6-otel): no SDK to generate or install. It still gets
the OTEL_* wiring, which it reads where it can (OTEL_SERVICE_NAME and OTEL_EXPORTER_OTLP_ENDPOINT in
an Envoy bootstrap or nginx template rendered with envsubst) and which names its collector endpoint
(the node-local agent, over gRPC as both proxies export). The retention model treats it as it
treats the ingress and the mesh: at the root it samples at the edge rate, behind a caller it follows
the sampled flag it receives (Envoy and nginx honour traceparent's flag); its CPU is the proxy's
business, not an SDK's, so the overhead model has no figure for it."""

from tracegen.languages.base import Language

LANGUAGE = Language(
    name="none", summary="no SDK: a proxy or server with its own tracer (Envoy, nginx)", otlp_protocol="grpc",
    kind="proxy", recording_cpu_source="not an SDK: the proxy's own tracer",
)
