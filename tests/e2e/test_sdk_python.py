"""The generated Python SDK setup, installed from PyPI and run on the real interpreter.

tests/e2e/sdk_apps/python/blueprint.yaml (FastAPI, HTTP in and out, Kafka `orders` produced and
consumed) is built with the real CLI. Its requirements.txt and the sample's own
(fastapi, uvicorn, httpx) are installed with pip into a virtualenv (cached by their hash), every
generated module passes `py_compile`, otel-config.yaml is loaded by opentelemetry-configuration
(the JSON schema the package ships, and the file_format check); then the sample service
(sdk_apps/python/app.py) runs under uvicorn and exports to a real collector (the test distribution)
that forwards to the harness's loopback receiver. The assertions read what arrived there.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.e2e.sdk_apps import support
from tests.e2e.sdk_apps.support import KIND_CLIENT, KIND_CONSUMER, KIND_PRODUCER, KIND_SERVER
from tracegen.validators import sdk_python
from tracegen.versions import SDK_VERSIONS_PYTHON

pytestmark = pytest.mark.e2e

SAMPLE = Path(__file__).resolve().parent / "sdk_apps" / "python"
SERVICE = "shop-python"
PIP_FLAGS = ("--disable-pip-version-check", "--no-input", "-q")
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
    (otlp_port,) = support.free_ports(1)
    root = tmp_path_factory.mktemp("sdk-python")
    with support.timed("generate", TIMINGS):
        ratio_one = support.build_sdk(SAMPLE / "blueprint.yaml", root / "ratio-1", otlp_port, _ratio(1.0))
        ratio_zero = support.build_sdk(SAMPLE / "blueprint.yaml", root / "ratio-0", otlp_port, _ratio(0.0))
    return {"one": ratio_one, "zero": ratio_zero, "otlp_port": otlp_port, "root": root}


@pytest.fixture(scope="module")
def python(build) -> Path:
    """The virtualenv's interpreter, with the generated and the sample's requirements installed."""
    generated = (build["one"] / "requirements.txt").read_bytes()
    assert generated == (build["zero"] / "requirements.txt").read_bytes(), "the ratio must not change the dependencies"
    sample = (SAMPLE / "requirements.txt").read_bytes()

    def install(directory: Path) -> None:
        (directory / "requirements.txt").write_bytes(generated)
        (directory / "sample-requirements.txt").write_bytes(sample)
        support.run([sys.executable, "-m", "venv", str(directory / "venv")], directory)
        support.run([str(directory / "venv" / "bin" / "python"), "-m", "pip", "install", *PIP_FLAGS,
                     "-r", "requirements.txt", "-r", "sample-requirements.txt"], directory, timeout=900)
        support.run([str(directory / "venv" / "bin" / "python"), "-m", "pip", "check"], directory)

    key = support.digest(generated, sample, sys.version.encode())
    with support.timed("pip install (cached)", TIMINGS):
        return support.cached("python", key, install) / "venv" / "bin" / "python"


def _workdir(generated: Path, name: str, root: Path) -> Path:
    work = root / f"app-{name}"
    shutil.copytree(generated, work)
    shutil.copy(support.env_file(generated), work / "otel.env")   # the environment's values, beside the code
    shutil.copy(SAMPLE / "app.py", work / "app.py")
    return work


@pytest.fixture(scope="module")
def workdirs(build):
    return {name: _workdir(build[name], name, build["root"]) for name in ("one", "zero")}


def _app(python: Path, work: Path, port: int, **env: str) -> support.App:
    values = support.otel_env(work / "otel.env")
    return support.App([str(python), "app.py"], work,
                       support.clean_env(**{**values, "PORT": str(port), "PYTHONUNBUFFERED": "1", **env}), port,
                       work / f"app-{port}.log")


def test_modules_compile_and_requirements_install_together(build, python):
    generated = build["one"]
    entries = [{"path": f"sdk/{SERVICE}/{p.name}", "service": SERVICE, "language": "python",
                "kind": "sdk-deps" if p.name == "requirements.txt" else "sdk-code"}
               for p in sorted(generated.iterdir()) if p.suffix in (".py", ".txt")]
    checks = list(sdk_python.check(generated.parents[1], f"sdk/{SERVICE}", entries))
    assert len(checks) == len(entries) and all(c.status == "ok" for c in checks), checks
    # The interpreter that will run them compiles them too (pip check already ran at install).
    support.run([str(python), "-m", "py_compile", *(p.name for p in generated.glob("*.py"))], generated)
    for p in generated.glob("__pycache__"):
        shutil.rmtree(p)


SCHEMA_CHECK = """
import json, sys
from importlib import resources
import jsonschema, yaml
from opentelemetry.configuration import load_config_file
from opentelemetry.configuration.file import substitute_env_vars

schema = json.loads(resources.files("opentelemetry.configuration").joinpath("schema.json").read_text())
validator = jsonschema.Draft202012Validator(schema)
for path in sys.argv[1:]:
    text = open(path).read()
    data = yaml.safe_load(substitute_env_vars(text))
    errors = sorted(e.message for e in validator.iter_errors(data))
    broken = dict(data, tracer_provider=dict(data["tracer_provider"], sampler={"parent_based": {"root": {
        "trace_id_ratio_based": {"ratio": 2}}}}))
    print(json.dumps({"file": path, "errors": errors, "control_errors": len(list(validator.iter_errors(broken))),
                      "loaded_file_format": load_config_file(path).file_format}))
"""


def test_declarative_configuration_passes_the_published_schema(build, python):
    """opentelemetry-configuration ships the configuration JSON schema (schema.json): the generated
    files, after ${VAR:-default} substitution with the ratio-0 environment's otel.env, validate against
    it, and its loader (what OTEL_CONFIG_FILE runs) accepts them. A ratio of 2 fails the same schema (the check has teeth)."""
    out = support.run([str(python), "-c", SCHEMA_CHECK, str(build["one"] / "otel-config.yaml"),
                       str(build["zero"] / "otel-config.yaml")], build["one"],
                      env=support.clean_env(**support.otel_env(support.env_file(build["zero"]))))
    results = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert len(results) == 2, out
    for result in results:
        assert result["errors"] == [], result
        assert result["control_errors"] > 0 and result["loaded_file_format"] == "1.0", result
    # And tracegen's own validator, in that interpreter (where the package is importable).
    check = support.run([str(python), "-c", "import sys; from pathlib import Path; "
                         "from tracegen.validators.sdk_python import declarative_config as d; "
                         "c = d('otel-config.yaml', Path(sys.argv[1])); print(c.status, c.detail)",
                         str(build["zero"] / "otel-config.yaml")], support.REPO,
                        env=support.clean_env(PYTHONPATH=str(support.REPO)))
    assert check.startswith("ok loaded by opentelemetry-configuration"), check


def test_the_code_is_the_same_whatever_the_environment_asks(build):
    """Build once, deploy many: the ratio-1 and ratio-0 builds differ only in the environment's otel.env."""
    assert support.differing_files(build["one"], build["zero"]) == []
    assert support.otel_env(support.env_file(build["one"]))["OTEL_TRACES_SAMPLER_ARG"] == "1"
    assert support.otel_env(support.env_file(build["zero"]))["OTEL_TRACES_SAMPLER_ARG"] == "0"


def test_every_pinned_package_resolves_together(python):
    """Every package tracegen may emit (tracegen.versions.SDK_VERSIONS_PYTHON) in one environment:
    pip's resolver accepts the set (a dry run, nothing installed)."""
    pins = "".join(f"{k}=={v}\n" for k, v in SDK_VERSIONS_PYTHON.items() if k != "python")

    def resolve(directory: Path) -> None:
        (directory / "requirements.txt").write_text(pins, encoding="utf-8")
        support.run([str(python), "-m", "pip", "install", *PIP_FLAGS, "--dry-run", "--ignore-installed",
                     "--report", "report.json", "-r", "requirements.txt"], directory, timeout=600)

    folder = support.cached("python-resolve", support.digest(pins.encode(), sys.version.encode()), resolve)
    report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    resolved = {re.sub(r"[-_.]+", "-", item["metadata"]["name"]).lower(): item["metadata"]["version"]
                for item in report["install"]}
    for name, version in SDK_VERSIONS_PYTHON.items():
        if name != "python":
            assert resolved[name] == version, (name, resolved.get(name))


def test_traces_logs_messages_exemplars_and_errors(build, workdirs, python, tmp_path):
    (app_port,) = support.free_ports(1)
    with support.Stack(tmp_path, build["otlp_port"]) as stack:
        with _app(python, workdirs["one"], app_port) as app:
            order = app.get("/order")
            assert order.status == 200, order.body + app.output()
            failed = app.get("/fail")
            assert failed.status == 500
            metrics = app.get("/metrics")
            started = time.monotonic()
            # SIGTERM at once, inside the batch processor's 5 s delay: only the flush at shutdown
            # can deliver these spans.
            code = app.terminate()
            output = app.output()
        spans = stack.wait_for(lambda s: any(x.attributes.get("http.route") == "/fail" for x in s)
                               and any(x.kind == KIND_CONSUMER for x in s))
        TIMINGS["SIGTERM -> process gone (s)"] = time.monotonic() - started

    body = json.loads(order.body)
    trace_id = body["trace_id"]
    assert code in (0, -15, 143), output
    mine = [s for s in spans if s.trace_id == trace_id]
    assert mine, f"nothing of trace {trace_id} arrived; got {[(s.name, s.trace_id) for s in spans]}\n{output}"
    RESULTS["spans of one /order"] = len(mine)
    RESULTS["span names"] = sorted({s.name for s in mine})
    consumer, _ = support.check_order_trace(spans, mine, trace_id, body, SERVICE)

    # Logs: the request's line and the consumer thread's line carry the trace id.
    assert f"[trace_id={trace_id} span_id=" in next(line for line in output.splitlines() if "order received" in line)
    consumed = next(line for line in output.splitlines() if "order consumed" in line)
    assert f"[trace_id={trace_id} span_id={consumer.span_id}]" in consumed

    support.check_exemplar_and_error(metrics, spans, stack, trace_id)


TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = "00f067aa0ba902b7"


def test_parent_based_ratio_sampler(build, workdirs, python, tmp_path):
    """Generated at ratio 0: a new trace is dropped, a sampled caller's is kept, an unsampled one's is not."""
    (app_port,) = support.free_ports(1)
    with support.Stack(tmp_path, build["otlp_port"]) as stack:
        with _app(python, workdirs["zero"], app_port) as app:
            assert app.get("/stock").status == 200
            assert app.get("/stock", {"traceparent": f"00-{TRACE}-{PARENT}-01"}).status == 200
            assert app.get("/stock", {"traceparent": f"00-{'1' * 32}-{PARENT}-00"}).status == 200
            app.terminate()
        stack.wait_for(lambda s: any(x.trace_id == TRACE for x in s))
        time.sleep(1.0)
        spans = stack.spans()
    assert {s.trace_id for s in spans} == {TRACE}, [(s.name, s.trace_id) for s in spans]
    (server,) = [s for s in spans if s.kind == KIND_SERVER]
    assert server.parent_span_id == PARENT


def test_environment_wins_over_the_blueprint(build, workdirs, python, tmp_path):
    (app_port,) = support.free_ports(1)
    with support.Stack(tmp_path, build["otlp_port"]) as stack:
        with _app(python, workdirs["zero"], app_port, OTEL_TRACES_SAMPLER_ARG="1",
                  OTEL_RESOURCE_ATTRIBUTES="service.version=9.9.9,team.extra=yes") as app:
            assert app.get("/stock").status == 200
            app.terminate()
        spans = stack.wait_for(lambda s: len(s) > 0)
        # OTEL_SDK_DISABLED=true on the ratio-1 build: nothing at all.
        with _app(python, workdirs["one"], app_port, OTEL_SDK_DISABLED="true") as app:
            assert app.get("/order").status == 200
            app.terminate()
        time.sleep(1.0)
        assert len(stack.spans()) == len(spans), "OTEL_SDK_DISABLED=true still exported spans"
    assert spans, "OTEL_TRACES_SAMPLER_ARG=1 did not override the generated ratio 0"
    assert spans[0].resource["service.version"] == "9.9.9"
    assert spans[0].resource["team.extra"] == "yes"
    assert spans[0].resource["service.name"] == SERVICE


def test_declarative_configuration_file_is_loaded(build, workdirs, python, tmp_path):
    """OTEL_CONFIG_FILE: opentelemetry-configuration builds the SDK from the generated file (a copy
    with one attribute added, to tell its spans from tracing.py's own setup)."""
    (app_port,) = support.free_ports(1)
    config = yaml.safe_load((workdirs["one"] / "otel-config.yaml").read_text(encoding="utf-8"))
    config["resource"]["attributes"].append({"name": "config.source", "value": "otel-config.yaml"})
    (workdirs["one"] / "otel-config-marked.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    with support.Stack(tmp_path, build["otlp_port"]) as stack:
        with _app(python, workdirs["one"], app_port, OTEL_CONFIG_FILE="otel-config-marked.yaml") as app:
            order = app.get("/order")
            assert order.status == 200, order.body + app.output()
            app.terminate()
            output = app.output()
        trace_id = json.loads(order.body)["trace_id"]
        spans = stack.wait_for(lambda s: any(x.kind == KIND_CONSUMER for x in s))
    mine = [s for s in spans if s.trace_id == trace_id]
    assert {KIND_SERVER, KIND_CLIENT, KIND_PRODUCER, KIND_CONSUMER} <= {s.kind for s in mine}, output
    for span in mine:
        assert span.resource["config.source"] == "otel-config.yaml"
        assert span.resource["service.name"] == SERVICE
        assert span.resource["deployment.environment.name"] == "e2e"
    RESULTS["declarative config: spans of one /order"] = len(mine)


def test_report(build):
    print("\nPython SDK e2e timings: " + ", ".join(f"{k} {v:.1f}s" for k, v in TIMINGS.items()))
    print("Python SDK e2e results: " + "; ".join(f"{k}: {v}" for k, v in RESULTS.items()))
