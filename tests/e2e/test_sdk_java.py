"""The Java SDK output under the real OpenTelemetry Java agent.

vm-fleet's `orders` (Java/Spring, publishes `order-events` to RabbitMQ) is generated with three
test-only edits to the blueprint: it exports to a loopback collector, its head ratio is 0 (so only
a sampled caller's traces are recorded) and it also consumes its own topic (so the consumer helper
is generated). The generated Maven module is built together with a minimal Spring Boot app
(tests/e2e/sdk_apps/java) in one reactor (the first run downloads from Maven Central into ~/.m2),
and the app runs under the agent jar the generated pom copied from Maven Central, with the generated
properties file, then with the generated declarative configuration, each time with prod's generated
otel.env in its environment (the code is the same for every environment; otel.env is prod's). Spans go over OTLP/HTTP to a
real collector (the test distribution) that forwards them to the loopback gRPC receiver.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

from tests.e2e.harness.processes import Collector, port_free, wait_until
from tests.e2e.harness.receiver import OtlpReceiver
from tests.e2e.sdk_apps import support
from tracegen import components
from tracegen.blueprint.loader import load_text
from tracegen.plan.builder import build_plan
from tracegen.targets import sdk
from tracegen.targets.sdk import java as java_target
from tracegen.toolchain.collector import cache_dir
from tracegen.validators import sdk_java
from tracegen.versions import COLLECTOR_VERSION, SDK_VERSIONS_JAVA

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not (shutil.which("java") and shutil.which("mvn")), reason="needs java and mvn"),
]

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = Path(__file__).resolve().parent / "sdk_apps" / "java"
SERVICE = "orders"
KIND_SERVER, KIND_PRODUCER, KIND_CONSUMER = 2, 4, 5
STATUS_ERROR = 2
# Fixed loopback ports below the ephemeral range; prod's otel.env names the collector's (the code and
# with it the cached build do not).
PORTS = {"http": 28511, "receiver": 28512, "health": 28513, "app": 28514}
# prod's generated otel.env (KEY: value), filled by the `generated` fixture; the app runs with it.
PROD_ENV: dict[str, str] = {}


def traceparent() -> tuple[str, str, str]:
    trace_id, parent_id = secrets.token_hex(16), secrets.token_hex(8)
    return trace_id, parent_id, f"00-{trace_id}-{parent_id}-01"


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback only
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""
    except (urllib.error.URLError, OSError):
        return 0, ""


def blueprint(http_port: int) -> str:
    data = yaml.safe_load((ROOT / "blueprints" / "vm-fleet.yaml").read_text(encoding="utf-8"))
    orders = data["services"][SERVICE]
    orders["export_endpoint"] = f"http://127.0.0.1:{http_port}"
    orders["messaging"]["consumes"] = [{"system": "rabbitmq", "topic": "order-events"}]
    data["sampling"].setdefault("head", {})["services"] = {SERVICE: 0.0}
    return yaml.safe_dump(data, sort_keys=False)


@pytest.fixture(scope="module")
def ports() -> dict[str, int]:
    busy = [f"{name} {port}" for name, port in PORTS.items() if not port_free(port)]
    if busy:
        pytest.fail(f"loopback ports in use: {', '.join(busy)}")
    return PORTS


@pytest.fixture(scope="module")
def generated(tmp_path_factory, ports):
    """The generated orders directory (sdk/orders, every environment) and prod's otel.env, as files on
    disk, and their manifest entries."""
    plan = build_plan(load_text(blueprint(ports["http"]), "vm-fleet.yaml"))
    out = tmp_path_factory.mktemp("sdk-java-out")
    entries = []
    for artifact in sdk.build(plan):
        if artifact.service != SERVICE or artifact.environment not in (None, "prod"):
            continue
        path = out / artifact.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(artifact.content, encoding="utf-8")
        if artifact.executable:
            path.chmod(0o755)
        entries.append({"path": artifact.path, "kind": artifact.kind, "service": artifact.service,
                        "language": artifact.language, "environment": artifact.environment})
    service = next(s for e in plan.environments if e.name == "prod" for s in e.services if s.name == SERVICE)
    PROD_ENV.update(support.otel_env(out / "prod" / "sdk" / SERVICE / "otel.env"))
    return out, f"sdk/{SERVICE}", entries, service


def maven_properties(service) -> list[str]:
    v = SDK_VERSIONS_JAVA
    return [f"-Dtracing.groupId={java_target.GROUP_ID}", f"-Dtracing.artifactId={java_target.artifact_id(service)}",
            f"-Dtracing.version={service.version}", f"-Dspring-boot.version={v['spring-boot']}",
            f"-Dprometheus.metrics.version={v['prometheus-metrics']}",
            *(f"-D{p}.version={v[p]}" for p in ("maven-compiler-plugin", "maven-resources-plugin",
                                                 "maven-jar-plugin", "maven-dependency-plugin"))]


def _digest(folders: list[Path], extra: list[str]) -> str:
    digest = hashlib.sha256("\n".join(extra).encode())
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and "target" not in p.parts):
            digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:24]


@pytest.fixture(scope="module")
def built(generated):
    """One Maven reactor: the generated module (`tracing/`) and the sample app (`app/`), built once
    per content under ${TRACEGEN_CACHE:-~/.cache/tracegen}/sdk-e2e/ (the agent jar included)."""
    out, service_dir, _, service = generated
    key = _digest([out / service_dir, SAMPLE], maven_properties(service))
    final = cache_dir() / "sdk-e2e" / f"java-{key}"
    if (final / "BUILT").is_file():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix=f".java-{key}-", dir=final.parent))
    shutil.copytree(out / service_dir, root / "tracing")
    shutil.copytree(SAMPLE, root / "app", ignore=shutil.ignore_patterns("target"))
    resources = root / "app" / "src" / "main" / "resources"
    resources.mkdir(parents=True, exist_ok=True)
    shutil.copy(root / "tracing" / "logback.xml", resources / "logback.xml")
    (root / "pom.xml").write_text(
        '<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>'
        "<groupId>sample</groupId><artifactId>reactor</artifactId><version>1</version>"
        "<packaging>pom</packaging><modules><module>tracing</module><module>app</module></modules></project>\n")
    command = ["mvn", "-B", "-q", "-Dstyle.color=never", "package", *maven_properties(service)]
    result = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=1200)
    if result.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
    assert result.returncode == 0, f"mvn package failed:\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}"
    agent = root / "tracing" / java_target.AGENT_JAR
    assert agent.is_file(), "the generated pom did not copy the agent jar"
    (root / "BUILT").write_text("ok\n")
    shutil.rmtree(final, ignore_errors=True)
    os.replace(root, final)
    return final


@pytest.fixture(scope="module")
def receiver(ports):
    with OtlpReceiver("java-backend", ports["receiver"]) as rec:
        yield rec


@pytest.fixture(scope="module")
def collector(ports, receiver, tmp_path_factory):
    from tracegen.toolchain.collector import build_test_distribution

    binary = build_test_distribution(COLLECTOR_VERSION)
    exporter = components.config_name("exporter/otlp_grpc", COLLECTOR_VERSION)
    health = components.config_name("extension/health_check", COLLECTOR_VERSION)
    config = {
        "receivers": {"otlp": {"protocols": {"http": {"endpoint": f"127.0.0.1:{ports['http']}"}}}},
        "exporters": {exporter: {"endpoint": f"127.0.0.1:{ports['receiver']}", "tls": {"insecure": True}}},
        "extensions": {health: {"endpoint": f"127.0.0.1:{ports['health']}"}},
        "service": {"extensions": [health], "telemetry": {"metrics": {"level": "none"}},
                    "pipelines": {"traces": {"receivers": ["otlp"], "exporters": [exporter]}}},
    }
    folder = tmp_path_factory.mktemp("sdk-java-collector")
    path = folder / "collector.yaml"
    path.write_text(yaml.safe_dump(config))
    process = Collector("sdk-java-collector", binary, [path], dict(os.environ), folder / "collector.log",
                        ports["health"], 0)
    process.start()
    yield process
    process.stop()


class App:
    """The sample app under the agent, started with `flags` from the generated module's directory and
    `settings` (an environment's generated otel.env) as its only OTEL_* variables."""

    def __init__(self, root: Path, port: int, flags: list[str], log: Path, settings: dict[str, str]) -> None:
        self.port, self.log = port, log
        classpath = os.pathsep.join([str(root / "app" / "target" / "classes"), str(root / "app" / "target" / "lib" / "*")])
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}, **settings}
        with open(log, "wb") as out:
            self.process = subprocess.Popen(
                ["java", *flags, "-Dotel.bsp.schedule.delay=200", "-cp", classpath, "sample.App",
                 f"--server.port={port}", "--server.address=127.0.0.1"],
                cwd=root / "tracing", stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
        try:
            started = wait_until(lambda: self.process.poll() is not None or get(self.url("/metrics"))[0] == 200,
                                 120, 0.5)
            assert started and self.process.poll() is None, f"the sample app did not start:\n{self.text()[-4000:]}"
        except BaseException:
            self.stop()
            raise

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def unsampled_root(body: str) -> tuple[str, bool]:
    """(trace id, sampled flag) of the traceparent a root request's message carried. The agent sets
    the W3C level-2 "random trace id" flag (0x02) too: only bit 0 says sampled."""
    match = re.search(r"traceparent=00-([0-9a-f]{32})-[0-9a-f]{16}-([0-9a-f]{2})", body)
    assert match, body
    return match.group(1), bool(int(match.group(2), 16) & 1)


def spans_of(receiver: OtlpReceiver, trace_id: str):
    return [s for s in receiver.spans() if s.trace_id == trace_id]


def wait_for_spans(receiver: OtlpReceiver, trace_id: str, predicate, timeout_s: float = 30.0):
    wait_until(lambda: predicate(spans_of(receiver, trace_id)), timeout_s)
    return spans_of(receiver, trace_id)


@pytest.fixture(scope="module")
def properties_run(built, collector, receiver, ports, tmp_path_factory):
    """The app under `java @jvm-flags.txt` (the agent plus the generated properties file)."""
    app = App(built, ports["app"], ["@jvm-flags.txt"], tmp_path_factory.mktemp("sdk-java-app") / "app.log", PROD_ENV)
    try:
        unsampled = get(app.url("/order"))[1]
        trace_id, parent_id, header = traceparent()
        status, body = get(app.url("/order"), {"traceparent": header})
        assert status == 200, app.text()[-3000:]
        fail_trace, _, fail_header = traceparent()
        fail_status, _ = get(app.url("/fail"), {"traceparent": fail_header})
        # client_java takes at most one exemplar per sample interval (90 ms by default): the
        # exemplar-carrying request comes a moment after the others.
        time.sleep(0.5)
        exemplar_trace, _, exemplar_header = traceparent()
        assert get(app.url("/order"), {"traceparent": exemplar_header})[0] == 200
        metrics = get(app.url("/metrics"))[1]
        spans = wait_for_spans(receiver, trace_id,
                               lambda s: {KIND_SERVER, KIND_PRODUCER, KIND_CONSUMER} <= {x.kind for x in s})
        failed = wait_for_spans(receiver, fail_trace, lambda s: any(x.kind == KIND_SERVER for x in s))
    finally:
        app.stop()
    yield dict(unsampled=unsampled, trace_id=trace_id, parent_id=parent_id, body=body, spans=spans,
               fail_status=fail_status, failed=failed, metrics=metrics, exemplar_trace=exemplar_trace,
               log=app.text())


def test_generated_module_passes_the_java_validator(generated):
    out, service_dir, entries, _ = generated
    checks = list(sdk_java.check(out, service_dir, entries))
    assert all(c.status == "ok" for c in checks), [c for c in checks if c.status != "ok"]
    judged = {c.artifact.rsplit("/", 1)[-1] for c in checks}
    assert judged == {"pom.xml", "TracingMessaging.java", "TracingMetrics.java", "jvm-flags.txt",
                      "otel-javaagent.properties", "run-with-otel.sh", "otel-config.yaml"}


def test_server_span_continues_the_callers_trace_with_the_blueprints_resource(properties_run):
    servers = [s for s in properties_run["spans"] if s.kind == KIND_SERVER]
    assert servers, properties_run["log"][-3000:]
    server = servers[0]
    assert server.parent_span_id == properties_run["parent_id"]
    resource = server.resource
    assert resource["service.name"] == SERVICE
    assert resource["service.version"] == "3.3.1"
    assert resource["deployment.environment.name"] == "prod"
    assert resource["cloud.region"] == "eu-west-1"
    assert resource["service.owner"] == "orders"
    assert resource["telemetry.distro.version"] == SDK_VERSIONS_JAVA["opentelemetry-javaagent"]


def test_message_carries_traceparent_and_the_consumer_joins_the_trace(properties_run):
    spans = properties_run["spans"]
    server = next(s for s in spans if s.kind == KIND_SERVER)
    producer = next(s for s in spans if s.kind == KIND_PRODUCER)
    consumer = next(s for s in spans if s.kind == KIND_CONSUMER)
    assert producer.parent_span_id == server.span_id
    assert consumer.parent_span_id == producer.span_id
    assert producer.attributes["messaging.system"] == "rabbitmq"
    assert consumer.attributes["messaging.destination.name"] == "order-events"
    # The header the produced message carried: the producer span's context, sampled.
    assert f"traceparent=00-{properties_run['trace_id']}-{producer.span_id}-01" in properties_run["body"]


def test_ratio_zero_records_no_root_trace(properties_run, receiver):
    trace_id, sampled = unsampled_root(properties_run["unsampled"])
    assert not sampled, "a root request was sampled at ratio 0"
    assert spans_of(receiver, trace_id) == []


def test_exception_marks_the_server_span_error(properties_run):
    assert properties_run["fail_status"] == 500
    server = next(s for s in properties_run["failed"] if s.kind == KIND_SERVER)
    assert server.status_code == STATUS_ERROR


def test_log_lines_carry_the_trace_id(properties_run):
    trace_id = properties_run["trace_id"]
    placed = [line for line in properties_run["log"].splitlines() if "order placed" in line]
    consumed = [line for line in properties_run["log"].splitlines() if "order consumed" in line]
    assert any(f"trace_id={trace_id}" in line for line in placed), placed
    assert any(f"trace_id={trace_id}" in line for line in consumed), consumed


def test_latency_histogram_has_a_trace_exemplar(properties_run):
    metrics = properties_run["metrics"]
    exemplars = set(re.findall(r'# \{[^}]*trace_id="([0-9a-f]{32})"', metrics))
    assert properties_run["exemplar_trace"] in exemplars, metrics[-2000:]
    assert unsampled_root(properties_run["unsampled"])[0] not in exemplars


def test_declarative_configuration_loads_in_the_agent(built, collector, receiver, ports, tmp_path_factory):
    flags = [f"-javaagent:{java_target.AGENT_JAR}", f"-Dotel.config.file={java_target.DECLARATIVE}"]
    app = App(built, ports["app"], flags, tmp_path_factory.mktemp("sdk-java-declarative") / "app.log", PROD_ENV)
    try:
        unsampled = get(app.url("/order"))[1]
        trace_id, parent_id, header = traceparent()
        assert get(app.url("/order"), {"traceparent": header})[0] == 200
        spans = wait_for_spans(receiver, trace_id, lambda s: {KIND_SERVER, KIND_CONSUMER} <= {x.kind for x in s})
    finally:
        app.stop()
    server = next((s for s in spans if s.kind == KIND_SERVER), None)
    assert server is not None, app.text()[-3000:]
    assert server.parent_span_id == parent_id
    assert server.resource["service.name"] == SERVICE
    assert server.resource["cloud.region"] == "eu-west-1"
    root, sampled = unsampled_root(unsampled)
    assert not sampled
    assert spans_of(receiver, root) == []


def test_consumer_and_datastore_variant_compiles(tmp_path):
    """Kafka and SQS both ways plus datastores: the helper branches the sample does not use, compiled."""
    data = yaml.safe_load(blueprint(PORTS["http"]))
    data["services"][SERVICE]["messaging"] = {
        "produces": [{"system": "kafka", "topic": "orders"}, {"system": "sqs", "topic": "refunds"}],
        "consumes": [{"system": "kafka", "topic": "payments"}, {"system": "sqs", "topic": "3ds-results"}]}
    data["services"][SERVICE]["datastores"] = ["postgres", "redis", "mongodb"]
    plan = build_plan(load_text(yaml.safe_dump(data, sort_keys=False), "vm-fleet.yaml"))
    entries = []
    for artifact in sdk.build(plan):
        if artifact.service == SERVICE and artifact.environment is None:
            (tmp_path / artifact.path).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / artifact.path).write_text(artifact.content, encoding="utf-8")
            entries.append({"path": artifact.path, "kind": artifact.kind})
    checks = list(sdk_java.check(tmp_path, f"sdk/{SERVICE}", entries))
    assert any(c.artifact.endswith("TracingMessaging.java") for c in checks)
    assert checks and all(c.status == "ok" for c in checks), checks


def test_validator_catches_a_setting_the_agent_refuses(generated, tmp_path):
    out, service_dir, entries, _ = generated
    shutil.copytree(out / "sdk", tmp_path / "sdk")
    props = tmp_path / service_dir / java_target.PROPERTIES
    props.write_text(re.sub(r"(?m)^otel\.traces\.sampler=.*$", "otel.traces.sampler=parentbased_sometimes",
                            props.read_text()))
    checks = {c.artifact.rsplit("/", 1)[-1]: c for c in sdk_java.check(tmp_path, service_dir, entries)}
    assert checks["otel-javaagent.properties"].status == "fail"
    assert "parentbased_sometimes" in checks["otel-javaagent.properties"].detail
    assert checks["otel-config.yaml"].status == "ok"
