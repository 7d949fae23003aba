"""Java: the OpenTelemetry Java agent 2.x, whose default OTLP protocol is http/protobuf on 4318. The
agent reads OTEL_PROPAGATORS itself; these propagators are built into it."""

from tracegen.languages.base import Language

# The agent's facts, shared by every JVM language (Kotlin and Scala run the same agent).
JAVA_AGENT = dict(otlp_protocol="http/protobuf", recording_cpu_us=165, sdk_output="java", operator_inject="java",
                  propagators=frozenset({"tracecontext", "baggage", "b3", "b3multi", "jaeger", "ottrace", "xray"}),
                  zero_code="the Java agent (-javaagent:opentelemetry-javaagent.jar; the Operator's inject-java)")

LANGUAGE = Language(name="java", summary="Java agent 2.x", **JAVA_AGENT)
