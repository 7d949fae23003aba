"""Java and Go SDK output: what an app team adopting it would notice (fast, no tools, no network).

The real consumers (Maven, the Java agent, the Go toolchain and the OpenTelemetry modules) judge the
same output in tests/e2e/test_sdk_java.py and tests/e2e/test_sdk_go.py.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from tracegen import encoding
from tracegen.blueprint.loader import load_text
from tracegen.plan.builder import build_plan
from tracegen.plan.refusals import PlanRefused
from tracegen.targets import sdk
from tracegen.targets.sdk import go as go_target
from tracegen.targets.sdk import java as java_target
from tracegen.versions import SDK_VERSIONS_GO, SDK_VERSIONS_JAVA

ROOT = Path(__file__).resolve().parent.parent
POM = "{http://maven.apache.org/POM/4.0.0}"


def blueprint_text(name: str, edit=None) -> str:
    text = (ROOT / "blueprints" / f"{name}.yaml").read_text(encoding="utf-8")
    if edit is None:
        return text
    data = yaml.safe_load(text)
    edit(data)
    return yaml.safe_dump(data, sort_keys=False)


def render(name: str, edit=None) -> dict[str, str]:
    plan = build_plan(load_text(blueprint_text(name, edit), f"{name}.yaml"))
    return {a.path: a.content for a in sdk.build(plan)}


def properties(text: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))
    return dict(pairs)


@pytest.fixture(scope="module")
def checkout() -> dict[str, str]:
    return render("checkout")


@pytest.fixture(scope="module")
def fleet() -> dict[str, str]:
    return render("vm-fleet")


# ----------------------------------------------------------------------------------------- Java
def test_java_agent_properties_hold_what_every_environment_shares(checkout):
    props = properties(checkout["sdk/payments/otel-javaagent.properties"])
    assert props["otel.service.name"] == "payments"
    # deployment.environment.name, the endpoint and the sampler's argument come from each environment's
    # OTEL_* variables, which the agent reads over this file; unset, the OpenTelemetry defaults.
    assert set(props["otel.resource.attributes"].split(",")) == {"service.owner=payments", "service.version=2.8.0"}
    assert props["otel.propagators"] == "tracecontext,baggage"
    assert props["otel.traces.sampler"] == "parentbased_always_on"
    assert "otel.traces.sampler.arg" not in props
    # The agent's 2.x default: OTLP over HTTP, 4318.
    assert props["otel.exporter.otlp.protocol"] == "http/protobuf"
    assert props["otel.exporter.otlp.endpoint"] == "http://localhost:4318"
    # The collectors run traces pipelines only.
    assert props["otel.metrics.exporter"] == props["otel.logs.exporter"] == "none"
    assert props["otel.instrumentation.logback-mdc.enabled"] == "true"
    assert props["otel.instrumentation.jdbc.enabled"] == "true"
    assert props["otel.instrumentation.common.db.query-sanitization.enabled"] == "true"
    assert not [k for k in props if "kafka" in k or "rabbit" in k]


def _staging_head_rate(data):
    data["environments"]["staging"].setdefault("overrides", {})["sampling"] = {"head": {"edge_rate": 0.25}}


def test_staging_override_reaches_staging_env_not_the_shared_code(checkout):
    files = render("checkout", _staging_head_rate)
    staging = dict(line.split("=", 1) for line in files["staging/sdk/payments/otel.env"].splitlines()
                   if line and not line.startswith("#"))
    assert staging["OTEL_TRACES_SAMPLER_ARG"] == "0.25"
    assert "deployment.environment.name=staging" in staging["OTEL_RESOURCE_ATTRIBUTES"]
    # the code is built once for every environment: an environment's values never change it
    code = {path: text for path, text in files.items() if path.startswith("sdk/")}
    assert code == {path: text for path, text in checkout.items() if path.startswith("sdk/")}


def test_sdk_code_once_per_service_settings_per_environment(checkout):
    per_env = sorted(path for path in checkout if not path.startswith("sdk/"))
    assert per_env == sorted(f"{env}/sdk/{service}/otel.env" for env in ("prod", "staging")
                             for service in ("checkout", "edge-gateway", "fulfillment", "inventory", "payments"))
    code = [text for path, text in checkout.items() if path.startswith("sdk/")]
    assert code and not any(re.search(r"\b(prod|staging)\b", text) for text in code)


def test_java_messaging_instrumentation_and_helpers_only_as_declared(checkout, fleet):
    props = properties(fleet["sdk/orders/otel-javaagent.properties"])
    assert props["otel.instrumentation.rabbitmq.enabled"] == "true"
    assert props["otel.instrumentation.spring-rabbit.enabled"] == "true"
    assert "otel.instrumentation.kafka.enabled" not in props
    assert "cloud.region=eu-west-1" in props["otel.resource.attributes"]
    helper = fleet["sdk/orders/src/main/java/tracing/orders/TracingMessaging.java"]
    assert "public static Span startSend(" in helper
    assert "startProcess" not in helper                   # orders only produces
    assert 'RABBITMQ_ORDER_EVENTS = "order-events"' in helper
    assert "GlobalOpenTelemetry.getPropagators()" in helper
    assert not any(p.endswith("TracingMessaging.java") for p in checkout if "/payments/" in p)


def test_kafka_consumer_gets_propagation_and_the_process_helper():
    def edit(data):
        data["services"]["payments"]["messaging"] = {"consumes": [{"system": "kafka", "topic": "orders"}]}
    files = render("checkout", edit)
    props = properties(files["sdk/payments/otel-javaagent.properties"])
    assert props["otel.instrumentation.kafka.enabled"] == "true"
    assert props["otel.instrumentation.spring-kafka.enabled"] == "true"
    assert props["otel.instrumentation.kafka.producer-propagation.enabled"] == "true"
    helper = files["sdk/payments/src/main/java/tracing/payments/TracingMessaging.java"]
    assert "public static Span startProcess(" in helper and "startSend" not in helper


def test_pom_pins_the_agent_and_the_bom_from_versions(checkout):
    project = ET.fromstring(checkout["sdk/payments/pom.xml"].split("\n", 2)[2])
    props = {child.tag[len(POM):]: child.text for child in project.find(f"{POM}properties")}
    assert props["otel.javaagent.version"] == SDK_VERSIONS_JAVA["opentelemetry-javaagent"]
    assert props["otel.instrumentation.version"] == SDK_VERSIONS_JAVA["opentelemetry-instrumentation-bom"]
    bom = project.find(f"{POM}dependencyManagement/{POM}dependencies/{POM}dependency")
    assert bom.findtext(f"{POM}artifactId") == "opentelemetry-instrumentation-bom"
    assert bom.findtext(f"{POM}scope") == "import"
    deps = {d.findtext(f"{POM}artifactId"): d.findtext(f"{POM}version")
            for d in project.findall(f"{POM}dependencies/{POM}dependency")}
    # API and annotations take the BOM's versions, matching the agent.
    assert deps["opentelemetry-api"] is None and deps["opentelemetry-instrumentation-annotations"] is None
    item = project.find(f".//{POM}artifactItem")
    assert item.findtext(f"{POM}artifactId") == "opentelemetry-javaagent"
    assert item.findtext(f"{POM}destFileName") == Path(java_target.AGENT_JAR).name
    plugins = {p.findtext(f"{POM}artifactId"): p.findtext(f"{POM}version") for p in project.iter(f"{POM}plugin")}
    assert all(plugins[name] == SDK_VERSIONS_JAVA[name] for name in plugins)


def test_jvm_flags_and_start_script_load_the_agent_with_its_properties(checkout):
    flags = checkout["sdk/payments/jvm-flags.txt"].split()
    assert flags == [f"-javaagent:{java_target.AGENT_JAR}",
                     f"-Dotel.javaagent.configuration-file={java_target.PROPERTIES}"]
    script = checkout["sdk/payments/run-with-otel.sh"]
    assert script.startswith("#!/bin/sh") and '-javaagent:"$agent"' in script


def test_logback_pattern_prints_trace_and_span_ids(checkout):
    root = ET.fromstring(checkout["sdk/payments/logback.xml"].split("\n", 2)[2])
    pattern = root.findtext("appender/encoder/pattern")
    assert "%X{trace_id}" in pattern and "%X{span_id}" in pattern


def test_java_declarative_config_exports_otlp_http_to_the_agent(checkout):
    config = yaml.safe_load(checkout["sdk/payments/otel-config.yaml"])
    assert config["file_format"] == "1.0"
    exporter = config["tracer_provider"]["processors"][0]["batch"]["exporter"]
    # each environment's otel.env sets OTEL_EXPORTER_OTLP_ENDPOINT; the file appends the traces path
    assert exporter["otlp_http"]["endpoint"] == "${OTEL_EXPORTER_OTLP_ENDPOINT:-http://localhost:4318}/v1/traces"
    # one file for every environment: the ratio is each environment's OTEL_TRACES_SAMPLER_ARG (1 unset)
    assert config["tracer_provider"]["sampler"] == {
        "parent_based": {"root": {"trace_id_ratio_based": {"ratio": "${OTEL_TRACES_SAMPLER_ARG:-1}"}}}}


def test_properties_values_are_escaped():
    assert encoding.properties_value("a\\b") == "a\\\\b"
    assert encoding.properties_value(" x") == "\\ x"
    assert encoding.properties_value("zürich") == "z\\u00fcrich"
    assert encoding.properties_value("a\nb=c") == "a\\nb=c"   # a line feed cannot start a new key


# ------------------------------------------------------------------------------------------- Go
def test_go_mod_pins_only_what_the_package_imports(checkout):
    text = checkout["sdk/fulfillment/go.mod"]
    assert "module checkout/fulfillment/tracing" in text
    assert f"go {SDK_VERSIONS_GO['go']}" in text
    required = dict(re.findall(r"^\t(\S+) (v\S+)$", text, re.MULTILINE))
    assert all(SDK_VERSIONS_GO[module] == version for module, version in required.items())
    assert "google.golang.org/grpc" in required            # inbound grpc
    assert "go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc" in required
    assert "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp" not in required
    # every propagator OTEL_PROPAGATORS may name, and both OTLP protocols, are compiled in
    assert {"go.opentelemetry.io/contrib/propagators/b3", "go.opentelemetry.io/contrib/propagators/jaeger",
            "go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"} <= set(required)


def test_go_bootstrap_follows_the_plan(checkout):
    code = checkout["sdk/fulfillment/tracing.go"]
    assert f'semconv "go.opentelemetry.io/otel/semconv/{SDK_VERSIONS_GO["semconv"]}"' in code
    assert 'Endpoint = "http://localhost:4317"' in code     # the OpenTelemetry default; otel.env sets the agent
    assert "SampleRatio = 1.0\n" in code
    assert "sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio))" in code
    assert 'case "", "traceidratio", "parentbased_traceidratio":' in code   # unset: ratio SampleRatio
    assert "jaegerremote" not in code
    assert "sdktrace.WithBatcher(exporter)" in code
    assert "propagation.TraceContext{},\n\t\tpropagation.Baggage{}," in code
    assert 'attribute.String("service.owner", "logistics")' in code
    assert "deployment.environment.name" not in code          # OTEL_RESOURCE_ATTRIBUTES names it
    assert "span.SetStatus(codes.Error, err.Error())" in code
    assert "otelconf.NewSDK" in code
    assert render("checkout", _staging_head_rate)["sdk/fulfillment/tracing.go"] == code


def test_go_helpers_only_as_declared(checkout):
    grpc = checkout["sdk/fulfillment/grpc.go"]
    assert "grpc.StatsHandler(otelgrpc.NewServerHandler())" in grpc
    assert "DialOptions" not in grpc                       # no outbound grpc
    assert "UnaryServerInterceptor" not in grpc
    messaging = checkout["sdk/fulfillment/messaging.go"]
    assert "func ConsumeSpan(" in messaging and "func ProduceSpan(" not in messaging
    assert "func InjectHeaders(" in messaging and "func ExtractContext(" in messaging
    assert "SliceCarrier" in messaging and "TableCarrier" not in messaging
    assert "sdk/fulfillment/http.go" not in checkout
    assert "ObserveWithExemplar" in checkout["sdk/fulfillment/metrics.go"]
    assert '"trace_id"' in checkout["sdk/fulfillment/log.go"]


def test_go_http_client_server_and_b3_when_declared():
    def edit(data):
        service = data["services"]["fulfillment"]
        service.update(inbound=["http"], outbound=["http", "grpc"], legacy_edge=True,
                       propagators=["tracecontext", "baggage", "b3multi"])
        service["messaging"] = {"produces": [{"system": "rabbitmq", "topic": "shipments"}]}
    files = render("checkout", edit)
    http = files["sdk/fulfillment/http.go"]
    assert "otelhttp.NewHandler" in http and "otelhttp.NewTransport" in http
    grpc = files["sdk/fulfillment/grpc.go"]
    assert "DialOptions" in grpc and "ServerOptions" not in grpc
    assert "b3.New(b3.WithInjectEncoding(b3.B3MultipleHeader))" in files["sdk/fulfillment/tracing.go"]
    assert "go.opentelemetry.io/contrib/propagators/b3 v" in files["sdk/fulfillment/go.mod"]
    messaging = files["sdk/fulfillment/messaging.go"]
    assert "func ProduceSpan(" in messaging and "TableCarrier" in messaging and "SliceCarrier" not in messaging


def test_go_honours_the_standard_variables(checkout):
    code = checkout["sdk/fulfillment/tracing.go"]
    samplers = re.findall(r'^\tcase ([^\n]+):$', code[code.index("func newSampler"):code.index("func newExporter")],
                          re.MULTILINE)
    named = {name for case in samplers for name in re.findall(r'"(\w*)"', case)}
    assert named == {"", "always_on", "always_off", "traceidratio", "parentbased_always_on",
                     "parentbased_always_off", "parentbased_traceidratio"}
    propagation = code[code.index("func propagatorFromEnv"):]
    assert set(re.findall(r'^\t\tcase "(\w+)":$', propagation, re.MULTILINE)) == set(go_target.PROPAGATORS) | {"none"}
    assert 'case "http/protobuf":' in code and "otlptracehttp.New(ctx)" in code
    assert "resource.WithFromEnv()" in code and '"OTEL_SDK_DISABLED"' in code


def test_go_remote_sampler_stays_selectable_by_name():
    def edit(data):
        data["sampling"]["strategy"] = "edge_head"
    files = render("checkout", edit)
    code = next(text for path, text in files.items() if path.endswith("/tracing.go") and "jaegerremote.New(" in text)
    assert 'case "parentbased_jaeger_remote":' in code
    assert 'case "", "traceidratio", "parentbased_traceidratio":' in code
    assert 'SamplingServer = "http://localhost:5778/sampling"' in code   # otel.env's ARG names the agent's


def test_go_refuses_a_propagator_it_cannot_build():
    def edit(data):
        data["services"]["fulfillment"]["propagators"] = ["tracecontext", "xray"]
    # the planner refuses it first (plan/refusals.py), naming what the Go output can build
    with pytest.raises(PlanRefused, match=r"fulfillment \(go\).*'xray'.*b3, b3multi, baggage, jaeger, tracecontext"):
        render("checkout", edit)


def test_go_declarative_config_exports_otlp_grpc(checkout):
    config = yaml.safe_load(checkout["sdk/fulfillment/otel-config.yaml"])
    exporter = config["tracer_provider"]["processors"][0]["batch"]["exporter"]
    assert exporter["otlp_grpc"]["endpoint"].endswith(":4317}")
    assert [next(iter(p)) for p in config["propagator"]["composite"]] == ["tracecontext", "baggage"]


def test_go_literals():
    assert go_target._go_float(0) == "0.0"
    assert go_target._go_float(1) == "1.0"
    assert go_target._go_float(0.05) == "0.05"
    assert go_target._aligned([("SystemKafka", '"kafka"'), ("DestinationKafkaOrders", '"orders"')]) == [
        'SystemKafka            = "kafka"', 'DestinationKafkaOrders = "orders"']


# ------------------------------------------------------------------------------------- shared
def test_output_is_deterministic():
    assert render("checkout") == render("checkout")
    assert render("vm-fleet") == render("vm-fleet")


def test_kinds_and_services(checkout):
    plan = build_plan(load_text(blueprint_text("checkout"), "checkout.yaml"))
    artifacts = [a for a in sdk.build(plan) if a.language in ("java", "go")]
    kinds = {(a.path.rsplit("/", 1)[-1], a.kind) for a in artifacts}
    assert ("pom.xml", "sdk-deps") in kinds and ("go.mod", "sdk-deps") in kinds
    assert ("README.md", "docs") in kinds and ("tracing.go", "sdk-code") in kinds
    assert all(a.service in ("payments", "fulfillment") for a in artifacts)
