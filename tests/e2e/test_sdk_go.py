"""The Go SDK output compiled and run with the real Go toolchain and OpenTelemetry Go modules.

checkout's `fulfillment` (Go, gRPC, consumes Kafka `orders`) is generated with test-only edits to
the blueprint: it exports to a loopback OTLP receiver, its head ratio is 0 (only a sampled caller's
traces are recorded), and it also calls gRPC and produces to `orders`, so the client and producer
helpers exist for the sample (tests/e2e/sdk_apps/go) to use. The code is the same for every
environment; the sample runs with prod's generated otel.env, as a deployment of prod would. The
sample, built against the generated module with `go mod tidy` + `go build` + `go vet`, runs three
times: without a caller (ratio 0: nothing may arrive), with a sampled caller, and with OTEL_CONFIG_FILE pointing at the
generated declarative configuration; further runs set the standard OTEL_* variables (sampler,
propagators, service name and resource attributes, OTLP protocol) and check what reaches the receiver,
directly and through the real collector (the cached test distribution).
"""

from __future__ import annotations

import dataclasses
import hashlib
import http.server
import json
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
import yaml
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

from tests.e2e.harness.processes import Collector, collector_env, free_ports, port_free, wait_until
from tests.e2e.harness.receiver import OtlpReceiver
from tests.e2e.sdk_apps import support
from tracegen.blueprint.loader import load_text
from tracegen.plan.builder import build_plan
from tracegen.plan.otel_env import resource_attributes_text
from tracegen.targets import sdk
from tracegen.toolchain.collector import build_test_distribution, cache_dir
from tracegen.validators import sdk_go
from tracegen.versions import SDK_VERSIONS_GO

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not (shutil.which("go") and shutil.which("gofmt")), reason="needs Go"),
]

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = Path(__file__).resolve().parent / "sdk_apps" / "go"
SERVICE = "fulfillment"
RECEIVER_PORT = 28521   # fixed loopback port; prod's otel.env names it (the code does not)
KIND_INTERNAL, KIND_SERVER, KIND_CLIENT, KIND_PRODUCER, KIND_CONSUMER = 1, 2, 3, 4, 5
STATUS_ERROR = 2
# prod's generated otel.env (KEY: value), filled by the `generated` fixture: every run of the sample
# gets it, as a deployment of prod would.
PROD_ENV: dict[str, str] = {}


def blueprint() -> str:
    data = yaml.safe_load((ROOT / "blueprints" / "checkout.yaml").read_text(encoding="utf-8"))
    service = data["services"][SERVICE]
    service["export_endpoint"] = f"http://127.0.0.1:{RECEIVER_PORT}"
    service["outbound"] = ["grpc"]
    service["messaging"]["produces"] = [{"system": "kafka", "topic": "orders"}]
    data["sampling"].setdefault("head", {})["services"] = {SERVICE: 0.0}
    return yaml.safe_dump(data, sort_keys=False)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    plan = build_plan(load_text(blueprint(), "checkout.yaml"))
    out = tmp_path_factory.mktemp("sdk-go-out")
    entries = []
    for artifact in sdk.build(plan):
        # the code (sdk/<service>/, every environment) and prod's otel.env
        if artifact.service != SERVICE or artifact.environment not in (None, "prod"):
            continue
        path = out / artifact.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(artifact.content, encoding="utf-8")
        entries.append({"path": artifact.path, "kind": artifact.kind, "service": artifact.service,
                        "language": artifact.language, "environment": artifact.environment})
    PROD_ENV.update(support.otel_env(out / "prod" / "sdk" / SERVICE / "otel.env"))
    return out, f"sdk/{SERVICE}", entries


def _digest(folders: list[Path]) -> str:
    digest = hashlib.sha256(json.dumps(SDK_VERSIONS_GO, sort_keys=True).encode())
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:24]


def go(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["go", *args], cwd=cwd, capture_output=True, text=True, timeout=900,
                          env=sdk_go.go_env(), stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def built(generated) -> Path:
    """The sample, built against the generated module; cached per content under
    ${TRACEGEN_CACHE:-~/.cache/tracegen}/sdk-e2e/. Returns the folder holding `tracing/` and `app/`."""
    out, service_dir, _ = generated
    key = _digest([out / service_dir, SAMPLE])
    final = cache_dir() / "sdk-e2e" / f"go-{key}"
    if (final / "app" / "sample").is_file():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix=f".go-{key}-", dir=final.parent))
    try:
        shutil.copytree(out / service_dir, root / "tracing")
        shutil.copytree(SAMPLE, root / "app")
        for step in (["mod", "tidy"], ["build", "-o", "sample", "."], ["vet", "./..."]):
            result = go(step, root / "app")
            assert result.returncode == 0, f"go {' '.join(step)}:\n{result.stdout}{result.stderr}"
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    shutil.rmtree(final, ignore_errors=True)
    os.replace(root, final)
    return final


@pytest.fixture(scope="module")
def receiver():
    if not port_free(RECEIVER_PORT):
        pytest.fail(f"loopback port {RECEIVER_PORT} is in use")
    with OtlpReceiver("go-backend", RECEIVER_PORT) as rec:
        yield rec


def run_sample(built: Path, *args: str, env: dict[str, str] | None = None) -> list[dict]:
    """The sample as prod deploys it: the generated code with prod's generated otel.env, plus `env`."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    result = subprocess.run([str(built / "app" / "sample"), *args], cwd=built / "tracing", capture_output=True,
                            text=True, timeout=120, env={**clean, **PROD_ENV, **(env or {})},
                            stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stdout + result.stderr
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def caller() -> tuple[str, str, str]:
    trace_id, parent_id = secrets.token_hex(16), secrets.token_hex(8)
    return trace_id, parent_id, f"00-{trace_id}-{parent_id}-01"


@pytest.fixture(scope="module")
def sampled_run(built, receiver):
    trace_id, parent_id, header = caller()
    logs = run_sample(built, f"-parent={header}")
    wait_until(lambda: sum(s.trace_id == trace_id for s in receiver.spans()) >= 9, 20)
    spans = [s for s in receiver.spans() if s.trace_id == trace_id]
    return dict(trace_id=trace_id, parent_id=parent_id, logs=logs, spans=spans)


def one(spans, kind: int, name: str | None = None, **where):
    found = [s for s in spans if s.kind == kind and (name is None or s.name == name)
             and all(s.attributes.get(k) == v for k, v in where.items())]
    assert found, [(s.name, s.kind) for s in spans]
    return found[0]


def test_generated_module_passes_the_go_validator(generated):
    out, service_dir, entries = generated
    checks = list(sdk_go.check(out, service_dir, entries))
    assert checks and all(c.status == "ok" for c in checks), [c for c in checks if c.status != "ok"]
    assert any(c.validator == "otelconf" for c in checks)


def test_ratio_zero_root_exports_nothing(built, receiver):
    before = receiver.span_count()
    logs = run_sample(built)
    trace_id = next(line["trace_id"] for line in logs if line["msg"] == "order fulfilled")
    assert next(line for line in logs if line["msg"] == "order fulfilled")["trace_sampled"] is False
    time.sleep(1.0)   # the sample flushed on exit; a late batch would show here
    assert receiver.span_count() == before
    assert not [s for s in receiver.spans() if s.trace_id == trace_id]


def test_grpc_hop_continues_the_trace_with_the_blueprints_resource(sampled_run):
    spans, trace_id = sampled_run["spans"], sampled_run["trace_id"]
    root = one(spans, KIND_INTERNAL, "sample-request")
    assert root.parent_span_id == sampled_run["parent_id"]
    client = one(spans, KIND_CLIENT)
    server = next(s for s in spans if s.kind == KIND_SERVER and s.parent_span_id == client.span_id)
    assert client.parent_span_id == root.span_id
    assert {s.trace_id for s in spans} == {trace_id}
    resource = server.resource
    assert resource["service.name"] == SERVICE
    assert resource["service.version"] == "0.9.1"
    assert resource["deployment.environment.name"] == "prod"
    assert resource["service.owner"] == "logistics"
    assert resource["telemetry.sdk.language"] == "go"
    assert resource["telemetry.sdk.version"] == SDK_VERSIONS_GO["go.opentelemetry.io/otel/sdk"].lstrip("v")


def test_message_carries_traceparent_and_the_consumer_joins_the_trace(sampled_run):
    spans, trace_id = sampled_run["spans"], sampled_run["trace_id"]
    producer = one(spans, KIND_PRODUCER, **{"messaging.destination.name": "orders"})
    consumer = one(spans, KIND_CONSUMER, **{"messaging.system": "kafka"})
    assert consumer.parent_span_id == producer.span_id
    produced = next(line for line in sampled_run["logs"] if line["msg"] == "produced")
    assert produced["traceparent"] == f"00-{trace_id}-{producer.span_id}-01"


def test_errors_mark_spans_error(sampled_run):
    spans = sampled_run["spans"]
    failed = [s for s in spans if s.name == "fulfil" and s.status_code == STATUS_ERROR]
    assert failed, [(s.name, s.status_code) for s in spans]
    assert any(s.kind == KIND_SERVER and s.status_code == STATUS_ERROR for s in spans)
    done = next(line for line in sampled_run["logs"] if line["msg"] == "calls done")
    assert done["fail_code"] == "Internal"


def test_log_lines_carry_trace_and_span_ids(sampled_run):
    spans, trace_id = sampled_run["spans"], sampled_run["trace_id"]
    for message in ("order fulfilled", "order consumed", "fulfilment failed"):
        line = next(line for line in sampled_run["logs"] if line["msg"] == message)
        assert line["trace_id"] == trace_id, line
        assert line["span_id"] in {s.span_id for s in spans}, line


def test_exemplar_links_the_histogram_to_the_trace(sampled_run):
    exemplar = next(line for line in sampled_run["logs"] if line["msg"] == "exemplar")
    assert exemplar["trace_id"] == sampled_run["trace_id"]
    fulfil = [s.span_id for s in sampled_run["spans"] if s.name == "fulfil"]
    assert exemplar["span_id"] in fulfil


def test_declarative_configuration_loads_through_setup(built, receiver):
    trace_id, parent_id, header = caller()
    run_sample(built, f"-parent={header}", env={"OTEL_CONFIG_FILE": "otel-config.yaml"})
    wait_until(lambda: any(s.trace_id == trace_id and s.kind == KIND_CONSUMER for s in receiver.spans()), 20)
    spans = [s for s in receiver.spans() if s.trace_id == trace_id]
    root = one(spans, KIND_INTERNAL, "sample-request")
    assert root.parent_span_id == parent_id
    assert root.resource["service.name"] == SERVICE
    assert root.resource["service.owner"] == "logistics"
    before = receiver.span_count()
    run_sample(built, env={"OTEL_CONFIG_FILE": "otel-config.yaml"})   # ratio 0 from the file
    time.sleep(1.0)
    assert receiver.span_count() == before


def test_every_helper_variant_builds_and_vets(tmp_path):
    """HTTP in and out, gRPC both ways, three messaging systems both ways and every propagator the
    Go output knows: the template branches the sample does not use, through the real toolchain."""
    data = yaml.safe_load(blueprint())
    data["services"][SERVICE].update(
        inbound=["http", "grpc"], outbound=["http", "grpc"], legacy_edge=True,
        propagators=["tracecontext", "baggage", "b3", "b3multi", "jaeger"],
        messaging={"produces": [{"system": s, "topic": "t-out"} for s in ("kafka", "rabbitmq", "sqs")],
                   "consumes": [{"system": s, "topic": "t-in"} for s in ("kafka", "rabbitmq", "sqs")]})
    plan = build_plan(load_text(yaml.safe_dump(data, sort_keys=False), "checkout.yaml"))
    entries = []
    for artifact in sdk.build(plan):
        if artifact.service == SERVICE and artifact.environment is None:
            (tmp_path / artifact.path).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / artifact.path).write_text(artifact.content, encoding="utf-8")
            entries.append({"path": artifact.path, "kind": artifact.kind})
    checks = list(sdk_go.check(tmp_path, f"sdk/{SERVICE}", entries))
    assert {c.artifact.rsplit("/", 1)[-1] for c in checks} >= {"http.go", "grpc.go", "messaging.go", "tracing.go"}
    assert all(c.status == "ok" for c in checks), [c for c in checks if c.status != "ok"]


def test_validator_catches_a_bad_declarative_config(generated, tmp_path):
    out, service_dir, entries = generated
    shutil.copytree(out / "sdk", tmp_path / "sdk")
    config = tmp_path / service_dir / "otel-config.yaml"
    config.write_text(config.read_text().replace("trace_id_ratio_based:", "trace_id_ratio_based_typo:"))
    checks = {c.artifact.rsplit("/", 1)[-1]: c for c in sdk_go.check(tmp_path, service_dir, entries)}
    assert checks["otel-config.yaml"].status == "fail", checks["otel-config.yaml"]
    assert checks["tracing.go"].status == "ok"


# ------------------------------------------------------------------ the standard OTEL_* variables
def test_otel_traces_sampler_always_off_exports_nothing_even_under_a_sampled_caller(built, receiver):
    trace_id, _, header = caller()
    before = receiver.span_count()
    logs = run_sample(built, f"-parent={header}", env={"OTEL_TRACES_SAMPLER": "always_off"})
    fulfilled = next(line for line in logs if line["msg"] == "order fulfilled")
    assert fulfilled["trace_id"] == trace_id and fulfilled["trace_sampled"] is False
    time.sleep(1.0)
    assert receiver.span_count() == before


def test_parentbased_traceidratio_half_samples_about_half_of_the_roots(built, receiver):
    """The compiled-in ratio is 0; OTEL_TRACES_SAMPLER_ARG=0.5 must make it about half. 400 roots:
    Binomial(400, 0.5) has mean 200 and sd 10, so [140, 260] (6 sd) fails by chance < 1e-8."""
    roots = 400
    logs = run_sample(built, f"-roots={roots}",
                      env={"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.5"})
    decisions = {line["trace_id"]: line["trace_sampled"] for line in logs if line["msg"] == "root"}
    assert len(decisions) == roots
    sampled = {trace_id for trace_id, on in decisions.items() if on}
    assert 140 <= len(sampled) <= 260, len(sampled)
    wait_until(lambda: sampled <= {s.trace_id for s in receiver.spans()}, 20)
    received = {s.trace_id for s in receiver.spans() if s.trace_id in decisions}
    assert received == sampled      # exactly the sampled roots were exported


def test_traceidratio_ignores_the_callers_decision(built, receiver):
    trace_id, _, header = caller()
    logs = run_sample(built, f"-parent={header}",
                      env={"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0"})
    assert next(line for line in logs if line["msg"] == "order fulfilled")["trace_sampled"] is False


def _produced_and_consumed(logs: list[dict]) -> tuple[dict, dict]:
    produced = next(line for line in logs if line["msg"] == "produced")
    return produced, next(line for line in logs if line["msg"] == "order consumed")


def test_otel_propagators_b3_switches_the_injected_header(built, receiver):
    logs = run_sample(built, env={"OTEL_PROPAGATORS": "b3", "OTEL_TRACES_SAMPLER": "always_on"})
    produced, consumed = _produced_and_consumed(logs)
    assert set(produced["headers"]) == {"b3"}, produced["headers"]       # no traceparent any more
    assert re.fullmatch(rf"{produced['trace_id']}-[0-9a-f]{{16}}-1", produced["headers"]["b3"])
    assert consumed["trace_id"] == produced["trace_id"]                # extracted from b3 as well
    logs = run_sample(built, env={"OTEL_PROPAGATORS": "b3multi,jaeger", "OTEL_TRACES_SAMPLER": "always_on"})
    produced, _ = _produced_and_consumed(logs)
    assert {"x-b3-traceid", "x-b3-spanid", "x-b3-sampled", "uber-trace-id"} <= set(produced["headers"])


def test_otel_propagators_none_sends_no_context(built, receiver):
    logs = run_sample(built, env={"OTEL_PROPAGATORS": "none", "OTEL_TRACES_SAMPLER": "always_on"})
    produced, consumed = _produced_and_consumed(logs)
    assert produced["headers"] == {}
    assert consumed["trace_id"] != produced["trace_id"]


def test_service_name_and_percent_decoded_resource_attributes(built, receiver):
    """OTEL_RESOURCE_ATTRIBUTES as tracegen writes it (percent-encoded) comes back decoded."""
    plan = build_plan(load_text(blueprint(), "checkout.yaml"))
    env = next(e for e in plan.environments if e.name == "prod")
    service = next(s for s in env.services if s.name == SERVICE)
    value = "a,b=c d%e;$(x)`y`\"q'"
    attributes = resource_attributes_text(dataclasses.replace(service, resource_attributes=(("team.note", value),)))
    assert value not in attributes
    trace_id, _, header = caller()
    run_sample(built, f"-parent={header}", env={"OTEL_SERVICE_NAME": "renamed", "OTEL_RESOURCE_ATTRIBUTES": attributes})
    wait_until(lambda: any(s.trace_id == trace_id for s in receiver.spans()), 20)
    span = next(s for s in receiver.spans() if s.trace_id == trace_id)
    assert span.resource["service.name"] == "renamed"
    assert span.resource["team.note"] == value
    assert span.resource["service.owner"] == "logistics"   # the compiled-in attributes stay


def test_unknown_sampler_or_protocol_fails_setup(built):
    for env in ({"OTEL_TRACES_SAMPLER": "sometimes"}, {"OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"},
                {"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"}):
        clean = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
        result = subprocess.run([str(built / "app" / "sample")], cwd=built / "tracing", capture_output=True,
                                text=True, timeout=60, env={**clean, **env}, stdin=subprocess.DEVNULL)
        assert result.returncode == 1 and "sample failed" in result.stdout, (env, result.stdout, result.stderr)
        assert next(iter(env.values())) in result.stdout or "OTEL_EXPORTER_OTLP_ENDPOINT" in result.stdout


def test_otlp_http_protobuf_reaches_an_http_receiver(built):
    """OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf switches to otlptracehttp, which appends /v1/traces to
    OTEL_EXPORTER_OTLP_ENDPOINT and sends the OTEL_EXPORTER_OTLP_HEADERS itself."""
    received: list[tuple[str, str, bytes]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            received.append((self.path, self.headers.get("x-tenant", ""), body))
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        trace_id, _, header = caller()
        run_sample(built, f"-parent={header}", env={
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_EXPORTER_OTLP_HEADERS": "x-tenant=t%201",
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{server.server_address[1]}"})
    finally:
        server.shutdown()
        server.server_close()
    assert received and {(path, tenant) for path, tenant, _ in received} == {("/v1/traces", "t 1")}
    trace_ids = set()
    for _, _, body in received:
        request = trace_service_pb2.ExportTraceServiceRequest.FromString(body)
        trace_ids |= {span.trace_id.hex() for rs in request.resource_spans for ss in rs.scope_spans
                      for span in ss.spans}
    assert trace_ids == {trace_id}


@pytest.fixture(scope="module")
def collector(tmp_path_factory, receiver):
    """The real collector (the cached test distribution) between the Go sample and the receiver:
    OTLP gRPC and HTTP in, OTLP gRPC out."""
    work = tmp_path_factory.mktemp("go-collector")
    grpc_port, http_port, health_port = free_ports(3)
    config = {
        "receivers": {"otlp": {"protocols": {"grpc": {"endpoint": f"127.0.0.1:{grpc_port}"},
                                             "http": {"endpoint": f"127.0.0.1:{http_port}"}}}},
        "exporters": {"otlp_grpc": {"endpoint": f"127.0.0.1:{RECEIVER_PORT}", "tls": {"insecure": True}}},
        "processors": {"batch": {"timeout": "200ms"}},
        "extensions": {"health_check": {"endpoint": f"127.0.0.1:{health_port}"}},
        "service": {"extensions": ["health_check"], "telemetry": {"metrics": {"level": "none"}},
                    "pipelines": {"traces": {"receivers": ["otlp"], "processors": ["batch"], "exporters": ["otlp_grpc"]}}},
    }
    path = work / "collector.yaml"
    path.write_text(yaml.safe_dump(config))
    process = Collector("go-collector", build_test_distribution(), [path], collector_env(work, {}),
                        work / "collector.log", health_port, 0)
    process.start()
    try:
        yield dict(grpc=f"http://127.0.0.1:{grpc_port}", http=f"http://127.0.0.1:{http_port}")
    finally:
        process.stop()


def test_through_the_real_collector_the_standard_variables_hold(built, receiver, collector):
    """The same three checks with the real collector in the path (gRPC in, then OTLP/HTTP in for b3)."""
    via = {"OTEL_EXPORTER_OTLP_ENDPOINT": collector["grpc"]}
    trace_id, _, header = caller()
    run_sample(built, f"-parent={header}", env={**via, "OTEL_TRACES_SAMPLER": "always_off"})
    roots = 200
    logs = run_sample(built, f"-roots={roots}", env={**via, "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
                                                     "OTEL_TRACES_SAMPLER_ARG": "0.5"})
    decisions = {line["trace_id"]: line["trace_sampled"] for line in logs if line["msg"] == "root"}
    sampled = {t for t, on in decisions.items() if on}
    assert len(decisions) == roots and 58 <= len(sampled) <= 142, len(sampled)   # 6 sd of Binomial(200, .5)
    wait_until(lambda: sampled <= {s.trace_id for s in receiver.spans()}, 30)
    assert {s.trace_id for s in receiver.spans() if s.trace_id in decisions} == sampled
    assert not [s for s in receiver.spans() if s.trace_id == trace_id]     # always_off: nothing, even later
    logs = run_sample(built, env={"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
                                  "OTEL_EXPORTER_OTLP_ENDPOINT": collector["http"],
                                  "OTEL_PROPAGATORS": "b3", "OTEL_TRACES_SAMPLER": "always_on"})
    produced, consumed = _produced_and_consumed(logs)
    assert set(produced["headers"]) == {"b3"} and consumed["trace_id"] == produced["trace_id"]
    wait_until(lambda: any(s.trace_id == produced["trace_id"] and s.kind == KIND_PRODUCER for s in receiver.spans()), 30)


def test_otlp_grpc_headers_and_traces_endpoint_come_from_the_environment(built, receiver):
    """otlptracegrpc reads OTEL_EXPORTER_OTLP_HEADERS itself (percent-decoded); the per-signal
    endpoint wins over the general one (which here points nowhere)."""
    trace_id, _, header = caller()
    tenant = f"t {secrets.token_hex(4)}"
    run_sample(built, f"-parent={header}", env={
        "OTEL_EXPORTER_OTLP_HEADERS": f"x-tenant={tenant.replace(' ', '%20')}",
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": f"http://127.0.0.1:{RECEIVER_PORT}"})
    wait_until(lambda: any(s.trace_id == trace_id for s in receiver.spans()), 20)
    assert tenant in receiver.header_values("x-tenant")
