"""C++: opentelemetry-cpp with its OTLP gRPC exporter (the exporter is chosen in code; the SDK reads
OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, not OTEL_PROPAGATORS or
the sampler variables, which its setup code applies). There is no zero-code option and no package
registry tracegen can build from here: tracegen names what to install (TG701)."""

from tracegen.languages.base import Language

LANGUAGE = Language(
    name="cpp", summary="opentelemetry-cpp (OTLP gRPC exporter)", otlp_protocol="grpc",
    install="opentelemetry-cpp built with -DWITH_OTLP_GRPC=ON (vcpkg: opentelemetry-cpp[otlp-grpc]; conan: "
            "opentelemetry-cpp), linked as opentelemetry-cpp::otlp_grpc_exporter and opentelemetry-cpp::trace; "
            "the setup builds an OtlpGrpcExporter and a BatchSpanProcessor and sets the propagator and "
            "sampler from the OTEL_* variables",
    recording_cpu_us=30,
    recording_cpu_source="estimate: not measured here (opentelemetry-cpp not built); native code with "
                         "no runtime, taken below Go's measured 55 µs",
)
