"""Node.js: the OpenTelemetry JS 2.x SDK with the OTLP gRPC exporter; OTEL_PROPAGATORS is read by
its autoconfiguration (the bootstrap adds the b3/jaeger packages when they are named). JavaScript and
TypeScript are this language: a blueprint may write either, and the service is planned as `node`
(TypeScript compiles to the same JS SDK calls)."""

from tracegen.languages.base import Language

LANGUAGE = Language(name="node", recording_cpu_us=150,
                    summary="OpenTelemetry JS 2.x SDK", otlp_protocol="grpc",
                    propagators=frozenset({"tracecontext", "baggage", "b3", "b3multi", "jaeger"}),
                    sdk_output="node", operator_inject="nodejs", aliases=("javascript", "typescript"),
                    zero_code="@opentelemetry/auto-instrumentations-node (--require .../register; the "
                              "Operator's inject-nodejs)")
