"""The generated Ansible rollout, run for real against four hosts: one gateway and three application
hosts (tests/e2e/ansible_harness/vm-estate.yaml).

The test estate (tests/e2e/ansible_harness/estate.py): this machine has no systemd as PID 1 and no
network beyond loopback, so each host is a network + mount + UTS namespace running Debian's sshd.
Each host has its own address, loopback and ports, its own /etc, /opt, /var (overlays over this
machine's, so users, configs and binaries do not leak between hosts) and its own hostname.
ansible-playbook runs from a lab namespace holding the bridge, connects over real SSH with pinned
host keys and `become` through sudo, exactly as `ansible-playbook -i inventory site.yml`. Without
systemd the role runs with `otel_collector_service_manager: process` (start-stop-daemon with a
pidfile, privileges dropped with setpriv); it still renders the systemd unit and checks it with
`systemd-analyze verify`. The backend is an OTLP sink in the lab namespace.

The scenario runs in order; a phase that fails skips the ones after it:
1. first rollout, the binary downloaded over HTTP from the lab with its checksum verified;
2. traces from an SDK on each application host, configured only by the generated OTEL_* file,
   reach the sink through the host's agent and the gateway, with the vaulted credential;
3. a second run changes nothing;
   then `--check --diff` with a changed blueprint shows the change and makes none;
4. a rolling update in which one host's new config fails `otelcol validate`;
5. a rolling update in which one host's new config validates but cannot start, and is rolled back;
6. an upgrade to another collector build (the environment's own distribution, copied from the
   controller), which really replaces the running binary; then a run that changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from tests.e2e.ansible_harness import lab
from tests.e2e.ansible_harness.estate import LAB_ADDRESS, Estate, missing_tools
from tests.e2e.ansible_harness.pki import write_tls
from tests.e2e.ansible_harness.runner import Run, run_playbook

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
HARNESS = Path(__file__).resolve().parent / "ansible_harness"
BLUEPRINT = HARNESS / "vm-estate.yaml"
GATEWAY = "gw-1.e2e.test"
AGENTS = ["app-1.e2e.test", "app-2.e2e.test", "app-3.e2e.test"]
LAB_NAME = "lab.e2e.test"
HTTP_PORT = lab.HTTP_PORT
PIDFILE = "/run/otelcol/otelcol.pid"
CONFIG = "/etc/otelcol/config.yaml"
OLD_LABEL = "0.160.0-full"      # the toolchain's all-components test build of collector 0.160.0
NEW_LABEL = "0.160.0"           # the environment's own distribution, built from its builder manifest
SDK = """
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
provider = TracerProvider()   # service name, resource and sampler from the OTEL_* variables only
provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
tracer = provider.get_tracer("e2e")
with tracer.start_as_current_span("checkout", attributes={"user.email": "ada@example.com"}) as span:
    trace_id = format(span.get_span_context().trace_id, "032x")
    with tracer.start_as_current_span("charge"):
        pass
provider.shutdown()
print(trace_id)
"""


def _sha256(path: Path | str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _build(blueprint_text: str, workdir: Path, version: str) -> Path:
    """`tracegen build` as an operator runs it, from the blueprint's own folder, so every version of
    the blueprint names the same source in the generated files' headers."""
    folder = workdir / f"blueprint-{version}"
    folder.mkdir()
    (folder / BLUEPRINT.name).write_text(blueprint_text)
    out = workdir / f"out-{version}"
    result = subprocess.run([sys.executable, "-m", "tracegen", "build", BLUEPRINT.name, "-o", str(out)],
                            cwd=folder, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stdout + result.stderr
    return out / "e2e"


@dataclass
class Scenario:
    estate: Estate
    workdir: Path
    v1: Path                                   # tracegen output of the blueprint
    old_binary: Path
    new_binary: Path
    sink_file: Path
    secret: str
    pids: dict[str, int] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)
    v2: Path | None = None
    runs: int = 0

    def base_vars(self, binary: str = "url") -> dict:
        values = {
            "otel_collector_service_manager": "process",
            "otel_collector_tls_src_dir": str(self.workdir / "tls"),
            "vault_e2e_sink_token": self.secret,
            "otel_collector_health_timeout": 15,
            # The shop service here is an SDK run by the test, not a unit: test_ansible_jvm_rollout.py
            # covers restarting services.
            "tracegen_restart_apps": False,
        }
        if binary == "url":
            values |= {"otel_collector_version": OLD_LABEL,
                       "otel_collector_binary_url": f"http://{LAB_NAME}:{HTTP_PORT}/otelcol-{OLD_LABEL}",
                       "otel_collector_binary_checksum": f"sha256:{_sha256(self.old_binary)}",
                       "otel_collector_binary_src": ""}
        else:
            values |= {"otel_collector_version": NEW_LABEL, "otel_collector_binary_url": "",
                       "otel_collector_binary_checksum": "", "otel_collector_binary_src": str(self.new_binary)}
        return values

    def play(self, output: Path, binary: str = "url", *args: str, rolling: bool = False) -> Run:
        """One run of the playbook. Unless `rolling`, the agents go in one batch (the operator's
        `tracegen_agent_batches`) to keep the test short; rolling runs keep the generated batches."""
        self.runs += 1
        log = self.workdir / f"run-{self.runs}.log"
        extra = self.base_vars(binary) | ({} if rolling else {"tracegen_agent_batches": [len(AGENTS)]})
        return run_playbook(self.estate, output / "ansible", extra, log, *args)

    # -- what a host is running
    def pid(self, host: str) -> int | None:
        text = self.estate.read(host, PIDFILE)
        pid = int(text) if text and text.strip().isdigit() else None
        return pid if pid and Path(f"/proc/{pid}").exists() else None

    def exe_sha(self, host: str) -> str:
        pid = self.pid(host)
        assert pid, f"no collector running on {host}"
        return _sha256(f"/proc/{pid}/exe")

    def healthy(self, host: str) -> bool:
        result = self.estate.host_run(host, ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                                             "--max-time", "3", "http://127.0.0.1:13133/"], check=False)
        return result.stdout.strip() == "200"

    def config(self, host: str) -> str | None:
        return self.estate.read(host, CONFIG)

    def require(self) -> None:
        if self.failed:
            pytest.skip(f"an earlier phase failed: {self.failed[0]}")


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip("the namespace test estate needs root")
    missing = missing_tools() + [t for t in ("ansible-playbook",) if not shutil.which(t)]
    if missing:
        pytest.skip(f"missing {', '.join(missing)}: run tests/e2e/ansible_harness/install-deps.sh")
    from tracegen.toolchain.collector import build_distribution, build_test_distribution

    workdir = tmp_path_factory.mktemp("ansible-rollout")
    v1 = _build(BLUEPRINT.read_text(), workdir, "v1")
    old_binary = build_test_distribution("0.160.0")
    new_binary = build_distribution(v1 / "collector" / "otelcol-builder.yaml")
    assert _sha256(old_binary) != _sha256(new_binary)
    write_tls(workdir / "tls", [GATEWAY])
    served = workdir / "served"
    served.mkdir()
    os.link(old_binary, served / f"otelcol-{OLD_LABEL}") if os.stat(old_binary).st_dev == os.stat(served).st_dev \
        else shutil.copy2(old_binary, served / f"otelcol-{OLD_LABEL}")
    estate = Estate(workdir / "estate", [GATEWAY, *AGENTS], extra_names={LAB_NAME: LAB_ADDRESS})
    try:
        estate.start()
        sink_file = lab.start(estate, served, workdir)
        yield Scenario(estate, workdir, v1, old_binary, new_binary, sink_file, secrets.token_hex(16))
    finally:
        estate.stop()
        assert not estate.leftovers(), f"namespaces left behind: {estate.leftovers()}"


def _phase(scenario: Scenario, name: str):
    """Mark the scenario failed unless the phase's assertions all pass."""
    class _Guard:
        def __enter__(self):
            scenario.require()

        def __exit__(self, kind, value, tb):
            if kind is not None and not issubclass(kind, pytest.skip.Exception):
                scenario.failed.append(name)
            return False
    return _Guard()


def test_first_rollout_runs_a_hardened_collector_on_every_host(scenario):
    with _phase(scenario, "first rollout"):
        run = scenario.play(scenario.v1, "url", "-v", "--diff")
        assert run.returncode == 0, run.output[-6000:]
        assert scenario.secret not in run.output, "the credential leaked into Ansible's output"
        old_sha = _sha256(scenario.old_binary)
        for host, config in [(GATEWAY, "gateway.yaml")] + [(a, "agent-vm.yaml") for a in AGENTS]:
            assert run.failed(host) == 0 and run.changed(host) > 0
            pid = scenario.pid(host)
            assert pid, f"no collector running on {host}"
            scenario.pids[host] = pid
            assert scenario.exe_sha(host) == old_sha, "the downloaded binary is not the one served"
            assert scenario.healthy(host)
            assert scenario.config(host) == (scenario.v1 / "collector" / config).read_text()
            status = Path(f"/proc/{pid}/status").read_text()
            uid = next(line.split()[1] for line in status.splitlines() if line.startswith("Uid:"))
            passwd = scenario.estate.host_run(host, ["getent", "passwd", "otelcol"]).stdout
            assert passwd.split(":")[2] == uid, "the collector does not run as its own user"
            assert "NoNewPrivs:\t1" in status
            modes = scenario.estate.host_run(host, ["stat", "-c", "%a %U %G %n", "/etc/otelcol/otelcol.env",
                                                    "/etc/otelcol", "/var/lib/otelcol"]).stdout.splitlines()
            assert modes[0].startswith("600 root root"), modes
            assert modes[1].startswith("750 root otelcol") and modes[2].startswith("750 otelcol otelcol"), modes
            env_file = scenario.estate.read(host, "/etc/otelcol/otelcol.env")
            assert (f"E2E_SINK_TOKEN={scenario.secret}" in env_file) == (host == GATEWAY)
            unit = scenario.estate.host_run(host, ["systemd-analyze", "verify", "/etc/systemd/system/otelcol.service"],
                                            check=False)
            assert unit.returncode == 0, unit.stderr
        # The users and files the role made exist in the hosts only, not on this machine.
        assert subprocess.run(["getent", "passwd", "otelcol"], capture_output=True).returncode != 0
        assert not Path("/etc/otelcol/config.yaml").exists()


def test_traces_from_each_host_reach_the_backend_through_the_gateway(scenario):
    with _phase(scenario, "traces"):
        sent = {}
        for host in AGENTS:
            text = scenario.estate.read(host, "/etc/default/opentelemetry-shop")
            assert text, f"{host} has no OTEL_* environment for its service"
            drop_in = scenario.estate.read(host, "/etc/systemd/system/shop.service.d/10-opentelemetry.conf")
            assert drop_in == "[Service]\nEnvironmentFile=/etc/default/opentelemetry-shop\n"
            env = {"PATH": os.environ["PATH"]}
            env.update(line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))
            result = scenario.estate.host_run(host, [sys.executable, "-c", SDK], env=env, timeout=60)
            sent[result.stdout.strip()] = host
        deadline = time.monotonic() + 60
        got: dict[str, list] = {}
        while time.monotonic() < deadline and set(got) < set(sent):
            time.sleep(1)
            lines = scenario.sink_file.read_text().splitlines() if scenario.sink_file.exists() else []
            got = {}
            for record in map(json.loads, lines):
                for span in record["spans"]:
                    got.setdefault(span["trace_id"], []).append((span, record["metadata"]))
        assert set(sent) <= set(got), f"traces missing at the backend: {set(sent) - set(got)}"
        for trace_id, host in sent.items():
            spans = got[trace_id]
            assert {s["name"] for s, _ in spans} == {"checkout", "charge"}
            span, metadata = next((s, m) for s, m in spans if s["name"] == "checkout")
            assert span["resource"]["service.name"] == "shop"
            assert span["resource"]["deployment.environment.name"] == "e2e"
            assert span["resource"]["host.name"] == host, "the span did not pass through its own host's agent"
            assert span["attributes"]["user.email"] != "ada@example.com", "PII was not hashed on the agent"
            assert metadata.get("authorization") == f"Bearer {scenario.secret}"


def test_second_run_changes_nothing(scenario):
    with _phase(scenario, "second run"):
        run = scenario.play(scenario.v1, "url")
        assert run.returncode == 0, run.output[-6000:]
        assert {host: counts["changed"] for host, counts in run.recap.items()} == {h: 0 for h in [GATEWAY, *AGENTS]}
        assert {h: scenario.pid(h) for h in scenario.pids} == scenario.pids, "a collector was restarted"


def _v2(scenario: Scenario) -> Path:
    """The blueprint after a change every agent sees (more memory: a new memory_limiter)."""
    if scenario.v2 is None:
        data = yaml.safe_load(BLUEPRINT.read_text())
        data["topology"]["agent"]["resources"]["memory_mib"] = 320
        scenario.v2 = _build(yaml.safe_dump(data, sort_keys=False), scenario.workdir, "v2")
    return scenario.v2


def _override_config(output: Path, host: str, config: Path | None) -> None:
    """Point one host at another config through its host_vars, as an operator would."""
    path = output / "ansible" / "inventory" / "host_vars" / f"{host}.yml"
    data = yaml.safe_load(path.read_text())
    if config is None:
        data.pop("otel_collector_config_src", None)
    else:
        data["otel_collector_config_src"] = str(config)
    path.write_text("---\n" + yaml.safe_dump(data))


def test_check_mode_shows_the_change_and_makes_none(scenario):
    with _phase(scenario, "check mode"):
        v2 = _v2(scenario)
        run = scenario.play(v2, "url", "--check", "--diff", "--limit", "otel_agents")
        assert run.returncode == 0, run.output[-6000:]
        assert scenario.secret not in run.output
        assert all(run.changed(host) > 0 for host in AGENTS)
        assert "limit_mib: 256" in run.output, "the diff does not show the config change"
        agent_v1 = (scenario.v1 / "collector" / "agent-vm.yaml").read_text()
        for host in AGENTS:
            assert scenario.config(host) == agent_v1 and scenario.pid(host) == scenario.pids[host]


def test_a_config_that_fails_validation_stops_the_rollout(scenario):
    with _phase(scenario, "invalid config"):
        v2 = _v2(scenario)
        agent_v1 = (scenario.v1 / "collector" / "agent-vm.yaml").read_text()
        agent_v2 = (v2 / "collector" / "agent-vm.yaml").read_text()
        assert agent_v1 != agent_v2
        bad = yaml.safe_load(agent_v2)
        bad["processors"]["memory_limiter"]["limit_mebibytes"] = 300   # no such setting
        bad_file = scenario.workdir / "agent-invalid.yaml"
        bad_file.write_text(yaml.safe_dump(bad))
        _override_config(v2, AGENTS[1], bad_file)
        before = dict(scenario.pids)
        run = scenario.play(v2, "url", rolling=True)
        assert run.returncode != 0
        assert "rejected the new config" in run.output and "limit_mebibytes" in run.output
        # Batches: the gateway, then app-1 (the canary), then app-2, which fails; app-3 is never reached.
        assert run.failed(GATEWAY) == 0 and run.changed(GATEWAY) == 0
        first, bad_host, unreached = AGENTS
        assert run.failed(first) == 0 and run.changed(first) > 0
        assert scenario.config(first) == agent_v2 and scenario.healthy(first)
        assert scenario.pid(first) != before[first], "the updated host was not restarted"
        assert run.failed(bad_host) == 1
        assert scenario.config(bad_host) == agent_v1, "the failing host lost its running config"
        assert scenario.pid(bad_host) == before[bad_host] and scenario.healthy(bad_host)
        assert unreached not in run.recap, "the rollout went on past max_fail_percentage"
        assert scenario.config(unreached) == agent_v1 and scenario.pid(unreached) == before[unreached]
        scenario.pids[first] = scenario.pid(first)


def test_a_config_that_cannot_start_is_rolled_back(scenario):
    with _phase(scenario, "rollback"):
        v2 = _v2(scenario)
        agent_v1 = (scenario.v1 / "collector" / "agent-vm.yaml").read_text()
        unstartable = yaml.safe_load((v2 / "collector" / "agent-vm.yaml").read_text())
        # Valid for `otelcol validate`, but the collector's user cannot create this directory at start-up.
        storage = next(name for name in unstartable["extensions"] if name.startswith("file_storage"))
        unstartable["extensions"][storage]["directory"] = "/etc/otelcol/queue-here-is-not-writable"
        unstartable["extensions"][storage]["compaction"]["directory"] = "/etc/otelcol/queue-here-is-not-writable"
        bad_file = scenario.workdir / "agent-unstartable.yaml"
        bad_file.write_text(yaml.safe_dump(unstartable))
        _override_config(v2, AGENTS[1], bad_file)
        before = dict(scenario.pids)
        old_sha = scenario.exe_sha(AGENTS[1])
        # The gateways' part of a rolling run was shown above: this one rolls the agents only.
        run = scenario.play(v2, "url", "--limit", "otel_agents", rolling=True)
        assert run.returncode != 0
        assert "rolled back to its previous release and configs" in run.output
        first, bad_host, unreached = AGENTS
        assert run.changed(first) == 0 and run.failed(first) == 0
        assert run.failed(bad_host) == 1 and run.recap[bad_host]["rescued"] == 1
        assert scenario.config(bad_host) == agent_v1, "the previous config was not restored"
        assert scenario.healthy(bad_host) and scenario.exe_sha(bad_host) == old_sha
        assert scenario.pid(bad_host) != before[bad_host]
        assert unreached not in run.recap
        assert scenario.config(unreached) == agent_v1 and scenario.pid(unreached) == before[unreached]
        scenario.pids[bad_host] = scenario.pid(bad_host)
        _override_config(v2, AGENTS[1], None)


def test_an_upgrade_replaces_the_binary(scenario):
    with _phase(scenario, "upgrade"):
        v2 = _v2(scenario)
        new_sha, old_sha = _sha256(scenario.new_binary), _sha256(scenario.old_binary)
        before = dict(scenario.pids)
        run = scenario.play(v2, "local")
        assert run.returncode == 0, run.output[-6000:]
        for host in [GATEWAY, *AGENTS]:
            assert run.changed(host) > 0
            assert scenario.exe_sha(host) == new_sha, f"{host} still runs the old binary"
            assert scenario.pid(host) != before[host]
            assert scenario.healthy(host)
            links = scenario.estate.host_run(host, ["readlink", "/opt/otelcol/current", "/opt/otelcol/previous"]).stdout
            current, previous = links.split()
            assert current == f"/opt/otelcol/releases/{NEW_LABEL}-{new_sha[:12]}"
            assert previous == f"/opt/otelcol/releases/{OLD_LABEL}-{old_sha[:12]}"
            version = scenario.estate.host_run(host, ["/opt/otelcol/current/otelcol", "--version"]).stdout
            assert "otelcol-vm-e2e-e2e" in version
            scenario.pids[host] = scenario.pid(host)
        for host in AGENTS:
            assert scenario.config(host) == (v2 / "collector" / "agent-vm.yaml").read_text()
        # Copying a binary from the controller is idempotent too (the agents suffice to show it).
        again = scenario.play(v2, "local", "--limit", "otel_agents")
        assert again.returncode == 0, again.output[-6000:]
        assert {host: counts["changed"] for host, counts in again.recap.items()} == {h: 0 for h in AGENTS}
