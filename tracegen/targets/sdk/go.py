"""Go services: a `tracing` package and its module, under `sdk/<service>/` (every environment).

- `go.mod` (sdk-deps): module `<blueprint>/<service>/tracing`, the OpenTelemetry Go SDK and the
  contrib modules it needs at mutually compatible versions (versions.SDK_VERSIONS_GO). Run
  `go mod tidy` once: it adds the indirect requirements and go.sum.
- `tracing.go`: `Setup(ctx) (shutdown, error)`: a TracerProvider with the service's resource
  (semconv at the SDK's own version), an OTLP gRPC exporter to the local agent, a batcher, the
  parent-based ratio sampler and the W3C propagators; `Tracer()`, `RecordError(span, err)`. The same
  code serves every environment: the standard variables override the compiled-in defaults as in Node
  and Python: OTEL_TRACES_SAMPLER(_ARG),
  OTEL_PROPAGATORS (every propagator of PROPAGATORS is compiled in, or `none`), OTEL_SERVICE_NAME and
  OTEL_RESOURCE_ATTRIBUTES (the SDK's resource.WithFromEnv, percent-decoded),
  OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT/PROTOCOL (grpc or http/protobuf; otlptracegrpc/-http read the
  headers, TLS, compression and timeout variables themselves), OTEL_SDK_DISABLED. With
  OTEL_CONFIG_FILE set it loads that declarative configuration (otelconf) instead.
- `grpc.go` (gRPC declared): `ServerOptions()` / `DialOptions()` with the otelgrpc stats handlers.
- `http.go` (HTTP declared): otelhttp `Handler` (inbound) and `Transport`/`Client` (outbound).
- `messaging.go` (messaging declared): `InjectHeaders` / `ExtractContext` over a header carrier,
  `ProduceSpan` / `ConsumeSpan` for the directions declared, carriers for Kafka header slices and
  RabbitMQ tables.
- `log.go`: an slog handler that adds trace_id and span_id to records logged with a span's context.
- `metrics.go`: Prometheus exemplars: `ObserveWithTrace` attaches the sampled span's trace_id.
- `otel-config.yaml`: the same SDK settings as declarative configuration (targets/sdk/declarative.py),
  which `Setup` loads with otelconf when OTEL_CONFIG_FILE names it.
- `README.md`: how to adopt it.
"""

from __future__ import annotations

import re

from jinja2 import Environment

from tracegen.errors import RefusedError
from tracegen import encoding
from tracegen.plan import model as pm
from tracegen.targets import templating
from tracegen.targets.artifact import Artifact
from tracegen.targets.sdk.common import MESSAGING_SYSTEMS
from tracegen.plan.otel_env import ratio_text
from tracegen.plan.remote_sampling import HTTP_PORT, POLLING_INTERVAL_MS
from tracegen.targets.sdk import common, declarative
from tracegen.versions import SDK_VERSIONS_GO as V

TEMPLATE_DIR = "sdk/go"
DECLARATIVE = declarative.FILE_NAME
OTEL = "go.opentelemetry.io/otel"
JAEGER_REMOTE = "go.opentelemetry.io/contrib/samplers/jaegerremote"
# Propagator name (OTEL_PROPAGATORS) -> the Go expression that builds it and the module it needs.
PROPAGATORS = {
    "tracecontext": ("propagation.TraceContext{}", None),
    "baggage": ("propagation.Baggage{}", None),
    "b3": ("b3.New(b3.WithInjectEncoding(b3.B3SingleHeader))", "go.opentelemetry.io/contrib/propagators/b3"),
    "b3multi": ("b3.New(b3.WithInjectEncoding(b3.B3MultipleHeader))", "go.opentelemetry.io/contrib/propagators/b3"),
    "jaeger": ("jaeger.Jaeger{}", "go.opentelemetry.io/contrib/propagators/jaeger"),
}
# messaging.system values (semantic conventions) of the blueprint's systems.


class GoTargetError(RefusedError):
    """The service asks for something the Go output cannot provide."""


def module_path(blueprint: str, service: pm.ServicePlan) -> str:
    return f"{_segment(blueprint)}/{_segment(service.name)}/tracing"


def _segment(name: str) -> str:
    return re.sub(r"[^a-z0-9._-]", "-", name.lower())


def _propagators(service: pm.ServicePlan) -> list[str]:
    """The Go expressions of the blueprint's propagators (the default when OTEL_PROPAGATORS is unset)."""
    for name in service.propagators:
        if name not in PROPAGATORS:
            raise GoTargetError(f"service {service.name}: the Go SDK output has no propagator {name!r} "
                                f"(supported: {', '.join(PROPAGATORS)})")
    return [PROPAGATORS[name][0] for name in service.propagators]


def requirements(service: pm.ServicePlan, remote: bool = False) -> list[tuple[str, str]]:
    """(module, version) the generated package imports directly; `remote`: with the Jaeger remote sampler."""
    modules = {OTEL, "go.opentelemetry.io/otel/sdk", "go.opentelemetry.io/otel/trace",
               "go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc",
               "go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp",   # OTEL_EXPORTER_OTLP_PROTOCOL
               "go.opentelemetry.io/contrib/otelconf", "github.com/prometheus/client_golang"}
    # Every propagator OTEL_PROPAGATORS may name is compiled in, not only the blueprint's.
    modules |= {module for _, module in PROPAGATORS.values() if module}
    if "grpc" in service.inbound or "grpc" in service.outbound:
        modules |= {"google.golang.org/grpc", "go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"}
    if "http" in service.inbound or "http" in service.outbound:
        modules.add("go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp")
    if remote:
        modules.add(JAEGER_REMOTE)
    return [(module, V[module]) for module in sorted(modules)]


def remote_sampler(code: common.ServiceCode) -> dict[str, str] | None:
    """The Jaeger remote sampler's defaults when an environment's OTEL_TRACES_SAMPLER is
    parentbased_jaeger_remote (plan/remote_sampling.py): the agent's strategy server on this host.
    Each environment's OTEL_TRACES_SAMPLER_ARG names its own, which jaegerremote reads itself."""
    if not any(dict(s.otel_env).get("OTEL_TRACES_SAMPLER") == "parentbased_jaeger_remote" for s in code.environments):
        return None
    return {"endpoint": f"http://localhost:{HTTP_PORT}/sampling", "pollingIntervalMs": str(POLLING_INTERVAL_MS)}


def _go_mod(code: common.ServiceCode) -> str:
    lines = [f"// Generated by tracegen (blueprint {code.blueprint}), the same for every environment.",
             "// Run `go mod tidy` once: it adds go.sum and the indirect requirements of these pins.",
             f"module {module_path(code.blueprint, code.service)}", "", f"go {V['go']}", "", "require ("]
    lines += [f"\t{module} {version}" for module, version in requirements(code.service, bool(remote_sampler(code)))]
    lines.append(")")
    return "\n".join(lines) + "\n"


_go_string = encoding.go_string


def _go_float(ratio: float) -> str:
    text = ratio_text(ratio)
    return text if "." in text else f"{text}.0"


def _ident(text: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", text) if part) or "X"


def _aligned(pairs: list[tuple[str, str]]) -> list[str]:
    """`Name = value` lines of a const block, aligned as gofmt aligns them."""
    width = max((len(name) for name, _ in pairs), default=0)
    return [f"{name.ljust(width)} = {value}" for name, value in pairs]


def _jinja() -> Environment:
    return templating.environment((("go_string", _go_string), ("comment", encoding.comment)))


def files(code: common.ServiceCode) -> list[Artifact]:
    service = code.service
    propagators = _propagators(service)
    systems = sorted({system for system, _ in service.produces + service.consumes})
    grpc_on = "grpc" in service.inbound or "grpc" in service.outbound
    http_on = "http" in service.inbound or "http" in service.outbound
    attributes = [(k, v) for k, v in service.resource_attributes if k not in ("service.name", "service.version")]
    destinations = sorted({(f"{_ident(system)}{_ident(topic)}", MESSAGING_SYSTEMS.get(system, system), topic)
                           for system, topic in service.produces + service.consumes})
    context = dict(
        blueprint=code.blueprint, service=service, module=module_path(code.blueprint, service), versions=V,
        semconv=V["semconv"], ratio=_go_float(service.sampler_ratio), ratio_text=ratio_text(service.sampler_ratio),
        attributes=attributes, propagators=propagators,
        all_propagators=[(name, expression) for name, (expression, _) in PROPAGATORS.items()],
        grpc_in="grpc" in service.inbound, grpc_out="grpc" in service.outbound,
        http_in="http" in service.inbound, http_out="http" in service.outbound,
        systems=systems, produces=bool(service.produces), consumes=bool(service.consumes),
        messaging_constants=_aligned([(f"System{_ident(s)}", _go_string(MESSAGING_SYSTEMS.get(s, s))) for s in systems]
                                     + [(f"Destination{name}", _go_string(topic)) for name, _, topic in destinations]),
        declarative=DECLARATIVE, remote=remote_sampler(code))
    jinja = _jinja()

    def render(name: str) -> Artifact:
        kind = "docs" if name.endswith(".md") else "sdk-code"
        return common.artifact(code, name, kind, jinja.get_template(f"{TEMPLATE_DIR}/{name}.j2").render(**context))

    out = [common.artifact(code, "go.mod", "sdk-deps", _go_mod(code)), render("tracing.go"), render("log.go"),
           render("metrics.go"), render("README.md"),
           common.declarative_artifact(code, source=f"blueprint {code.blueprint}")]
    if grpc_on:
        out.append(render("grpc.go"))
    if http_on:
        out.append(render("http.go"))
    if systems:
        out.append(render("messaging.go"))
    return out
