"""The Rust SDK output compiled with cargo against the real crates (crates.io) and run through the
real collector.

blueprints/otel-demo.yaml's `shipping` (Rust) is generated as it is; a sample service
(tests/e2e/sdk_apps/rust) is built against the generated `tracing_setup` crate in the cached target
directory (tracegen.toolchain.rust) and run with the demo environment's generated otel.env, its
endpoint pointed at a real collector (the cached test distribution) listening on ephemeral ports
in front of a loopback OTLP receiver (also an ephemeral port). It checks what a deployment relies
on: a sampled caller's trace continues (same trace, parent span, W3C headers out), the service's
resource comes from the environment's variables, the parent-based sampler follows an unsampled
caller, and OTEL_TRACES_SAMPLER from the environment is obeyed.
"""

from __future__ import annotations

import json
import secrets
import subprocess
from pathlib import Path

import pytest

from tests.e2e.harness.processes import Collector, collector_env, free_ports, wait_until
from tests.e2e.harness.receiver import OtlpReceiver
from tracegen.blueprint.loader import load
from tracegen.errors import ToolError
from tracegen.plan.builder import build_plan
from tracegen.targets import sdk
from tracegen.toolchain import rust
from tracegen.toolchain.collector import build_test_distribution
from tracegen.versions import SDK_VERSIONS_RUST

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = Path(__file__).resolve().parent / "sdk_apps" / "rust"
SERVICE = "shipping"
ENVIRONMENT = "demo"


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    plan = build_plan(load(ROOT / "blueprints" / "otel-demo.yaml"))
    out = tmp_path_factory.mktemp("sdk-rust")
    env: dict[str, str] = {}
    for artifact in sdk.build(plan):
        if artifact.service != SERVICE:
            continue
        if artifact.environment is None:
            path = out / "crate" / artifact.path.split(f"sdk/{SERVICE}/", 1)[1]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(artifact.content, encoding="utf-8")
        elif artifact.environment == ENVIRONMENT and artifact.path.endswith("otel.env"):
            for line in artifact.content.splitlines():
                if line and not line.startswith("#"):
                    key, _, value = line.partition("=")
                    env[key] = value.strip('"')
    assert (out / "crate" / "Cargo.toml").is_file() and (out / "crate" / "src" / "lib.rs").is_file()
    return out, env


@pytest.fixture(scope="module")
def built(generated):
    out, _ = generated
    try:
        cargo = rust.cargo()
    except ToolError as error:
        pytest.fail(str(error))
    app = out / "app"
    (app / "src").mkdir(parents=True)
    (app / "src" / "main.rs").write_text((SAMPLE / "src" / "main.rs").read_text(encoding="utf-8"), encoding="utf-8")
    (app / "Cargo.toml").write_text(f"""[package]
name = "rust-sample"
version = "0.1.0"
edition = "2021"
publish = false

[dependencies]
shipping-tracing = {{ path = {json.dumps(str(out / "crate"))} }}
opentelemetry = "{SDK_VERSIONS_RUST['opentelemetry']}"
""", encoding="utf-8")
    result = subprocess.run([cargo, "build", "--quiet"], cwd=app, env=rust.env(), capture_output=True, text=True,
                            timeout=3000)
    assert result.returncode == 0, result.stderr[-4000:]
    binary = rust.target_dir() / "debug" / "rust-sample"
    assert binary.is_file()
    return binary


@pytest.fixture(scope="module")
def receiver():
    (port,) = free_ports(1)
    server = OtlpReceiver("rust-backend", port)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def collector(tmp_path_factory, receiver):
    import yaml

    work = tmp_path_factory.mktemp("rust-collector")
    http_port, health_port = free_ports(2)
    config = {
        "receivers": {"otlp": {"protocols": {"http": {"endpoint": f"127.0.0.1:{http_port}"}}}},
        "exporters": {"otlp_grpc": {"endpoint": f"127.0.0.1:{receiver.port}", "tls": {"insecure": True}}},
        "processors": {"batch": {"timeout": "200ms"}},
        "extensions": {"health_check": {"endpoint": f"127.0.0.1:{health_port}"}},
        "service": {"extensions": ["health_check"], "telemetry": {"metrics": {"level": "none"}},
                    "pipelines": {"traces": {"receivers": ["otlp"], "processors": ["batch"],
                                             "exporters": ["otlp_grpc"]}}},
    }
    path = work / "collector.yaml"
    path.write_text(yaml.safe_dump(config))
    process = Collector("rust-collector", build_test_distribution(), [path], collector_env(work, {}),
                        work / "collector.log", health_port, 0)
    process.start()
    try:
        yield f"http://127.0.0.1:{http_port}"
    finally:
        process.stop()


def run(binary: Path, generated, collector: str, *args: str, env: dict[str, str] | None = None) -> list[dict]:
    _, otel_env = generated
    variables = {**rust.env(), **otel_env, "OTEL_EXPORTER_OTLP_ENDPOINT": collector, **(env or {})}
    result = subprocess.run([str(binary), *args], env=variables, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def caller(sampled: bool = True) -> tuple[str, str, str]:
    trace_id, span_id = secrets.token_hex(16), secrets.token_hex(8)
    return trace_id, span_id, f"00-{trace_id}-{span_id}-{'01' if sampled else '00'}"


def test_the_environment_wiring_is_the_plans(generated):
    _, otel_env = generated
    assert otel_env["OTEL_SERVICE_NAME"] == SERVICE
    assert otel_env["OTEL_EXPORTER_OTLP_PROTOCOL"] == "http/protobuf"
    assert otel_env["OTEL_EXPORTER_OTLP_ENDPOINT"].endswith(":4318")


def test_a_sampled_callers_trace_continues_through_the_real_collector(built, generated, collector, receiver):
    trace_id, parent_id, header = caller()
    (handled,) = run(built, generated, collector, f"--parent={header}")
    assert handled["trace_id"] == trace_id and handled["sampled"] is True
    assert handled["traceparent"] == f"00-{trace_id}-{handled['span_id']}-01"    # W3C out, this span as parent
    assert wait_until(lambda: any(s.trace_id == trace_id for s in receiver.spans()), 30)
    (span,) = [s for s in receiver.spans() if s.trace_id == trace_id]
    assert (span.name, span.span_id, span.parent_span_id) == ("handle", handled["span_id"], parent_id)
    assert span.attributes["app.sample"] == "rust"
    _, otel_env = generated
    assert span.resource["service.name"] == SERVICE
    assert span.resource["deployment.environment.name"] == ENVIRONMENT       # from OTEL_RESOURCE_ATTRIBUTES
    assert span.resource["service.version"] == "2.1.0"
    assert span.resource["telemetry.sdk.language"] == "rust"
    assert "deployment.environment.name=demo" in otel_env["OTEL_RESOURCE_ATTRIBUTES"]


def test_the_parent_based_sampler_follows_an_unsampled_caller(built, generated, collector, receiver):
    trace_id, _, header = caller(sampled=False)
    (handled,) = run(built, generated, collector, f"--parent={header}")
    assert handled["sampled"] is False and handled["traceparent"].endswith("-00")
    marker_id, _, marker = caller()
    run(built, generated, collector, f"--parent={marker}")   # a later, sampled trace: the pipeline delivers
    assert wait_until(lambda: any(s.trace_id == marker_id for s in receiver.spans()), 30)
    assert not [s for s in receiver.spans() if s.trace_id == trace_id]


def test_the_sampler_from_the_environment_is_obeyed(built, generated, collector, receiver):
    roots = run(built, generated, collector, "--roots=20", env={"OTEL_TRACES_SAMPLER": "always_off"})
    assert len(roots) == 20 and not any(r["sampled"] for r in roots)
    ratio = run(built, generated, collector, "--roots=200", env={"OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
                                                                 "OTEL_TRACES_SAMPLER_ARG": "0.5"})
    sampled = {r["trace_id"] for r in ratio if r["sampled"]}
    assert 58 <= len(sampled) <= 142, len(sampled)          # 6 sd of Binomial(200, 0.5)
    assert wait_until(lambda: sampled <= {s.trace_id for s in receiver.spans()}, 30)
    seen = {s.trace_id for s in receiver.spans()}
    assert not ({r["trace_id"] for r in roots} | ({r["trace_id"] for r in ratio} - sampled)) & seen
