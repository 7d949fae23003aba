"""Live head sampling under the Java agent: the agent's strategies, polled, change the rate at run time.

vm-fleet's `orders` (Java/Spring) with `sampling.strategy: edge_head`, a head ratio of 0.25, an
incident mode that keeps everything, and a local environment (so every port comes from the plan).
From the plan: the collector agent's `jaegerremotesampling` extension config, exactly as the agent
config carries it, and the strategies files of the remote_sampling target; the Java agent reads the
generated otel.env (`parentbased_jaeger_remote` with the plan's endpoint, polling interval and initial
rate) over the generated otel-javaagent.properties, which is the same for every environment. A real collector (the test distribution) runs the extension from the
strategies directory the way the local agent does (working directory `<env>/collector`).

The sampled flag of the traceparent each root `/order` puts on its message is the SDK's decision.
The test measures it at the default mode (~25 %), replaces `active.json` with `incident.json` as an
operator would, and requires every root to be sampled within the reload and polling intervals with
the app still running (same PID); then switches back and sees the rate fall again.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from tests.e2e.harness.processes import port_free, wait_until
from tests.e2e.harness.receiver import OtlpReceiver
from tests.e2e.sdk_apps.support import cached, digest, otel_env
from tests.e2e.sdk_apps.support import run as run_command
# `built` (the Maven reactor of the generated module and the sample app, cached) builds whatever the
# `generated` fixture of this module returns.
from tests.e2e.test_sdk_java import App, built, get, unsampled_root  # noqa: F401 - fixture
from tracegen import components
from tracegen.blueprint.loader import load_text
from tracegen.plan import remote_sampling as rs
from tracegen.plan.builder import build_plan
from tracegen.targets import remote_sampling, sdk
from tracegen.targets.sdk import java as java_target
from tracegen.toolchain.collector import build_test_distribution
from tracegen.versions import COLLECTOR_VERSION

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.skipif(not (shutil.which("java") and shutil.which("mvn")), reason="needs java and mvn"),
]

ROOT = Path(__file__).resolve().parents[2]
SERVICE = "orders"
GO_SERVICE = "stock"
BASE_PORT = 28540          # the local agent: OTLP gRPC +0, HTTP +1, health +2, strategies HTTP +4, gRPC +5
RECEIVER_PORT = 28549
APP_PORT = 28548
GO_APP_PORT = 28547
HEAD_RATIO = 0.25
ROOTS = 300


def blueprint() -> str:
    data = yaml.safe_load((ROOT / "blueprints" / "vm-fleet.yaml").read_text(encoding="utf-8"))
    data["sampling"]["strategy"] = "edge_head"
    data["sampling"].setdefault("head", {})["services"] = {SERVICE: HEAD_RATIO}
    data["sampling"]["modes"]["incident"] = {"probabilistic_percentage": 100}
    data["environments"] = {"prod": {"platform": {"local": {"base_port": BASE_PORT}}}}
    data["services"][SERVICE].pop("export_endpoint", None)
    # The sample app consumes its own messages with the generated consumer helper.
    data["services"][SERVICE]["messaging"]["consumes"] = [{"system": "rabbitmq", "topic": "order-events"}]
    # A Go service beside it: the generated bootstrap with the contrib remote sampler (HTTP polling).
    data["services"][GO_SERVICE] = {"version": "1.0.0", "language": "go", "tier": 1, "peak_rps": 50,
                                    "owner": {"team": "stock", "oncall": "opsgenie:stock"}, "inbound": ["http"]}
    data["sampling"]["head"]["services"][GO_SERVICE] = HEAD_RATIO
    return yaml.safe_dump(data, sort_keys=False)


@pytest.fixture(scope="module")
def plan():
    return build_plan(load_text(blueprint(), "vm-fleet.yaml"))


@pytest.fixture(scope="module")
def generated(plan, tmp_path_factory):
    """The generated orders directory (and prod's otel.env), as test_sdk_java's `built` wants it."""
    out = tmp_path_factory.mktemp("remote-sampling-sdk")
    for artifact in sdk.build(plan):
        if artifact.service in (SERVICE, GO_SERVICE) and artifact.environment in (None, "prod"):
            path = out / artifact.path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(artifact.content, encoding="utf-8")
            if artifact.executable:
                path.chmod(0o755)
    service = next(s for e in plan.environments if e.name == "prod" for s in e.services if s.name == SERVICE)
    return out, f"sdk/{SERVICE}", [], service


@pytest.fixture(scope="module")
def settings(generated) -> dict[str, dict[str, str]]:
    """prod's generated otel.env of each service, as its deployment sets them."""
    out = generated[0]
    return {name: otel_env(out / "prod" / "sdk" / name / "otel.env") for name in (SERVICE, GO_SERVICE)}


@pytest.fixture(scope="module")
def remote(plan, tmp_path_factory):
    """The plan's pieces on disk: `collector/` (strategies files, the collector config carrying the
    generated extension) and the generated properties file."""
    env = next(e for e in plan.environments if e.name == "prod")
    assert rs.in_play(env)
    folder = tmp_path_factory.mktemp("remote-sampling")
    collector_dir = folder / "collector"
    for artifact in remote_sampling.build(plan):
        path = collector_dir / artifact.path.removeprefix(f"{env.name}/collector/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(artifact.content, encoding="utf-8")
    properties = next(a for a in sdk.build(plan) if a.service == SERVICE and a.path.endswith(java_target.PROPERTIES))
    (folder / java_target.PROPERTIES).write_text(properties.content, encoding="utf-8")
    agent = env.collectors.agent("local").data
    name = components.config_name(rs.EXTENSION, COLLECTOR_VERSION)
    health = components.config_name("extension/health_check", COLLECTOR_VERSION)
    exporter = components.config_name("exporter/otlp_grpc", COLLECTOR_VERSION)
    config = {
        "receivers": {"otlp": agent["receivers"]["otlp"]},
        "exporters": {exporter: {"endpoint": f"127.0.0.1:{RECEIVER_PORT}", "tls": {"insecure": True}}},
        "extensions": {name: agent["extensions"][name], health: agent["extensions"][health]},
        "service": {"extensions": [health, name], "telemetry": {"metrics": {"level": "none"}},
                    "pipelines": {"traces": {"receivers": ["otlp"], "exporters": [exporter]}}},
    }
    (collector_dir / "agent.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return {"env": env, "folder": folder, "collector_dir": collector_dir, "extension": agent["extensions"][name],
            "properties": folder / java_target.PROPERTIES, "text": properties.content}


@pytest.fixture(scope="module")
def stack(remote):
    busy = [str(p) for p in (BASE_PORT + 1, BASE_PORT + 2, BASE_PORT + 4, BASE_PORT + 5, RECEIVER_PORT, APP_PORT)
            if not port_free(p)]
    if busy:
        pytest.fail(f"loopback ports in use: {', '.join(busy)}")
    binary = build_test_distribution(COLLECTOR_VERSION)
    log = remote["collector_dir"] / "agent.log"
    with OtlpReceiver("remote-sampling-backend", RECEIVER_PORT) as receiver, open(log, "wb") as out:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
        process = subprocess.Popen([str(binary), "--config=agent.yaml"], cwd=remote["collector_dir"], stdout=out,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
        try:
            health = f"http://127.0.0.1:{BASE_PORT + 2}/"
            healthy = wait_until(lambda: process.poll() is not None or get(health)[0] == 200, 60)
            assert healthy and process.poll() is None, log.read_text()[-3000:]
            yield {"receiver": receiver, "log": log}
        finally:
            process.terminate()
            process.wait(timeout=30)


def switch(remote, mode: str) -> None:
    """What the runbook tells an operator: put the mode's file where the agent reads, atomically."""
    folder = remote["collector_dir"] / rs.STRATEGIES_DIRECTORY
    staged = folder / ".active.json.new"
    shutil.copyfile(folder / f"{mode}.json", staged)
    os.replace(staged, folder / rs.ACTIVE_FILE)


def sampled_roots(app: App, count: int) -> list[bool]:
    flags = []
    for _ in range(count):
        status, body = get(app.url("/order"))
        assert status == 200, app.text()[-3000:]
        flags.append(unsampled_root(body)[1])
    return flags


def within(count: int, n: int, ratio: float, sigmas: float = 4.0) -> bool:
    return abs(count - n * ratio) <= sigmas * math.sqrt(n * ratio * (1 - ratio))


def test_generated_settings_point_the_agent_at_the_extension(remote, settings):
    variables = settings[SERVICE]
    assert variables["OTEL_TRACES_SAMPLER"] == "parentbased_jaeger_remote"
    assert variables["OTEL_TRACES_SAMPLER_ARG"] == (f"endpoint=http://127.0.0.1:{BASE_PORT + 5},"
                                                    f"pollingIntervalMs={rs.POLLING_INTERVAL_MS},"
                                                    f"initialSamplingRate={HEAD_RATIO:g}")
    assert remote["extension"]["grpc"]["endpoint"] == f"127.0.0.1:{BASE_PORT + 5}"
    assert remote["extension"]["source"]["file"] == f"{rs.STRATEGIES_DIRECTORY}/{rs.ACTIVE_FILE}"


def test_the_agent_serves_the_generated_strategies(remote, stack):
    status, body = get(f"http://127.0.0.1:{BASE_PORT + 4}/sampling?service={SERVICE}")
    assert status == 200, stack["log"].read_text()[-3000:]
    served = json.loads(body)
    assert served["probabilisticSampling"]["samplingRate"] == pytest.approx(HEAD_RATIO)


def test_a_mode_switch_reaches_the_running_java_agent(remote, stack, built, settings, tmp_path):
    assert (built / "tracing" / java_target.PROPERTIES).read_text() == remote["text"]
    switch(remote, "default")
    # the generated agent flags, with prod's generated otel.env
    app = App(built, APP_PORT, ["@jvm-flags.txt"], tmp_path / "app.log", settings[SERVICE])
    try:
        pid = app.process.pid
        # Past the first poll, so the served default (not only the initial rate) is in force.
        time.sleep(rs.POLLING_INTERVAL_MS / 1000 + 1)
        before = sampled_roots(app, ROOTS)
        assert within(sum(before), ROOTS, HEAD_RATIO), (sum(before), app.text()[-3000:])

        switch(remote, "incident")
        switched = time.monotonic()
        bound = rs.RELOAD_INTERVAL_S + rs.POLLING_INTERVAL_MS / 1000 + 10
        streak = []
        while time.monotonic() - switched < bound and not (len(streak) >= 30 and all(streak[-30:])):
            streak += sampled_roots(app, 5)
            time.sleep(0.2)
        reached = time.monotonic() - switched
        assert len(streak) >= 30 and all(streak[-30:]), f"head rate still below 1 after {reached:.1f}s"
        during = sampled_roots(app, ROOTS)
        assert all(during), f"{during.count(False)} of {ROOTS} roots dropped in the incident mode"
        assert app.process.poll() is None and app.process.pid == pid

        switch(remote, "default")
        switched = time.monotonic()
        recent: list[bool] = []
        while time.monotonic() - switched < bound:
            recent = sampled_roots(app, 50)
            if sum(recent) < 40:
                break
        assert sum(recent) < 40, "the head rate did not fall back after switching to the default mode"
        after = sampled_roots(app, ROOTS)
        assert within(sum(after), ROOTS, HEAD_RATIO), sum(after)
        assert app.process.poll() is None and app.process.pid == pid
        print(f"\nremote sampling: default {sum(before)}/{ROOTS} sampled, incident reached in {reached:.1f}s, "
              f"{ROOTS}/{ROOTS} sampled, back to default {sum(after)}/{ROOTS}")
    finally:
        app.stop()
    # What the SDK sampled reached the backend through the collector agent.
    assert wait_until(lambda: len({s.trace_id for s in stack["receiver"].spans()}) >= ROOTS, 30)
    # The agent's sampler logs this when a poll fails; the agent logs the other without the sampler.
    assert "Failed to update sampler" not in app.text(), app.text()[-3000:]
    assert "not on classpath" not in app.text(), app.text()[-3000:]


GO_MAIN = """// The remote sampling test's Go service: GET / answers whether the generated bootstrap sampled it.
package main

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"os"

	"go.opentelemetry.io/otel/trace"

	"%s"
)

func main() {
	shutdown, err := tracing.Setup(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	defer func() { _ = shutdown(context.Background()) }()
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "sampled=%%t\\n", trace.SpanContextFromContext(r.Context()).IsSampled())
	})
	log.Fatal(http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), tracing.Handler(handler, "GET /")))
}
"""


@pytest.fixture(scope="module")
def go_binary(plan, tmp_path_factory):
    """The generated Go tracing module and a tiny app around it, built once per content."""
    from tracegen.targets.sdk import go as go_target

    env = next(e for e in plan.environments if e.name == "prod")
    service = next(s for s in env.services if s.name == GO_SERVICE)
    files = {a.path.rsplit(f"sdk/{GO_SERVICE}/", 1)[1]: a.content for a in sdk.build(plan)
             if a.service == GO_SERVICE and a.environment is None}
    module = go_target.module_path(plan.blueprint_name, service)
    main = GO_MAIN % module
    go_mod = f"module remoteapp\n\ngo 1.26.0\n\nrequire {module} v0.0.0\n\nreplace {module} => ../tracing\n"

    def make(work: Path) -> None:
        for name, content in files.items():
            (work / "tracing" / name).parent.mkdir(parents=True, exist_ok=True)
            (work / "tracing" / name).write_text(content, encoding="utf-8")
        (work / "app").mkdir()
        (work / "app" / "main.go").write_text(main, encoding="utf-8")
        (work / "app" / "go.mod").write_text(go_mod, encoding="utf-8")
        env_vars = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")} | {
            "GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod", "CGO_ENABLED": "0"}
        run_command(["go", "mod", "tidy"], work / "tracing", env=env_vars)
        run_command(["go", "mod", "tidy"], work / "app", env=env_vars)
        run_command(["go", "vet", "./..."], work / "tracing", env=env_vars)
        run_command(["go", "build", "-o", str(work / "app" / "remoteapp"), "."], work / "app", env=env_vars)

    key = digest(*(f"{name}\0{content}".encode() for name, content in sorted(files.items())), main.encode(),
                 go_mod.encode())
    return cached("remote-sampling-go", key, make) / "app" / "remoteapp"


def test_a_mode_switch_reaches_the_running_go_bootstrap(remote, stack, go_binary, settings, tmp_path):
    assert "jaegerremote.New" in (go_binary.parents[1] / "tracing" / "tracing.go").read_text()
    switch(remote, "default")
    env = ({k: v for k, v in os.environ.items() if not k.startswith("OTEL_")} | settings[GO_SERVICE]
           | {"PORT": str(GO_APP_PORT)})
    log = tmp_path / "go.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([str(go_binary)], stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   env=env)
    url = f"http://127.0.0.1:{GO_APP_PORT}/"

    def roots(count: int) -> list[bool]:
        answers = [get(url) for _ in range(count)]
        assert all(status == 200 for status, _ in answers), log.read_text()[-3000:]
        return [body.strip() == "sampled=true" for _, body in answers]

    try:
        assert wait_until(lambda: process.poll() is not None or get(url)[0] == 200, 30), log.read_text()
        pid = process.pid
        time.sleep(rs.POLLING_INTERVAL_MS / 1000 + 1)
        before = roots(ROOTS)
        assert within(sum(before), ROOTS, HEAD_RATIO), (sum(before), log.read_text()[-3000:])
        switch(remote, "incident")
        switched = time.monotonic()
        bound = rs.RELOAD_INTERVAL_S + rs.POLLING_INTERVAL_MS / 1000 + 10
        streak: list[bool] = []
        while time.monotonic() - switched < bound and not (len(streak) >= 30 and all(streak[-30:])):
            streak += roots(5)
            time.sleep(0.2)
        reached = time.monotonic() - switched
        assert len(streak) >= 30 and all(streak[-30:]), f"head rate still below 1 after {reached:.1f}s"
        assert all(roots(ROOTS))
        assert process.poll() is None and process.pid == pid
        print(f"\nGo remote sampling: default {sum(before)}/{ROOTS} sampled, incident reached in {reached:.1f}s")
    finally:
        switch(remote, "default")
        process.terminate()
        process.wait(timeout=20)
