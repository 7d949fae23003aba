"""Java: the OpenTelemetry Java agent 2.x, whose default OTLP protocol is http/protobuf on 4318. The
agent reads OTEL_PROPAGATORS itself; these propagators are built into it."""

from tracegen.languages.base import Language

LANGUAGE = Language(name="java", recording_cpu_us=165,
                    summary="Java agent 2.x", otlp_protocol="http/protobuf",
                    propagators=frozenset({"tracecontext", "baggage", "b3", "b3multi", "jaeger", "ottrace", "xray"}))
