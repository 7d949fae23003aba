""".NET: the OpenTelemetry .NET SDK, or (zero-code) OpenTelemetry .NET Automatic Instrumentation,
which reads every standard OTEL_* variable and exports OTLP http/protobuf by default. Neither the
.NET SDK nor NuGet is reachable where tracegen is built and tested, so tracegen writes the OTEL_*
wiring and names what to install (TG701); under `sdk.mode: operator` the Operator injects it."""

from tracegen.languages.base import Language

LANGUAGE = Language(
    name="dotnet", summary="OpenTelemetry .NET (automatic instrumentation or SDK)",
    otlp_protocol="http/protobuf",
    propagators=frozenset({"tracecontext", "baggage", "b3", "b3multi"}),
    operator_inject="dotnet",
    zero_code="OpenTelemetry .NET Automatic Instrumentation (otel-dotnet-auto-install.sh and "
              "instrument.sh from its GitHub release; the Operator's inject-dotnet)",
    install="NuGet: OpenTelemetry.Extensions.Hosting, OpenTelemetry.Exporter.OpenTelemetryProtocol, "
            "OpenTelemetry.Instrumentation.AspNetCore, OpenTelemetry.Instrumentation.Http (call "
            "AddOpenTelemetry().WithTracing(t => t.AddAspNetCoreInstrumentation().AddHttpClientInstrumentation()"
            ".AddOtlpExporter()))",
    recording_cpu_us=100,
    recording_cpu_source="estimate: not measured here (no .NET SDK); a JIT-compiled runtime with "
                         "in-process instrumentation, taken between Go's 55 and Java's 165 measured µs",
)
