"""Go: the OpenTelemetry Go SDK with the OTLP gRPC exporter. The generated `tracing` package builds
its propagators in code (targets/sdk/go.py), so it has exactly these. The Operator's Go injection is
eBPF-based (privileged, needs OTEL_GO_AUTO_TARGET_EXE)."""

from tracegen.languages.base import Language

LANGUAGE = Language(
    name="go",
    recording_cpu_us=55,
    summary="Go SDK (otlptracegrpc), tracing package",
    otlp_protocol="grpc",
    propagators=frozenset({"tracecontext", "baggage", "b3", "b3multi", "jaeger"}),
    refuses_other_propagators=True,
    sdk_output="go",
    operator_inject="go",
    zero_code="OpenTelemetry Go automatic instrumentation (eBPF; the Operator's inject-go)",
)
