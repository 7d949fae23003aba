"""Rust: the opentelemetry, opentelemetry_sdk and opentelemetry-otlp crates (OTLP http/protobuf with
the blocking reqwest client, the crate's default features). The generated `tracing_setup.rs` builds
the propagators in code, so it has exactly these; the SDK reads OTEL_SERVICE_NAME,
OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER[_ARG] and the OTLP endpoint itself."""

from tracegen.languages.base import Language

LANGUAGE = Language(
    name="rust", summary="opentelemetry-rust (opentelemetry-otlp, http/protobuf)", otlp_protocol="http/protobuf",
    propagators=frozenset({"tracecontext", "baggage"}), refuses_other_propagators=True,
    sdk_output="rust",
    recording_cpu_us=40,
    recording_cpu_source="estimate: not yet measured by scripts/bench_overhead.py; compiled code with a "
                         "lock-free batch queue, taken below Go's measured 55 µs",
)
