"""Rust services: a `tracing_setup` library crate under `sdk/<service>/` (every environment).

- `Cargo.toml` (sdk-deps): package `<service>-tracing`, lib `tracing_setup`, the opentelemetry,
  opentelemetry_sdk and opentelemetry-otlp crates at one release (versions.SDK_VERSIONS_RUST), with
  opentelemetry-otlp's default features: OTLP http/protobuf over the blocking reqwest client, so the
  service needs no async runtime for tracing.
- `src/lib.rs`: `init()` installs a global SdkTracerProvider (batch exporter to the local agent),
  the resource (compiled-in shared attributes, then OTEL_RESOURCE_ATTRIBUTES, then
  OTEL_SERVICE_NAME or the service's name) and the propagators (OTEL_PROPAGATORS among those
  compiled in, else the blueprint's); the SDK reads OTEL_TRACES_SAMPLER(_ARG), the exporter
  OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT and _HEADERS. `tracer()`, `extract(headers)`,
  `inject(cx)`; `Tracing::shutdown()` flushes.
- `README.md`: how to adopt it.

The propagators are built in code (languages/rust.py: tracecontext and baggage), so any other is
refused by the planner (TG001).
"""

from __future__ import annotations

from tracegen import encoding
from tracegen.targets import templating
from tracegen.targets.artifact import Artifact
from tracegen.targets.sdk import common
from tracegen.targets.sdk.common import ServiceCode
from tracegen.versions import SDK_VERSIONS_RUST as V

TEMPLATE_DIR = "sdk/rust"
PROPAGATORS = ("tracecontext", "baggage")
FILTERS = (("rust", encoding.rust_string), ("toml", encoding.toml_string), ("comment", encoding.comment))


def package(code: ServiceCode) -> str:
    return f"{code.service.name}-tracing"


def files(code: ServiceCode) -> list[Artifact]:
    service = code.service
    jinja = templating.environment(FILTERS)
    generated = common.generated_line(code.blueprint)
    context = dict(service=service, generated=generated, generated_comment=encoding.comment(generated),
                   package=package(code), versions=V, rust_version=V["rust"],
                   attributes=[(k, v) for k, v in service.resource_attributes if k != "service.name"],
                   propagators=[p for p in service.propagators if p in PROPAGATORS])
    render = lambda name: jinja.get_template(f"{TEMPLATE_DIR}/{name}.j2").render(**context)  # noqa: E731
    return [common.artifact(code, "Cargo.toml", "sdk-deps", render("Cargo.toml")),
            common.artifact(code, "src/lib.rs", "sdk-code", render("lib.rs")),
            common.artifact(code, "README.md", "docs", render("README.md"))]
