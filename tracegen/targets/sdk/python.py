"""Python: the tracing setup and its helpers for one service, in `sdk/<service>/` (every environment).

- `tracing.py` (sdk-code): `tracing.configure()` at startup. opentelemetry-sdk TracerProvider with
  the blueprint's resource attributes, a parent-based ratio sampler, a BatchSpanProcessor and the
  OTLP exporter of the service's protocol, W3C propagators, the instrumentations of what the service
  declares, span flushing on SIGTERM, and `record_exception()`.
- `log_correlation.py` (a logging.Filter adding trace_id/span_id), `exemplars.py` (prometheus_client
  histogram with trace exemplars), `messaging.py` when the service produces or consumes messages.
- `requirements.txt` (sdk-deps): == pins from tracegen.versions.SDK_VERSIONS_PYTHON, one
  instrumentation line (0.xxbN) matching the SDK.
- `otel-config.yaml`: declarative configuration, loaded when OTEL_CONFIG_FILE names it.
- `README.md` (docs): how to adopt it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from jinja2 import Environment

from tracegen import encoding, languages
from tracegen.plan import model as pm
from tracegen.targets import templating
from tracegen.targets.artifact import Artifact
from tracegen.targets.sdk import common, declarative
from tracegen.versions import SDK_VERSIONS_PYTHON

TEMPLATE_DIR = "sdk/python"
SOURCES = ("tracing.py", "log_correlation.py", "exemplars.py")
MESSAGING = "messaging.py"
BASE_PACKAGES = (
    "opentelemetry-api", "opentelemetry-sdk", "opentelemetry-exporter-otlp-proto-grpc",
    "opentelemetry-exporter-otlp-proto-http", "opentelemetry-configuration", "opentelemetry-instrumentation",
    "prometheus-client",
)
PROPAGATOR_PACKAGES = {"b3": "opentelemetry-propagator-b3", "b3multi": "opentelemetry-propagator-b3",
                       "jaeger": "opentelemetry-propagator-jaeger"}
FRAMEWORK_CLASSES = {"fastapi": "FastAPI", "flask": "Flask"}


@dataclass(frozen=True)
class Instrumentation:
    package: str
    module: str
    instrumentor: str
    covers: str             # a comment in tracing.py: what it traces
    options: str = "{}"     # keyword arguments of instrument(), a Python dict literal


def _lib(name: str, instrumentor: str, covers: str, module: str | None = None, options: str = "{}") -> Instrumentation:
    return Instrumentation(f"opentelemetry-instrumentation-{name}", module or f"opentelemetry.instrumentation.{name}",
                           instrumentor, covers, options)


FRAMEWORKS = {
    # ASGI's per-message "http send"/"http receive" spans are left out: three spans a request for
    # what the server span already times.
    "fastapi": _lib("fastapi", "FastAPIInstrumentor", "FastAPI server spans (fastapi ~= 0.92)",
                    options='{"exclude_spans": ["receive", "send"]}'),
    "flask": _lib("flask", "FlaskInstrumentor", "Flask server spans (flask >= 1.0)"),
}
HTTP_CLIENTS = (_lib("requests", "RequestsInstrumentor", "outbound HTTP with requests"),
                _lib("httpx", "HTTPXClientInstrumentor", "outbound HTTP with httpx"))
GRPC_SERVER = _lib("grpc", "GrpcInstrumentorServer", "gRPC server (grpcio)")
GRPC_CLIENT = _lib("grpc", "GrpcInstrumentorClient", "gRPC client (grpcio)")
DATASTORES = {
    "postgres": (_lib("psycopg", "PsycopgInstrumentor", "PostgreSQL with psycopg 3"),
                 _lib("psycopg2", "Psycopg2Instrumentor", "PostgreSQL with psycopg2")),
    "mysql": (_lib("pymysql", "PyMySQLInstrumentor", "MySQL with PyMySQL"),),
    "redis": (_lib("redis", "RedisInstrumentor", "Redis with redis-py"),),
}
BROKERS = {
    "rabbitmq": (_lib("pika", "PikaInstrumentor", "RabbitMQ with pika: publish and consume spans, context in the headers"),
                 _lib("aio-pika", "AioPikaInstrumentor", "RabbitMQ with aio-pika", "opentelemetry.instrumentation.aio_pika")),
    "sqs": (_lib("botocore", "BotocoreInstrumentor", "AWS SDK (botocore), SQS included: context in the MessageAttributes"),),
}
KAFKA_NOTE = ("kafka: no client instrumentation is emitted, as Python has several clients; the helpers work "
              "with any of them (kafka-python, confluent-kafka and aiokafka each have an "
              "opentelemetry-instrumentation-* package of the same 0.xxbN line, if you prefer one)")


@dataclass(frozen=True)
class Setup:
    instrumentations: tuple[Instrumentation, ...]
    framework: Instrumentation | None
    packages: tuple[str, ...]
    notes: tuple[str, ...]
    messaging_notes: tuple[str, ...]


def setup(service: pm.ServicePlan) -> Setup:
    chosen: list[Instrumentation] = []
    notes: list[str] = []
    framework = FRAMEWORKS.get(service.framework or "")
    if framework:
        chosen.append(framework)
    elif "http" in service.inbound:
        notes.append(f"inbound HTTP{f' ({service.framework})' if service.framework else ''}: no server instrumentation "
                     "emitted (FastAPI and Flask are supported); wrap your ASGI/WSGI app in "
                     "opentelemetry-instrumentation-asgi/-wsgi's OpenTelemetryMiddleware")
    if "http" in service.outbound:
        chosen.extend(HTTP_CLIENTS)
    if "grpc" in service.inbound or service.framework == "grpc":
        chosen.append(GRPC_SERVER)
    if "grpc" in service.outbound:
        chosen.append(GRPC_CLIENT)
    for store in service.datastores:
        if store in DATASTORES:
            chosen.extend(DATASTORES[store])
        else:
            notes.append(f"datastore {store}: no instrumentation emitted; add its opentelemetry-instrumentation-* "
                         f"package at =={SDK_VERSIONS_PYTHON['opentelemetry-instrumentation']}")
    systems = sorted({system for system, _ in service.produces + service.consumes})
    messaging_notes = []
    for system in systems:
        if system == "kafka":
            messaging_notes.append(KAFKA_NOTE)
        else:
            chosen.extend(BROKERS[system])
            messaging_notes.append(f"{system}: {' and '.join(i.package for i in BROKERS[system])} trace its clients "
                                   "themselves; the helpers are for other clients")
    unique = tuple(dict.fromkeys(chosen))
    packages = {*BASE_PACKAGES, *(i.package for i in unique),
                *(PROPAGATOR_PACKAGES[p] for p in service.propagators if p in PROPAGATOR_PACKAGES)}
    provided = languages.get("python").propagators
    notes.extend(f"propagator {p}: not emitted ({', '.join(sorted(provided))} are supported)"
                 for p in service.propagators if p not in provided)
    return Setup(unique, framework, tuple(sorted(packages)), tuple(notes), tuple(messaging_notes))


def _py(value: object) -> str:
    """A Python literal: strings through the one encoder; tuples stay tuples."""
    if isinstance(value, (list, tuple)):
        inner = ", ".join(_py(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, str):
        return encoding.python_string(value)
    return json.dumps(value)


def _jinja() -> Environment:
    return templating.environment((("py", _py), ("comment", encoding.comment)))


def requirements(service: pm.ServicePlan, packages: tuple[str, ...], generated: str) -> str:
    lines = [f"# {generated}",
             f"# OpenTelemetry for {service.name}: add these to the service's requirements. Python "
             f"{SDK_VERSIONS_PYTHON['python']}.",
             *(f"{name}=={SDK_VERSIONS_PYTHON[name]}" for name in packages)]
    return "\n".join(lines) + "\n"


def files(code: common.ServiceCode) -> list[Artifact]:
    service = code.service
    plan = setup(service)
    context = dict(
        common.template_context(code), instrumentations=plan.instrumentations,
        framework_instrumentor=plan.framework, framework=service.framework if plan.framework else None,
        app_class=FRAMEWORK_CLASSES.get(service.framework or "", "App"), notes=plan.messaging_notes)
    jinja = _jinja()
    names = SOURCES + ((MESSAGING,) if common.messaging_systems(service) else ())
    out = [common.artifact(code, name, "sdk-code", jinja.get_template(f"{TEMPLATE_DIR}/{name}.j2").render(**context))
           for name in names]
    out.append(common.artifact(code, "requirements.txt", "sdk-deps",
                               requirements(service, plan.packages, common.generated_line(code.blueprint))))
    out.append(common.declarative_artifact(code))
    out.append(common.artifact(code, "README.md", "docs", jinja.get_template(f"{TEMPLATE_DIR}/README.md.j2").render(
        files=names, setup=plan, versions=SDK_VERSIONS_PYTHON, config_file=declarative.FILE_NAME,
        file_format=declarative.FILE_FORMAT, **context)))
    return out
