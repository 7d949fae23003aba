"""Erlang and Elixir (one SDK on the BEAM): opentelemetry with opentelemetry_exporter, which exports
OTLP http/protobuf by default and reads the standard OTEL_* variables. Hex is not reachable where
tracegen is built and tested: tracegen names what to install (TG701). A blueprint may write `elixir`."""

from tracegen.languages.base import Language

LANGUAGE = Language(
    name="erlang", summary="OpenTelemetry Erlang/Elixir (opentelemetry, opentelemetry_exporter)",
    otlp_protocol="http/protobuf", aliases=("elixir",),
    propagators=frozenset({"tracecontext", "baggage", "b3", "b3multi"}),
    install="Hex: opentelemetry_api, opentelemetry, opentelemetry_exporter, plus the instrumentation of its "
            "framework (opentelemetry_phoenix, opentelemetry_cowboy, opentelemetry_ecto, ...), started before "
            "the application (releases: the opentelemetry application listed first, temporary)",
    recording_cpu_us=120,
    recording_cpu_source="estimate: not measured here (Hex unreachable); the BEAM's span records "
                         "travel through ETS tables, taken between Go and Java",
)
