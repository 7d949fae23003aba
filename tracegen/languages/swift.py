"""Swift: opentelemetry-swift (OpenTelemetrySdk with the OTLP HTTP exporter). It reads
OTEL_RESOURCE_ATTRIBUTES only; the setup code applies the endpoint, sampler and propagators from the
other OTEL_* variables. Swift packages come from GitHub through SwiftPM, which is not reachable where
tracegen is built and tested: tracegen names what to install (TG701)."""

from tracegen.languages.base import Language

LANGUAGE = Language(
    name="swift", summary="opentelemetry-swift", otlp_protocol="http/protobuf",
    install="SwiftPM: https://github.com/open-telemetry/opentelemetry-swift (products OpenTelemetrySdk, "
            "OtlpHttpSpanExporting, ResourceExtension, URLSessionInstrumentation); the setup registers a "
            "TracerProviderSdk with a BatchSpanProcessor over OtlpHttpTraceExporter at "
            "OTEL_EXPORTER_OTLP_ENDPOINT/v1/traces",
    recording_cpu_us=60,
    recording_cpu_source="estimate: not measured here (no Swift toolchain); compiled with reference "
                         "counting, taken near Go's measured 55 µs",
)
