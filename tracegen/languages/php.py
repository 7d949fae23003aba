"""PHP: the OpenTelemetry PHP SDK with its OTLP exporter (http/protobuf by default), loaded by the
`opentelemetry` extension's autoloading (OTEL_PHP_AUTOLOAD_ENABLED=true, set with the OTEL_*
wiring). Packagist and PECL are not reachable where tracegen is built and tested: tracegen names
what to install (TG701)."""

from tracegen.languages.base import Language

LANGUAGE = Language(
    name="php", summary="OpenTelemetry PHP SDK (extension + Composer packages)", otlp_protocol="http/protobuf",
    zero_code="the opentelemetry PECL extension with auto-instrumentation packages "
              "(open-telemetry/opentelemetry-auto-slim, -auto-laravel, ...) and OTEL_PHP_AUTOLOAD_ENABLED=true",
    install="PECL: opentelemetry (pecl install opentelemetry; extension=opentelemetry.so); Composer: "
            "open-telemetry/sdk, open-telemetry/exporter-otlp, php-http/guzzle7-adapter, and the "
            "open-telemetry/opentelemetry-auto-<framework> package of its framework",
    extra_env=(("OTEL_PHP_AUTOLOAD_ENABLED", "true"),),
    recording_cpu_us=250,
    recording_cpu_source="estimate: not measured here (Packagist unreachable); an interpreter like "
                         "CPython, taken at Python's measured 250 µs",
)
