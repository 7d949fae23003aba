"""Node.js: the tracing bootstrap and its helpers for one service, in `sdk/<service>/` (every environment).

- `tracing.js` (sdk-code): `node --require ./tracing.js app.js`. NodeTracerProvider (SDK 2.x) with
  the blueprint's resource attributes, a parent-based ratio sampler, a BatchSpanProcessor and the
  OTLP exporter of the service's protocol, W3C propagators, the instrumentations of what the service
  declares, span flushing on SIGTERM/SIGINT, and an Express error handler marking spans ERROR.
- `logger.js` (pino with trace_id/span_id), `exemplars.js` (prom-client histogram with trace
  exemplars), `messaging.js` when the service produces or consumes messages.
- `package.json` (sdk-deps): the pinned packages (tracegen.versions.SDK_VERSIONS_NODE) to merge
  into the service's own, `engines.node` stated.
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
from tracegen.targets.serialize import to_json
from tracegen.versions import SDK_VERSIONS_NODE

TEMPLATE_DIR = "sdk/node"
SOURCES = ("tracing.js", "logger.js", "exemplars.js")
MESSAGING = "messaging.js"
# Resource keys with a stable constant in @opentelemetry/semantic-conventions (the ATTR_* names of 1.x).
STABLE_RESOURCE_KEYS = {"service.name": "ATTR_SERVICE_NAME", "service.version": "ATTR_SERVICE_VERSION"}
# Packages every service's bootstrap and helpers require.
BASE_PACKAGES = (
    "@opentelemetry/api", "@opentelemetry/core", "@opentelemetry/resources", "@opentelemetry/sdk-trace-node",
    "@opentelemetry/semantic-conventions", "@opentelemetry/exporter-trace-otlp-grpc",
    "@opentelemetry/exporter-trace-otlp-proto", "@opentelemetry/instrumentation", "@opentelemetry/sdk-node",
    "pino", "prom-client",
)
PROPAGATOR_PACKAGES = {"b3": "@opentelemetry/propagator-b3", "b3multi": "@opentelemetry/propagator-b3",
                       "jaeger": "@opentelemetry/propagator-jaeger"}


@dataclass(frozen=True)
class Instrumentation:
    package: str
    export: str
    covers: str             # a comment in tracing.js: what it traces
    options: str = ""       # constructor argument, a JavaScript expression
    also: tuple[str, ...] = ()   # further names the options need from the package


HTTP = Instrumentation("@opentelemetry/instrumentation-http", "HttpInstrumentation",
                       "inbound and outbound HTTP (node:http, node:https)")
HTTP_SERVER = Instrumentation(HTTP.package, HTTP.export, HTTP.covers, "{ requestHook: keepServerSpan }")
UNDICI = Instrumentation("@opentelemetry/instrumentation-undici", "UndiciInstrumentation",
                         "outbound HTTP through fetch() and undici")
# Middleware layers get no span of their own (their time stays inside the route's): a span per
# middleware per request is volume without insight.
EXPRESS = Instrumentation("@opentelemetry/instrumentation-express", "ExpressInstrumentation",
                          "Express routes and request handlers (express >=4 <6)",
                          "{ ignoreLayersType: [ExpressLayerType.MIDDLEWARE] }", ("ExpressLayerType",))
GRPC = Instrumentation("@opentelemetry/instrumentation-grpc", "GrpcInstrumentation", "gRPC client and server (@grpc/grpc-js)")
DATASTORES = {
    "postgres": (Instrumentation("@opentelemetry/instrumentation-pg", "PgInstrumentation", "PostgreSQL (pg >=8)"),),
    "mysql": (Instrumentation("@opentelemetry/instrumentation-mysql2", "MySQL2Instrumentation", "MySQL (mysql2)"),),
    "redis": (Instrumentation("@opentelemetry/instrumentation-redis", "RedisInstrumentation", "Redis (redis, @redis/client)"),
              Instrumentation("@opentelemetry/instrumentation-ioredis", "IORedisInstrumentation", "Redis (ioredis)")),
}
BROKERS = {
    "kafka": Instrumentation("@opentelemetry/instrumentation-kafkajs", "KafkaJsInstrumentation",
                             "Kafka with kafkajs (<3): producer and consumer spans, traceparent in the message headers"),
    "rabbitmq": Instrumentation("@opentelemetry/instrumentation-amqplib", "AmqplibInstrumentation",
                                "RabbitMQ with amqplib: publish and consume spans, context in the message headers"),
    "sqs": Instrumentation("@opentelemetry/instrumentation-aws-sdk", "AwsInstrumentation",
                           "the AWS SDK v3, SQS included: context in the MessageAttributes"),
}


@dataclass(frozen=True)
class Setup:
    instrumentations: tuple[Instrumentation, ...]
    packages: tuple[str, ...]
    notes: tuple[str, ...]          # what the service declares that tracegen does not instrument
    messaging_notes: tuple[str, ...]


def setup(service: pm.ServicePlan) -> Setup:
    """What the service's declarations call for: instrumentations, packages and notes."""
    chosen: list[Instrumentation] = []
    notes: list[str] = []
    express = service.framework == "express"
    if "http" in service.inbound or express:
        chosen.append(HTTP_SERVER)
    elif "http" in service.outbound:
        chosen.append(HTTP)
    if "http" in service.outbound:
        chosen.append(UNDICI)
    if express:
        chosen.append(EXPRESS)
    elif service.framework and service.framework != "grpc":
        notes.append(f"framework {service.framework}: no instrumentation emitted (Express is supported); "
                     "its requests are still traced by the HTTP instrumentation")
    if "grpc" in service.inbound or "grpc" in service.outbound or service.framework == "grpc":
        chosen.append(GRPC)
    for store in service.datastores:
        if store in DATASTORES:
            chosen.extend(DATASTORES[store])
        else:
            notes.append(f"datastore {store}: no instrumentation emitted; add its @opentelemetry/instrumentation-* "
                         f"package at a version depending on @opentelemetry/instrumentation "
                         f"^{SDK_VERSIONS_NODE['@opentelemetry/instrumentation']}")
    systems = sorted({system for system, _ in service.produces + service.consumes})
    messaging_notes = [f"{system}: {BROKERS[system].package} traces {BROKERS[system].covers}; the helpers are for "
                       "other clients" for system in systems]
    chosen.extend(BROKERS[system] for system in systems)
    unique = tuple(dict.fromkeys(chosen))
    packages = {*BASE_PACKAGES, *(i.package for i in unique),
                *(PROPAGATOR_PACKAGES[p] for p in service.propagators if p in PROPAGATOR_PACKAGES)}
    provided = languages.get("node").propagators
    notes.extend(f"propagator {p}: not emitted ({', '.join(sorted(provided))} are supported)"
                 for p in service.propagators if p not in provided)
    return Setup(unique, tuple(sorted(packages)), tuple(notes), tuple(messaging_notes))


def _js(value: object) -> str:
    """A JavaScript literal: strings through the one encoder, lists as arrays of them."""
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_js(item) for item in value) + "]"
    if isinstance(value, str):
        return encoding.js_string(value)
    return json.dumps(value)


def _jinja() -> Environment:
    return templating.environment((("js", _js), ("comment", encoding.comment)))


def package_json(service: pm.ServicePlan, packages: tuple[str, ...]) -> dict:
    return {
        "name": f"{service.name}-tracing",
        "version": service.version,
        "private": True,
        "description": f"OpenTelemetry tracing for {service.name}, generated by tracegen: merge the dependencies "
                       "into the service's package.json",
        "main": "tracing.js",
        "engines": {"node": SDK_VERSIONS_NODE["node"]},
        "dependencies": {name: SDK_VERSIONS_NODE[name] for name in packages},
    }


def files(code: common.ServiceCode) -> list[Artifact]:
    service = code.service
    plan = setup(service)
    resource = [(f"[{STABLE_RESOURCE_KEYS[key]}]" if key in STABLE_RESOURCE_KEYS else _js(key), value)
                for key, value in service.resource_attributes]
    context = dict(
        common.template_context(code), resource=resource, instrumentations=plan.instrumentations,
        express=service.framework == "express", http_server=HTTP_SERVER in plan.instrumentations,
        notes=plan.messaging_notes)
    jinja = _jinja()
    names = SOURCES + ((MESSAGING,) if common.messaging_systems(service) else ())
    out = [common.artifact(code, name, "sdk-code", jinja.get_template(f"{TEMPLATE_DIR}/{name}.j2").render(**context))
           for name in names]
    out.append(common.artifact(code, "package.json", "sdk-deps", to_json(package_json(service, plan.packages))))
    out.append(common.declarative_artifact(code))
    out.append(common.artifact(code, "README.md", "docs", jinja.get_template(f"{TEMPLATE_DIR}/README.md.j2").render(
        files=names, setup=plan, versions=SDK_VERSIONS_NODE, config_file=declarative.FILE_NAME,
        file_format=declarative.FILE_FORMAT, **context)))
    return out
