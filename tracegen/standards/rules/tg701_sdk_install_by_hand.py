"""TG701 sdk.install-by-hand (info)

tracegen writes a tracing bootstrap for Node.js (and JavaScript/TypeScript), Java (and Kotlin,
Scala on the Java agent), Go, Python and Rust. A service in another language the OpenTelemetry
project supports (.NET, Ruby, PHP, C++, Erlang/Elixir, Swift) still gets its OTEL_* wiring on
Kubernetes (its Component) and on VMs (its environment file), pointing at the local agent with the
plan's sampler, propagators and resource attributes; but its SDK packages come from registries
tracegen cannot build against here (NuGet, RubyGems, Packagist, Hex, SwiftPM), so the team
installs them. The message names exactly which, and the zero-code option where there is one (with
`sdk.mode: operator` the OpenTelemetry Operator injects .NET on Kubernetes). A `language: none`
service (Envoy, nginx) traces with its own tracer: the message says what to point it at.

Bad:

    services:
      email: {version: 1.0.0, language: ruby}

Good:

    services:
      email: {version: 1.0.0, language: python}
"""

from __future__ import annotations

from collections.abc import Iterator

from tracegen import languages
from tracegen.blueprint.loader import LoadedBlueprint
from tracegen.standards.finding import Hit, Severity

NAME = "sdk.install-by-hand"
SEVERITY = Severity.INFO


def check(loaded: LoadedBlueprint) -> Iterator[Hit]:
    bp = loaded.blueprint
    for name, service in bp.services.items():
        lang = languages.get(service.language)
        if lang.generated:
            continue
        where = ("services", name, "language")
        if lang.kind == "proxy":
            yield Hit(where, f"service '{name}' has no SDK (language none): tracegen writes its OTEL_* variables; "
                             "point its own tracer at OTEL_EXPORTER_OTLP_ENDPOINT over OTLP gRPC (Envoy: "
                             "envoy.tracers.opentelemetry with a grpc_service cluster to that host:port; nginx: "
                             "ngx_otel_module's otel_exporter {endpoint host:port;}) with the service name "
                             f"'{name}'")
            continue
        operator = (service.sdk or bp.sdk).mode == "operator" and lang.operator_inject
        zero_code = f"; zero-code: {lang.zero_code}" if lang.zero_code else "; there is no zero-code option"
        injected = " (on Kubernetes the Operator injects it: sdk.mode operator)" if operator else ""
        yield Hit(where, f"service '{name}' ({lang.name}): tracegen writes its OTEL_* wiring but no bootstrap"
                         f"{injected}; install {lang.install}{zero_code}")
