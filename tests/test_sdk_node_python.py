"""The Node.js and Python SDK targets: what the generated files say, fast and without the network.

The e2e tests (tests/e2e/test_sdk_node.py, test_sdk_python.py) install and run the output; these
check the choices: the defaults in the code (the same for every environment), the propagators,
only the declared instrumentations, messaging helpers only where messaging is declared, pins from
tracegen.versions, determinism, and the helpers' header round trip in this interpreter.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import logging
import shutil
from pathlib import Path

import pytest
import yaml

from tracegen.blueprint.loader import load
from tracegen.plan.builder import build_plan
from tracegen.targets.sdk import common, declarative, node, python
from tracegen.validators import sdk_node, sdk_python
from tracegen.versions import SDK_VERSIONS_NODE, SDK_VERSIONS_PYTHON

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def codes() -> dict[str, common.ServiceCode]:
    """Each service's code, the same for every environment (targets/sdk/common.py)."""
    plan = build_plan(load(ROOT / "blueprints" / "checkout.yaml"), "blueprints/checkout.yaml")
    return {code.service.name: code for code in common.service_code(plan)}


def service(codes, name):
    return codes[name].service


def files_of(svc):
    target = {"node": node, "python": python}[svc.language]
    return target.files(common.ServiceCode("checkout", svc, (svc,)))


def render(codes, svc) -> dict[str, str]:
    return {a.path.rsplit("/", 1)[1]: a.content for a in files_of(svc)}


def kinds(codes, svc) -> dict[str, str]:
    return {a.path.rsplit("/", 1)[1]: a.kind for a in files_of(svc)}


# ----------------------------------------------------------------------------- Node


def test_node_bootstrap_carries_the_blueprint(codes):
    files = render(codes, service(codes, "checkout"))
    code = files["tracing.js"]
    assert "samplerRatio: 1," in code
    assert "new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) })" in code
    assert 'propagators: ["tracecontext", "baggage"],' in code
    assert 'otlpEndpoint: "http://localhost:4317",' in code     # the default; otel.env names the agent
    assert 'otlpProtocol: "grpc",' in code
    assert '[ATTR_SERVICE_NAME]: "checkout",' in code and '[ATTR_SERVICE_VERSION]: "1.4.2",' in code
    assert "deployment.environment.name" not in code and '"service.owner": "checkout",' in code
    # The 2.x API, not the seed's.
    assert "resourceFromAttributes(" in code and "spanProcessors: [new BatchSpanProcessor(exporter())]" in code
    assert "new Resource(" not in code and "addSpanProcessor" not in code and "SemanticResourceAttributes" not in code
    assert "process.once(signal" in code and "provider.shutdown()" in code
    assert "startNodeSDK" in code and "OTEL_CONFIG_FILE" in code


def test_node_only_declared_instrumentations(codes):
    checkout = render(codes, service(codes, "checkout"))
    assert "KafkaJsInstrumentation" in checkout["tracing.js"] and "messaging.js" in checkout
    assert "ExpressInstrumentation" in checkout["tracing.js"] and "UndiciInstrumentation" in checkout["tracing.js"]
    for absent in ("PgInstrumentation", "RedisInstrumentation", "AmqplibInstrumentation", "GrpcInstrumentation",
                   "AwsInstrumentation", "B3Propagator"):
        assert absent not in checkout["tracing.js"], absent
    deps = json.loads(checkout["package.json"])["dependencies"]
    assert "@opentelemetry/instrumentation-kafkajs" in deps and "@opentelemetry/instrumentation-pg" not in deps

    gateway = render(codes, service(codes, "edge-gateway"))
    assert "messaging.js" not in gateway and "Kafka" not in gateway["tracing.js"]

    varied = dataclasses.replace(service(codes, "edge-gateway"), datastores=("postgres", "redis", "mongodb"),
                                 produces=(("rabbitmq", "jobs"),), consumes=(("sqs", "refunds"),),
                                 propagators=("tracecontext", "baggage", "b3"), inbound=("grpc",), outbound=(),
                                 framework=None)
    files = render(codes, varied)
    code = files["tracing.js"]
    for present in ("PgInstrumentation", "RedisInstrumentation", "IORedisInstrumentation", "AmqplibInstrumentation",
                    "AwsInstrumentation", "GrpcInstrumentation", "B3Propagator"):
        assert present in code, present
    for absent in ("ExpressInstrumentation", "UndiciInstrumentation", "HttpInstrumentation", "expressErrorHandler",
                   "KafkaJsInstrumentation"):
        assert absent not in code, absent
    assert "sqsMessageAttributes" in files["messaging.js"]
    assert "datastore mongodb: no instrumentation emitted" in files["README.md"]
    assert "@opentelemetry/propagator-b3" in json.loads(files["package.json"])["dependencies"]


def test_node_package_json_pins_versions_and_engines(codes):
    package = json.loads(render(codes, service(codes, "checkout"))["package.json"])
    assert package["engines"] == {"node": SDK_VERSIONS_NODE["node"]}
    for name, version in package["dependencies"].items():
        assert version == SDK_VERSIONS_NODE[name]
    # One SDK line: the stable packages share a version, the experimental ones another.
    stable = {package["dependencies"][n] for n in ("@opentelemetry/core", "@opentelemetry/resources",
                                                   "@opentelemetry/sdk-trace-node")}
    experimental = {package["dependencies"][n] for n in ("@opentelemetry/instrumentation",
                                                         "@opentelemetry/instrumentation-http",
                                                         "@opentelemetry/exporter-trace-otlp-grpc",
                                                         "@opentelemetry/sdk-node")}
    assert len(stable) == 1 and len(experimental) == 1
    assert package["dependencies"]["@opentelemetry/api"].startswith("1.9.")   # 2.x peers: <1.10.0


def test_node_messaging_helpers_and_logger(codes):
    files = render(codes, service(codes, "checkout"))
    messaging = files["messaging.js"]
    assert "function injectHeaders(" in messaging and "function extractContext(" in messaging
    assert "function consumeSpan(" in messaging and "function produceSpan(" in messaging
    assert "propagation.extract(ROOT_CONTEXT" in messaging
    assert "mixin: traceFields" in files["logger.js"] and "trace_id: spanContext.traceId" in files["logger.js"]
    exemplars = files["exemplars.js"]
    assert "Registry.OPENMETRICS_CONTENT_TYPE" in exemplars and "enableExemplars: true" in exemplars
    assert "exemplarLabels: exemplarLabels(span)" in exemplars


# ----------------------------------------------------------------------------- Python


def test_python_setup_carries_the_blueprint(codes):
    files = render(codes, service(codes, "inventory"))
    code = files["tracing.py"]
    assert '"sampler_ratio": 1,' in code and "ParentBased(TraceIdRatioBased(ratio))" in code
    assert '"propagators": ("tracecontext", "baggage"),' in code
    assert '"otlp_endpoint": "http://localhost:4317",' in code
    assert '"service.name": "inventory",' in code and '"service.version": "5.0.3",' in code
    assert "deployment.environment.name" not in code            # OTEL_RESOURCE_ATTRIBUTES names it
    assert "BatchSpanProcessor(_exporter())" in code and "def configure(app: Any = None)" in code
    assert "load_config_file(config_file)" in code


def test_python_only_declared_instrumentations(codes):
    files = render(codes, service(codes, "inventory"))
    code = files["tracing.py"]
    for present in ("FastAPIInstrumentor", "PsycopgInstrumentor", "Psycopg2Instrumentor", "RedisInstrumentor"):
        assert present in code, present
    for absent in ("FlaskInstrumentor", "HTTPXClientInstrumentor", "RequestsInstrumentor", "PikaInstrumentor",
                   "GrpcInstrumentor", "BotocoreInstrumentor"):
        assert absent not in code, absent
    assert "messaging.py" not in files
    assert "opentelemetry-instrumentation-fastapi==" in files["requirements.txt"]
    assert "flask" not in files["requirements.txt"]

    varied = dataclasses.replace(service(codes, "inventory"), framework="flask", datastores=("mysql",),
                                 outbound=("http",), produces=(("kafka", "orders"),), consumes=(("rabbitmq", "jobs"),))
    files = render(codes, varied)
    code = files["tracing.py"]
    for present in ("FlaskInstrumentor", "PyMySQLInstrumentor", "RequestsInstrumentor", "HTTPXClientInstrumentor",
                    "PikaInstrumentor", "AioPikaInstrumentor"):
        assert present in code, present
    assert "FastAPIInstrumentor" not in code and "Psycopg" not in code
    assert "def produce_span(" in files["messaging.py"] and "def consume_span(" in files["messaging.py"]
    assert "sqs_message_attributes" not in files["messaging.py"]
    assert "measure_flask" in files["exemplars.py"]


def test_python_requirements_are_one_line_of_exact_pins(codes):
    text = render(codes, service(codes, "inventory"))["requirements.txt"]
    pins = dict(line.split("==") for line in text.splitlines() if line and not line.startswith("#"))
    for name, version in pins.items():
        assert version == SDK_VERSIONS_PYTHON[name]
    assert pins["opentelemetry-api"] == pins["opentelemetry-sdk"]
    line = {v for k, v in pins.items() if k.startswith("opentelemetry-instrumentation")}
    assert line == {SDK_VERSIONS_PYTHON["opentelemetry-instrumentation"]}


def _module(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_python_helpers_round_trip_headers_and_logs(codes, tmp_path):
    """The generated messaging.py and log_correlation.py, imported here: a traceparent written on
    produce is read back on consume (as bytes pairs, as Kafka clients carry it), and log records get
    the current trace id."""
    from opentelemetry import context, trace
    from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

    varied = dataclasses.replace(service(codes, "inventory"), produces=(("kafka", "orders"),))
    for name, content in render(codes, varied).items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    messaging = _module(tmp_path / "messaging.py", "tracegen_test_messaging")
    correlation = _module(tmp_path / "log_correlation.py", "tracegen_test_log_correlation")
    span_context = SpanContext(0x4BF92F3577B34DA6A3CE929D0E0E4736, 0x00F067AA0BA902B7, is_remote=False,
                               trace_flags=TraceFlags(TraceFlags.SAMPLED))
    token = context.attach(trace.set_span_in_context(NonRecordingSpan(span_context)))
    try:
        headers = messaging.inject_headers()
        record = logging.LogRecord("t", logging.INFO, __file__, 1, "msg", None, None)
        correlation.TraceContextFilter().filter(record)
    finally:
        context.detach(token)
    assert headers["traceparent"] == "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    assert record.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736" and record.span_id == "00f067aa0ba902b7"
    extracted = trace.get_current_span(messaging.extract_context([(k, v.encode()) for k, v in headers.items()]))
    assert extracted.get_span_context().trace_id == span_context.trace_id
    assert extracted.get_span_context().span_id == span_context.span_id and extracted.get_span_context().is_remote
    # Outside a span: empty ids, and a consumer without headers starts from nothing.
    outside = logging.LogRecord("t", logging.INFO, __file__, 1, "msg", None, None)
    correlation.TraceContextFilter().filter(outside)
    assert outside.trace_id == ""
    assert not trace.get_current_span(messaging.extract_context(None)).get_span_context().is_valid


# ----------------------------------------------------------------------------- both


@pytest.mark.parametrize("name", ["checkout", "inventory"])
def test_declarative_configuration(codes, name):
    svc = service(codes, name)
    files = render(codes, svc)
    config = yaml.safe_load(files[declarative.FILE_NAME])
    assert config["file_format"] == "1.0"
    # One file for every environment: each environment's OTEL_TRACES_SAMPLER_ARG sets the ratio.
    assert config["tracer_provider"]["sampler"] == {
        "parent_based": {"root": {"trace_id_ratio_based": {"ratio": "${OTEL_TRACES_SAMPLER_ARG:-1}"}}}}
    exporter = config["tracer_provider"]["processors"][0]["batch"]["exporter"]
    assert exporter == {"otlp_grpc": {"endpoint": f"${{OTEL_EXPORTER_OTLP_ENDPOINT:-{svc.otlp_endpoint}}}"}}
    assert config["propagator"]["composite"] == [{"tracecontext": None}, {"baggage": None}]
    attributes = {a["name"]: a["value"] for a in config["resource"]["attributes"]}
    assert attributes["service.name"] == f"${{OTEL_SERVICE_NAME:-{name}}}"
    assert "deployment.environment.name" not in attributes       # from OTEL_RESOURCE_ATTRIBUTES
    assert config["resource"]["attributes_list"] == "${OTEL_RESOURCE_ATTRIBUTES:-}"
    assert kinds(codes, svc)[declarative.FILE_NAME] == "sdk-code"


def test_kinds_and_determinism(codes):
    for name in ("checkout", "edge-gateway", "inventory"):
        svc = service(codes, name)
        assert render(codes, svc) == render(codes, svc)
        found = kinds(codes, svc)
        assert found["README.md"] == "docs"
        assert found["package.json" if svc.language == "node" else "requirements.txt"] == "sdk-deps"
        assert {k for n, k in found.items() if n.endswith((".js", ".py"))} == {"sdk-code"}


def bare(svc):
    """The service declaring nothing: no framework, no HTTP, no datastore, no messaging."""
    return dataclasses.replace(svc, name=f"{svc.name}-bare", framework=None, inbound=(), outbound=(), datastores=(),
                               produces=(), consumes=())


def rich(svc):
    """The service declaring everything tracegen instruments, and the other framework."""
    return dataclasses.replace(svc, name=f"{svc.name}-rich", framework="flask" if svc.language == "python" else "express",
                               inbound=("http", "grpc"), outbound=("http", "grpc"),
                               datastores=("postgres", "mysql", "redis", "mongodb"),
                               produces=(("kafka", "orders"), ("sqs", "refunds")), consumes=(("rabbitmq", "jobs"),),
                               propagators=("tracecontext", "baggage", "b3", "b3multi", "jaeger"))


def test_validators_accept_the_output(codes, tmp_path):
    entries = []
    services = (service(codes, "checkout"), service(codes, "inventory"))
    for svc in services + tuple(bare(s) for s in services) + tuple(rich(s) for s in services):
        target = node if svc.language == "node" else python
        for artifact in files_of(svc):
            (tmp_path / artifact.path).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / artifact.path).write_text(artifact.content, encoding="utf-8")
            entries.append({"path": artifact.path, "kind": artifact.kind, "service": artifact.service,
                            "language": artifact.language})
    node_checks = [c for name in ("checkout", "checkout-bare", "checkout-rich") for c in sdk_node.check(
        tmp_path, f"sdk/{name}", [e for e in entries if e["service"] == name])]
    python_checks = [c for name in ("inventory", "inventory-bare", "inventory-rich") for c in sdk_python.check(
        tmp_path, f"sdk/{name}", [e for e in entries if e["service"] == name])]
    assert python_checks and all(c.status == "ok" for c in python_checks), python_checks
    expected = "ok" if shutil.which("node") else "skip"
    assert {c.status for c in node_checks if c.artifact.endswith(".js")} == {expected}, node_checks
    assert all(c.status == "ok" for c in node_checks if not c.artifact.endswith(".js")), node_checks
    assert not list(tmp_path.rglob("__pycache__")), "py_compile must not write into the output"


def test_validators_reject_broken_output(tmp_path):
    folder = tmp_path / "prod" / "sdk" / "svc"
    folder.mkdir(parents=True)
    (folder / "tracing.py").write_text("def broken(:\n", encoding="utf-8")
    (folder / "requirements.txt").write_text("opentelemetry-sdk>=1.0\n", encoding="utf-8")
    (folder / "package.json").write_text('{"dependencies": {"pino": "^10.0.0"}}', encoding="utf-8")
    (folder / "tracing.js").write_text("const = ;\n", encoding="utf-8")
    entry = lambda name, kind: {"path": f"prod/sdk/svc/{name}", "kind": kind}  # noqa: E731
    py = {c.artifact.rsplit("/", 1)[1]: c.status for c in sdk_python.check(
        tmp_path, "prod/sdk/svc", [entry("tracing.py", "sdk-code"), entry("requirements.txt", "sdk-deps")])}
    assert py == {"tracing.py": "fail", "requirements.txt": "fail"}
    js = {c.artifact.rsplit("/", 1)[1]: c.status for c in sdk_node.check(
        tmp_path, "prod/sdk/svc", [entry("tracing.js", "sdk-code"), entry("package.json", "sdk-deps")])}
    assert js == {"tracing.js": "fail" if shutil.which("node") else "skip", "package.json": "fail"}


def test_python_propagators_none_extracts_an_empty_context_not_none(codes, tmp_path):
    """OTEL_PROPAGATORS=none is advertised as an override; the API's empty composite returns None
    from extract(), which made every FastAPI request fail (found by the cross-service e2e test)."""
    for name, content in render(codes, service(codes, "inventory")).items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    tracing = _module(tmp_path / "tracing.py", "tracegen_test_tracing_none")
    propagator = tracing._NoPropagation()
    extracted = propagator.extract({"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"})
    assert extracted is not None and dict(extracted) == {}
    carrier: dict = {}
    propagator.inject(carrier)
    assert carrier == {} and not propagator.fields
