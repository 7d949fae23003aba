"""Python: opentelemetry-sdk with the OTLP gRPC exporter; OTEL_PROPAGATORS is read by its
autoconfiguration (the requirements add the b3/jaeger packages when they are named)."""

from tracegen.languages.base import Language

LANGUAGE = Language(name="python", recording_cpu_us=250,
                    summary="opentelemetry-python SDK", otlp_protocol="grpc",
                    propagators=frozenset({"tracecontext", "baggage", "b3", "b3multi", "jaeger"}),
                    sdk_output="python", operator_inject="python", operator_protocol="http/protobuf",
                    zero_code="opentelemetry-distro + opentelemetry-instrument (the Operator's inject-python)")
