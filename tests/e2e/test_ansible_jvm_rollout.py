"""The generated Ansible rollout turns tracing on for a JVM it never built (issue 12, item 6), run for
real against two application hosts of the namespace-and-sshd test estate
(tests/e2e/ansible_harness/estate.py, jvm-estate.yaml).

The service is a plain Java program (tests/e2e/jvm_app/Ledger.java, compiled here with javac) that
knows nothing of OpenTelemetry. The test hosts have no systemd as PID 1, so it runs under a
Debian-style SysV init script (tests/e2e/jvm_app/ledger.init: start-stop-daemon with a pidfile; like
the unit's EnvironmentFile= it loads /etc/default/opentelemetry-ledger), and the playbook runs with
`tracegen_app_service_manager: sysvinit` (the otel_app role then calls `/etc/init.d/ledger
restart|status` where it would call systemctl) and the collector role's `process` manager. The Java
agent jar is the real one from Maven Central (fetched with Maven, checked against the pin in
tracegen/versions.py), served to the hosts from the lab namespace because they have no other network,
by overriding only `tracegen_java_agent_url`: the generated checksum is what the download is checked
against.

Ports: every listener (the HTTP server, the sink, the collectors, the JVM) lives in network
namespaces this test creates, so fixed ports there never collide with another suite's.

Phases, in order (a failing phase skips the rest):
1. the JVM runs without tracing; the playbook installs the agent and the env file and restarts it
   through its init script, canary host first; it then runs with the agent, and spans of a request
   reach the backend through the host's collector agent;
2. a second run changes nothing and restarts nothing;
3. a change whose health check fails (the blueprint's health URL answers 500) is rolled back on the
   canary host (previous env file, restarted again) and stops the rollout before the second host.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from tests.e2e.ansible_harness import lab
from tests.e2e.ansible_harness.estate import LAB_ADDRESS, Estate, missing_tools
from tests.e2e.ansible_harness.runner import Run, run_playbook
from tests.e2e.test_ansible_rollout import _build, _phase, _sha256
from tracegen import versions

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

HARNESS = Path(__file__).resolve().parent / "ansible_harness"
APP = Path(__file__).resolve().parent / "jvm_app"
BLUEPRINT = HARNESS / "jvm-estate.yaml"
HOSTS = ["app-1.e2e.test", "app-2.e2e.test"]
LAB_NAME = "lab.e2e.test"
APP_PIDFILE = "/run/ledger.pid"
ENV_FILE = "/etc/default/opentelemetry-ledger"
AGENT_VERSION = versions.SDK_VERSIONS_JAVA["opentelemetry-javaagent"]
AGENT_JAR = f"/opt/opentelemetry-javaagent/{AGENT_VERSION}/opentelemetry-javaagent.jar"
COLLECTOR_LABEL = "0.160.0-full"


def _java_agent(workdir: Path) -> Path:
    """The pinned agent jar from Maven Central, as Maven fetches it (its local repository caches it)."""
    out = workdir / "agent"
    artifact = f"{versions.JAVA_AGENT_GROUP}:{versions.JAVA_AGENT_ARTIFACT}:{AGENT_VERSION}"
    result = subprocess.run(["mvn", "-B", "-q", "-Dstyle.color=never", "dependency:copy",
                             f"-Dartifact={artifact}", f"-DoutputDirectory={out}", "-Dmdep.stripVersion=false"],
                            capture_output=True, text=True, timeout=600, cwd=workdir)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return out / f"{versions.JAVA_AGENT_ARTIFACT}-{AGENT_VERSION}.jar"


@dataclass
class Scenario:
    estate: Estate
    workdir: Path
    v1: Path
    collector: Path
    sink_file: Path
    pids: dict[str, int] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)
    runs: int = 0

    def play(self, output: Path, *args: str) -> Run:
        self.runs += 1
        extra = {
            "otel_collector_service_manager": "process",
            "otel_collector_version": COLLECTOR_LABEL,
            "otel_collector_binary_src": str(self.collector),
            "otel_collector_health_timeout": 15,
            "tracegen_app_service_manager": "sysvinit",
            # The hosts reach only the lab: the same jar, served there, checked against the generated checksum.
            "tracegen_java_agent_url": f"http://{LAB_NAME}:{lab.HTTP_PORT}/{versions.JAVA_AGENT_ARTIFACT}-{AGENT_VERSION}.jar",
        }
        return run_playbook(self.estate, output / "ansible", extra, self.workdir / f"run-{self.runs}.log", *args)

    def app_pid(self, host: str) -> int | None:
        text = self.estate.read(host, APP_PIDFILE)
        pid = int(text) if text and text.strip().isdigit() else None
        return pid if pid and Path(f"/proc/{pid}").exists() else None

    def environ(self, host: str) -> dict[str, str]:
        pid = self.app_pid(host)
        assert pid, f"the JVM is not running on {host}"
        raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        return dict(item.decode().split("=", 1) for item in raw if b"=" in item)

    def get(self, host: str, path: str) -> str:
        result = self.estate.host_run(host, ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "30",
                                             f"http://127.0.0.1:8081{path}"], check=False)
        return result.stdout.strip()

    def require(self) -> None:
        if self.failed:
            pytest.skip(f"an earlier phase failed: {self.failed[0]}")


def _install_app(estate: Estate, host: str, classes: Path) -> None:
    """The service as it ran before tracegen: its program, its init script, started without tracing."""
    estate.host_run(host, ["mkdir", "-p", "/opt/ledger"])
    estate.host_run(host, ["cp", str(classes / "Ledger.class"), "/opt/ledger/Ledger.class"])
    estate.host_run(host, ["install", "-m", "0755", str(APP / "ledger.init"), "/etc/init.d/ledger"])
    started = estate.host_run(host, ["/etc/init.d/ledger", "start"], check=False)
    assert started.returncode == 0, started.stdout + started.stderr


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip("the namespace test estate needs root")
    missing = missing_tools() + [t for t in ("ansible-playbook", "java", "javac", "mvn", "curl") if not shutil.which(t)]
    if missing:
        pytest.skip(f"missing {', '.join(missing)}: run tests/e2e/ansible_harness/install-deps.sh")
    from tracegen.toolchain.collector import build_test_distribution

    workdir = tmp_path_factory.mktemp("ansible-jvm")
    v1 = _build(BLUEPRINT.read_text(), workdir, "v1")
    collector = build_test_distribution("0.160.0")
    jar = _java_agent(workdir)
    assert _sha256(jar) == versions.JAVA_AGENT_SHA256[AGENT_VERSION], "the pinned checksum is not the jar's"
    served = workdir / "served"
    served.mkdir()
    shutil.copy2(jar, served / jar.name)
    classes = workdir / "classes"
    compiled = subprocess.run(["javac", "--release", "17", "-d", str(classes), str(APP / "Ledger.java")],
                              capture_output=True, text=True, timeout=300)
    assert compiled.returncode == 0, compiled.stderr
    estate = Estate(workdir / "estate", HOSTS, extra_names={LAB_NAME: LAB_ADDRESS})
    try:
        estate.start()
        sink_file = lab.start(estate, served, workdir)
        for host in HOSTS:
            _install_app(estate, host, classes)
        yield Scenario(estate, workdir, v1, collector, sink_file)
    finally:
        estate.stop()
        assert not estate.leftovers(), f"namespaces left behind: {estate.leftovers()}"


def _wait_healthy(scenario: Scenario, host: str, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if scenario.get(host, "/health") == "200":
            return
        time.sleep(0.5)
    raise AssertionError(f"the JVM on {host} does not answer /health")


def _spans(scenario: Scenario) -> list[tuple[dict, dict]]:
    lines = scenario.sink_file.read_text().splitlines() if scenario.sink_file.exists() else []
    return [(span, record["metadata"]) for record in map(json.loads, lines) for span in record["spans"]]


def test_the_rollout_attaches_the_java_agent_and_restarts_the_jvm_canary_first(scenario):
    with _phase(scenario, "agent rollout"):
        for host in HOSTS:
            _wait_healthy(scenario, host)
            scenario.pids[host] = scenario.app_pid(host)
            assert "JAVA_TOOL_OPTIONS" not in scenario.environ(host)
        run = scenario.play(scenario.v1, "--diff")
        assert run.returncode == 0, run.output[-6000:]
        # Generated batches: the canary host alone, then the rest; the JVM restarts within each batch.
        assert run.output.count("PLAY [Roll out the agent tier") == len(HOSTS), run.output[-6000:]
        restarts = [line for line in run.output.splitlines() if "otel_app : Restart the service (SysV" in line]
        assert len(restarts) == len(HOSTS), run.output[-6000:]
        env_v1 = (scenario.v1 / "ansible" / "files" / "otel-env" / "ledger.env").read_text()
        for host in HOSTS:
            assert run.failed(host) == 0 and run.changed(host) > 0
            assert scenario.estate.read(host, ENV_FILE) == env_v1
            _wait_healthy(scenario, host)
            pid = scenario.app_pid(host)
            assert pid and pid != scenario.pids[host], f"the JVM on {host} was not restarted"
            scenario.pids[host] = pid
            environ = scenario.environ(host)
            assert environ["JAVA_TOOL_OPTIONS"] == f"-javaagent:{AGENT_JAR}"
            assert environ["OTEL_SERVICE_NAME"] == "ledger"
            jar_sha = scenario.estate.host_run(host, ["sha256sum", AGENT_JAR]).stdout.split()[0]
            assert jar_sha == versions.JAVA_AGENT_SHA256[AGENT_VERSION]
            # The agent really is in the JVM: its jar is open in the process.
            assert AGENT_JAR in Path(f"/proc/{pid}/maps").read_text() or any(
                os.path.realpath(f"/proc/{pid}/fd/{fd}").endswith("opentelemetry-javaagent.jar")
                for fd in os.listdir(f"/proc/{pid}/fd")), "the Java agent is not loaded"


def test_the_jvm_exports_spans_through_its_hosts_agent(scenario):
    with _phase(scenario, "spans"):
        for host in HOSTS:
            assert scenario.get(host, "/work") == "200"
        deadline = time.monotonic() + 90
        seen: dict[str, list] = {}
        while time.monotonic() < deadline and set(seen) < set(HOSTS):
            time.sleep(1)
            seen = {}
            for span, metadata in _spans(scenario):
                if span["resource"].get("service.name") == "ledger":
                    seen.setdefault(span["resource"].get("host.name"), []).append((span, metadata))
        assert set(HOSTS) <= set(seen), f"no spans from the JVM of {set(HOSTS) - set(seen)}: {list(seen)}"
        for host in HOSTS:
            span, metadata = seen[host][0]
            assert span["resource"]["telemetry.distro.name"] == "opentelemetry-java-instrumentation"
            assert span["resource"]["deployment.environment.name"] == "e2e"
            assert span["resource"]["service.version"] == "1.0.0"
            # The sink speaks OTLP/gRPC only; the JVM exports OTLP/HTTP to 127.0.0.1:4318: what arrives
            # came through the host's collector.
            assert "grpc-go" in metadata.get("user-agent", ""), metadata


def test_a_second_run_changes_and_restarts_nothing(scenario):
    with _phase(scenario, "second run"):
        run = scenario.play(scenario.v1)
        assert run.returncode == 0, run.output[-6000:]
        assert {host: counts["changed"] for host, counts in run.recap.items()} == {h: 0 for h in HOSTS}
        assert {h: scenario.app_pid(h) for h in HOSTS} == scenario.pids


def test_an_unhealthy_restart_is_rolled_back_and_stops_the_rollout(scenario):
    with _phase(scenario, "rollback"):
        data = yaml.safe_load(BLUEPRINT.read_text())
        data["services"]["ledger"]["version"] = "1.0.1"                       # a new env file
        data["services"]["ledger"]["vm"]["health_url"] = "http://127.0.0.1:8081/broken"   # answers 500
        v2 = _build(yaml.safe_dump(data, sort_keys=False), scenario.workdir, "v2")
        health = v2 / "ansible" / "inventory" / "group_vars" / "otel_agents" / "zz-test.yml"
        health.write_text("---\notel_app_health_timeout: 5\n")   # an operator's own override: fail fast
        env_v1 = (scenario.v1 / "ansible" / "files" / "otel-env" / "ledger.env").read_text()
        assert (v2 / "ansible" / "files" / "otel-env" / "ledger.env").read_text() != env_v1
        before = dict(scenario.pids)
        run = scenario.play(v2)
        assert run.returncode != 0
        assert "was rolled back to its previous environment" in run.output, run.output[-6000:]
        canary, unreached = HOSTS
        assert run.failed(canary) == 1 and run.recap[canary]["rescued"] == 1
        assert scenario.estate.read(canary, ENV_FILE) == env_v1, "the previous env file was not put back"
        _wait_healthy(scenario, canary)
        pid = scenario.app_pid(canary)
        assert pid and pid != before[canary], "the JVM was not restarted with its previous environment"
        assert "service.version=1.0.0" in scenario.environ(canary)["OTEL_RESOURCE_ATTRIBUTES"]
        assert unreached not in run.recap, "the rollout went on past the failing canary"
        assert scenario.estate.read(unreached, ENV_FILE) == env_v1 and scenario.app_pid(unreached) == before[unreached]
