"""Ruby: opentelemetry-sdk with opentelemetry-exporter-otlp (OTLP http/protobuf, the only stable
Ruby exporter). RubyGems is not reachable where tracegen is built and tested: tracegen writes the
OTEL_* wiring and names what to install (TG701). The SDK reads OTEL_PROPAGATORS (b3/jaeger need
their propagator gems)."""

from tracegen.languages.base import Language

LANGUAGE = Language(
    name="ruby", summary="OpenTelemetry Ruby SDK", otlp_protocol="http/protobuf",
    zero_code="the opentelemetry-auto-instrumentation gem (gem install it, then run with "
              "RUBYOPT=\"-r opentelemetry-auto-instrumentation\")",
    install="RubyGems: opentelemetry-sdk, opentelemetry-exporter-otlp, opentelemetry-instrumentation-all "
            "(OpenTelemetry::SDK.configure { |c| c.use_all })",
    recording_cpu_us=300,
    recording_cpu_source="estimate: not measured here (RubyGems unreachable); an interpreter like "
                         "CPython, taken a little above Python's measured 250 µs",
)
