"""The generated Node.js SDK setup, installed from the npm registry and run on the real Node.

tests/e2e/sdk_apps/node/blueprint.yaml (Express, HTTP in and out, Kafka `orders` produced and
consumed) is built with the real CLI. Its package.json, merged with the sample's own dependency
(express), is installed with npm (node_modules cached by the merged package.json's hash); every
generated file passes `node --check`; then the sample service (sdk_apps/node/app.js) runs as
`node --require ./tracing.js app.js` and exports to a real collector (the test distribution) that
forwards to the harness's loopback receiver. The assertions read what arrived there.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
import yaml

from tests.e2e.sdk_apps import support
from tests.e2e.sdk_apps.support import KIND_CLIENT, KIND_CONSUMER, KIND_PRODUCER, KIND_SERVER
from tracegen.validators import sdk_node
from tracegen.versions import SDK_VERSIONS_NODE

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(not (shutil.which("node") and shutil.which("npm")), reason="needs node and npm")]

SAMPLE = Path(__file__).resolve().parent / "sdk_apps" / "node"
SERVICE = "shop-node"
# npm is the judge of compatibility: --engine-strict fails on a package whose `engines` rejects this
# Node, --strict-peer-deps on any peer dependency (@opentelemetry/api ranges) left unsatisfied.
NPM_FLAGS = ("--engine-strict", "--strict-peer-deps", "--no-audit", "--no-fund", "--loglevel=error")
TIMINGS: dict[str, float] = {}
RESULTS: dict[str, object] = {}


def _ratio(value: float):
    def edit(data: dict) -> None:
        sampling = data.setdefault("sampling", {})
        sampling.setdefault("head", {})["edge_rate"] = value
        if value < 1:
            # A head ratio below 1 is the playbook's edge head sampling, a declared volume cap: the
            # standards accept it only with the lowered targets written down (what it keeps).
            sampling["strategy"] = "edge_head"
            data.setdefault("standards", {})["sampling_targets"] = {
                "errors": value, "slow": value, "coverage": value, "healthy_min": 0, "healthy_max": 1}
    return edit


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    """The SDK output at ratio 1 and at ratio 0 (the same blueprint otherwise), and the port both export to."""
    (otlp_port,) = support.free_ports(1)
    root = tmp_path_factory.mktemp("sdk-node")
    with support.timed("generate", TIMINGS):
        ratio_one = support.build_sdk(SAMPLE / "blueprint.yaml", root / "ratio-1", otlp_port, _ratio(1.0))
        ratio_zero = support.build_sdk(SAMPLE / "blueprint.yaml", root / "ratio-0", otlp_port, _ratio(0.0))
    return {"one": ratio_one, "zero": ratio_zero, "otlp_port": otlp_port, "root": root}


def _package_json(generated: Path) -> str:
    package = json.loads((generated / "package.json").read_text(encoding="utf-8"))
    sample = json.loads((SAMPLE / "package.json").read_text(encoding="utf-8"))
    package["dependencies"].update(sample["dependencies"])
    return json.dumps(package, indent=2, sort_keys=True) + "\n"


@pytest.fixture(scope="module")
def node_modules(build) -> Path:
    package = _package_json(build["one"])
    assert package == _package_json(build["zero"]), "the ratio must not change the dependencies"

    def install(directory: Path) -> None:
        (directory / "package.json").write_text(package, encoding="utf-8")
        support.run(["npm", "install", *NPM_FLAGS], directory, timeout=900)

    with support.timed("npm install (cached)", TIMINGS):
        return support.cached("node", support.digest(package.encode(), " ".join(NPM_FLAGS).encode()), install) / "node_modules"


def _workdir(generated: Path, node_modules: Path, name: str, root: Path) -> Path:
    work = root / f"app-{name}"
    shutil.copytree(generated, work)
    shutil.copy(support.env_file(generated), work / "otel.env")   # the environment's values, beside the code
    shutil.copy(SAMPLE / "app.js", work / "app.js")
    (work / "node_modules").symlink_to(node_modules, target_is_directory=True)
    return work


@pytest.fixture(scope="module")
def workdirs(build, node_modules):
    return {name: _workdir(build[name], node_modules, name, build["root"]) for name in ("one", "zero")}


def _app(work: Path, port: int, **env: str) -> support.App:
    return support.App(["node", "--require", "./tracing.js", "app.js"], work,
                       support.clean_env(**{**support.otel_env(work / "otel.env"), "PORT": str(port), **env}),
                       port, work / f"app-{port}.log")


def test_engines_admit_this_node_and_every_file_passes_node_check(build, node_modules):
    generated = build["one"]
    checks = list(sdk_node.check(generated.parents[1], f"sdk/{SERVICE}", [
        {"path": f"sdk/{SERVICE}/{p.name}", "kind": "sdk-deps" if p.name == "package.json" else "sdk-code",
         "service": SERVICE, "language": "node"} for p in sorted(generated.iterdir()) if p.suffix in (".js", ".json")]))
    assert checks and all(c.status == "ok" for c in checks), checks
    # npm itself judged engines and peer dependencies at install: check what it installed.
    api = json.loads((node_modules / "@opentelemetry" / "api" / "package.json").read_text())
    core = json.loads((node_modules / "@opentelemetry" / "core" / "package.json").read_text())
    assert api["version"] == "1.9.1" and core["version"] == "2.12.0"
    copies = [p for p in node_modules.rglob("node_modules/@opentelemetry/core/package.json")]
    assert not copies, f"a second @opentelemetry/core was installed: {copies}"


def test_the_code_is_the_same_whatever_the_environment_asks(build):
    """Build once, deploy many: the ratio-1 and ratio-0 builds differ only in the environment's otel.env."""
    assert support.differing_files(build["one"], build["zero"]) == []
    assert support.otel_env(support.env_file(build["one"]))["OTEL_TRACES_SAMPLER_ARG"] == "1"
    assert support.otel_env(support.env_file(build["zero"]))["OTEL_TRACES_SAMPLER_ARG"] == "0"


def test_every_pinned_package_resolves_together():
    """Every package tracegen may emit (tracegen.versions.SDK_VERSIONS_NODE) in one tree: npm resolves
    it (a lockfile, nothing installed) with engines checked against this Node and strict peers."""
    package = json.dumps({"name": "tracegen-all-pins", "private": True,
                          "engines": {"node": SDK_VERSIONS_NODE["node"]},
                          "dependencies": {k: v for k, v in SDK_VERSIONS_NODE.items() if k != "node"}},
                         indent=2, sort_keys=True)

    def resolve(directory: Path) -> None:
        (directory / "package.json").write_text(package, encoding="utf-8")
        support.run(["npm", "install", "--package-lock-only", *NPM_FLAGS], directory, timeout=600)

    lock = support.cached("node-resolve", support.digest(package.encode(), " ".join(NPM_FLAGS).encode()), resolve)
    packages = json.loads((lock / "package-lock.json").read_text(encoding="utf-8"))["packages"]
    cores = {v["version"] for k, v in packages.items() if k.endswith("node_modules/@opentelemetry/core")}
    assert cores == {SDK_VERSIONS_NODE["@opentelemetry/core"]}, cores


def test_traces_logs_messages_exemplars_and_errors(build, workdirs, tmp_path):
    (app_port,) = support.free_ports(1)
    with support.Stack(tmp_path, build["otlp_port"]) as stack:
        with _app(workdirs["one"], app_port) as app:
            order = app.get("/order")
            assert order.status == 200, order.body + app.output()
            failed = app.get("/fail")
            assert failed.status == 500
            metrics = app.get("/metrics")
            started = time.monotonic()
            # SIGTERM right away, well inside the batch processor's 5 s delay: only the shutdown
            # hook's flush can deliver these spans.
            code = app.terminate()
            output = app.output()
        with support.timed("SIGTERM -> spans at the backend", TIMINGS):
            spans = stack.wait_for(lambda s: any(x.attributes.get("http.route") == "/fail" for x in s)
                                   and any(x.kind == KIND_CONSUMER for x in s))
        TIMINGS["shutdown flush (s)"] = time.monotonic() - started

    body = json.loads(order.body)
    trace_id = body["trace_id"]
    assert code in (0, -15, 143), output
    mine = [s for s in spans if s.trace_id == trace_id]
    assert mine, f"nothing of trace {trace_id} arrived; got {[(s.name, s.trace_id) for s in spans]}\n{output}"

    RESULTS["spans of one /order"] = len(mine)
    RESULTS["span names"] = sorted({s.name for s in mine})
    consumer, _ = support.check_order_trace(spans, mine, trace_id, body, SERVICE)

    # Logs: the request's lines carry its trace id, the consumer's too.
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    received = next(line for line in lines if line.get("msg") == "order received")
    consumed = next(line for line in lines if line.get("msg") == "order consumed")
    assert received["trace_id"] == trace_id and consumed["trace_id"] == trace_id
    assert consumed["span_id"] == consumer.span_id

    support.check_exemplar_and_error(metrics, spans, stack, trace_id)


TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = "00f067aa0ba902b7"


def test_parent_based_ratio_sampler(build, workdirs, tmp_path):
    """Generated at ratio 0: a new trace is dropped, a sampled caller's is kept, an unsampled one's is not."""
    (app_port,) = support.free_ports(1)
    with support.Stack(tmp_path, build["otlp_port"]) as stack:
        with _app(workdirs["zero"], app_port) as app:
            assert app.get("/stock").status == 200
            assert app.get("/stock", {"traceparent": f"00-{TRACE}-{PARENT}-01"}).status == 200
            assert app.get("/stock", {"traceparent": f"00-{'1' * 32}-{PARENT}-00"}).status == 200
            app.terminate()
        spans = stack.wait_for(lambda s: any(x.trace_id == TRACE for x in s))
        time.sleep(1.0)   # anything else would have come in the same flush
        spans = stack.spans()
    assert {s.trace_id for s in spans} == {TRACE}, [(s.name, s.trace_id) for s in spans]
    (server,) = [s for s in spans if s.kind == KIND_SERVER]
    assert server.parent_span_id == PARENT


def test_environment_wins_over_the_blueprint(build, workdirs, tmp_path):
    """The ratio-0 build with OTEL_TRACES_SAMPLER_ARG=1 and OTEL_RESOURCE_ATTRIBUTES: both win."""
    (app_port,) = support.free_ports(1)
    with support.Stack(tmp_path, build["otlp_port"]) as stack:
        with _app(workdirs["zero"], app_port, OTEL_TRACES_SAMPLER_ARG="1",
                  OTEL_RESOURCE_ATTRIBUTES="service.version=9.9.9,team.extra=yes") as app:
            assert app.get("/stock").status == 200
            app.terminate()
        spans = stack.wait_for(lambda s: len(s) > 0)
        # OTEL_SDK_DISABLED=true on the ratio-1 build: nothing at all.
        with _app(workdirs["one"], app_port, OTEL_SDK_DISABLED="true") as app:
            assert app.get("/order").status == 200
            app.terminate()
        time.sleep(1.0)
        assert len(stack.spans()) == len(spans), "OTEL_SDK_DISABLED=true still exported spans"
    assert spans, "OTEL_TRACES_SAMPLER_ARG=1 did not override the generated ratio 0"
    assert spans[0].resource["service.version"] == "9.9.9"
    assert spans[0].resource["team.extra"] == "yes"
    assert spans[0].resource["service.name"] == SERVICE        # the blueprint's, not overridden


def test_declarative_configuration_file_is_loaded(build, workdirs, tmp_path):
    """OTEL_CONFIG_FILE: the JS SDK's startNodeSDK builds everything from the generated file. The test
    runs a copy with one attribute added, to tell the file's spans from tracing.js's own setup."""
    (app_port,) = support.free_ports(1)
    config = yaml.safe_load((workdirs["one"] / "otel-config.yaml").read_text(encoding="utf-8"))
    config["resource"]["attributes"].append({"name": "config.source", "value": "otel-config.yaml"})
    (workdirs["one"] / "otel-config-marked.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    with support.Stack(tmp_path, build["otlp_port"]) as stack:
        with _app(workdirs["one"], app_port, OTEL_CONFIG_FILE="otel-config-marked.yaml") as app:
            order = app.get("/order")
            assert order.status == 200, order.body + app.output()
            app.terminate()
            output = app.output()
        trace_id = json.loads(order.body)["trace_id"]
        spans = stack.wait_for(lambda s: any(x.kind == KIND_CONSUMER for x in s))
    assert "Could not" not in output, output
    mine = [s for s in spans if s.trace_id == trace_id]
    assert {KIND_SERVER, KIND_CLIENT, KIND_PRODUCER, KIND_CONSUMER} <= {s.kind for s in mine}, output
    for span in mine:
        assert span.resource["config.source"] == "otel-config.yaml"
        assert span.resource["service.name"] == SERVICE
        assert span.resource["deployment.environment.name"] == "e2e"
        assert span.resource["service.version"] == "7.3.1"
    RESULTS["declarative config: spans of one /order"] = len(mine)


def test_report(build):
    print("\nNode SDK e2e timings: " + ", ".join(f"{k} {v:.1f}s" for k, v in TIMINGS.items()))
    print("Node SDK e2e results: " + "; ".join(f"{k}: {v}" for k, v in RESULTS.items()))
