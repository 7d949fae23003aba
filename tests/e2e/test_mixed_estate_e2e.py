"""A mixed estate delivers over mutual TLS with the generated files only (tests/e2e/mixed_estate.yaml).

`shop` runs on a VM host, `api` on Kubernetes, and the gateway tier on Kubernetes, exposed to the
VMs by a LoadBalancer named gw.e2e.test. On the namespace-and-sshd test estate
(tests/e2e/ansible_harness/estate.py; every host its own network namespace, so the collectors'
fixed ports never meet another suite's):

- gw.e2e.test stands in for the load balancer in front of a gateway pod: it runs the generated
  `collector/gateway.yaml` (the ConfigMap's bytes) with its certificate where the pod would mount
  cert-manager's Secret (/etc/otelcol/certs: tls.crt, tls.key, ca.crt); the headless Service's name,
  over which the gateways pass VM traffic on by trace ID, resolves to it as to a one-pod tier;
- app-1.e2e.test is the VM: the generated Ansible rollout installs its agent
  (`collector/agent-vm.yaml`, the certificate files the blueprint names) and the service's env file;
  an SDK configured only by that file sends a trace, which must reach the backend sink through the
  agent on 127.0.0.1 and the gateway's mutual-TLS receiver;
- app-2.e2e.test runs the same agent config without its client certificate: the gateway refuses it
  and its spans never arrive.

Certificates come from a throwaway CA made at test time (tests/e2e/ansible_harness/pki.py).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.e2e.ansible_harness.estate import LAB_ADDRESS, SUBNET, Estate, missing_tools
from tests.e2e.ansible_harness.pki import Authority, write_tls
from tests.e2e.ansible_harness.runner import run_playbook

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
BLUEPRINT = Path(__file__).resolve().parent / "mixed_estate.yaml"
GATEWAY = "gw.e2e.test"
APP = "app-1.e2e.test"
UNCERTIFIED = "app-2.e2e.test"
LAB_NAME = "lab.e2e.test"
# The gateways' headless Service in the cluster's DNS: here the one gateway host (the estate gives its
# first host SUBNET.11).
HEADLESS = "otel-gateway-headless.observability.svc.cluster.local"
SINK_PORT = 4317
CERTS = "/etc/otelcol/certs"          # plan/transport.CERT_DIRECTORY, where the pod mounts the Secret
SDK = """
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
provider = TracerProvider()   # service name, resource and endpoint from the OTEL_* variables only
provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
tracer = provider.get_tracer("e2e")
with tracer.start_as_current_span("checkout") as span:
    trace_id = format(span.get_span_context().trace_id, "032x")
    with tracer.start_as_current_span("charge"):
        pass
provider.shutdown()
print(trace_id)
"""


def _wait(probe, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if probe():
            return
        time.sleep(0.5)
    raise AssertionError(f"{what} within {timeout:.0f}s")


def _healthy(estate: Estate, host: str) -> bool:
    result = estate.host_run(host, ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "2",
                                    "http://127.0.0.1:13133/"], check=False)
    return result.stdout.strip() == "200"


def _install(estate: Estate, host: str, source: Path, dest: str, mode: str = "0644") -> None:
    estate.host_run(host, ["install", "-D", "-m", mode, str(source), dest])


def _received(sink_file: Path) -> dict[str, list[dict]]:
    spans: dict[str, list[dict]] = {}
    for line in (sink_file.read_text().splitlines() if sink_file.exists() else []):
        for span in json.loads(line)["spans"]:
            spans.setdefault(span["trace_id"], []).append(span)
    return spans


def _send_trace(estate: Estate, host: str, env_file: str) -> str:
    env = {"PATH": os.environ["PATH"]}
    env.update(line.split("=", 1) for line in env_file.splitlines() if line and not line.startswith("#"))
    result = estate.host_run(host, [sys.executable, "-c", SDK], env=env, timeout=60)
    return result.stdout.strip()


@pytest.fixture(scope="module")
def estate_run(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip("the namespace test estate needs root")
    missing = missing_tools() + [t for t in ("ansible-playbook", "curl") if not shutil.which(t)]
    if missing:
        pytest.skip(f"missing {', '.join(missing)}: run tests/e2e/ansible_harness/install-deps.sh")
    from tracegen.toolchain.collector import build_test_distribution

    workdir = tmp_path_factory.mktemp("mixed-estate")
    (workdir / "blueprint").mkdir()
    shutil.copy(BLUEPRINT, workdir / "blueprint" / BLUEPRINT.name)
    built = subprocess.run([sys.executable, "-m", "tracegen", "build", BLUEPRINT.name, "-o", str(workdir / "out")],
                           cwd=workdir / "blueprint", capture_output=True, text=True, timeout=120,
                           env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert built.returncode == 0, built.stdout + built.stderr
    out = workdir / "out" / "e2e"
    binary = build_test_distribution("0.160.0")
    authority = Authority.create()
    # The gateway's certificate as cert-manager's Secret holds it (the Certificate's dnsNames include
    # the exposure's address), the VM host's as the blueprint's topology.tls.vm files.
    authority.issue(workdir / "gateway-secret", [GATEWAY, "otel-gateway.observability.svc"], "tls.crt", "tls.key",
                    "ca.crt")
    write_tls(workdir / "tls", [APP], authority)
    estate = Estate(workdir / "estate", [GATEWAY, APP, UNCERTIFIED],
                    extra_names={LAB_NAME: LAB_ADDRESS, HEADLESS: f"{SUBNET}.11"})
    processes: list[subprocess.Popen] = []
    try:
        estate.start()
        sink_file = workdir / "sink.jsonl"
        processes.append(subprocess.Popen(
            estate.in_lab([sys.executable, "-m", "tests.e2e.ansible_harness.sink", f"{LAB_ADDRESS}:{SINK_PORT}",
                           str(sink_file)]),
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL,
            stderr=open(workdir / "sink.log", "w")))
        for name in ("tls.crt", "ca.crt"):
            _install(estate, GATEWAY, workdir / "gateway-secret" / name, f"{CERTS}/{name}")
        _install(estate, GATEWAY, workdir / "gateway-secret" / "tls.key", f"{CERTS}/tls.key", "0600")
        gateway_log = workdir / "gateway.log"
        processes.append(subprocess.Popen(
            estate.on_host(GATEWAY, [str(binary), f"--config={out / 'collector' / 'gateway.yaml'}"]),
            stdout=open(gateway_log, "w"), stderr=subprocess.STDOUT, start_new_session=True))
        _wait(lambda: _healthy(estate, GATEWAY), f"the gateway did not report healthy ({gateway_log})")
        yield estate, workdir, out, binary, sink_file, processes
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        estate.stop()
        assert not estate.leftovers(), f"namespaces left behind: {estate.leftovers()}"


def test_the_generated_files_wire_the_vm_service_to_its_local_agent_and_the_exposed_gateway(estate_run):
    _, _, out, _, _, _ = estate_run
    env_file = (out / "ansible" / "files" / "otel-env" / "shop.env").read_text()
    assert "OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4317" in env_file
    assert not (out / "kubernetes" / "apps" / "shop").exists(), "a VM service got a Kubernetes Component"
    assert (out / "kubernetes" / "apps" / "api").is_dir()
    agent = yaml.safe_load((out / "collector" / "agent-vm.yaml").read_text())
    assert agent["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"] == "127.0.0.1:4317"
    balancer = agent["exporters"]["load_balancing"]
    assert balancer["resolver"] == {"static": {"hostnames": [f"{GATEWAY}:4319"]}}
    assert balancer["protocol"]["otlp"]["tls"]["insecure"] is False
    gateway = yaml.safe_load((out / "collector" / "gateway.yaml").read_text())
    assert gateway["receivers"]["otlp/external"]["protocols"]["grpc"]["tls"]["client_ca_file"] == f"{CERTS}/ca.crt"
    assert gateway["exporters"]["load_balancing"]["resolver"]["dns"]["hostname"] == HEADLESS


def test_spans_from_a_vm_app_reach_the_backend_through_the_mutual_tls_gateway(estate_run):
    estate, workdir, out, binary, sink_file, _ = estate_run
    extra = {"otel_collector_service_manager": "process", "otel_collector_version": "0.160.0-full",
             "otel_collector_binary_src": str(binary), "otel_collector_binary_url": "",
             "otel_collector_binary_checksum": "", "otel_collector_tls_src_dir": str(workdir / "tls"),
             "otel_collector_health_timeout": 15, "tracegen_restart_apps": False}
    run = run_playbook(estate, out / "ansible", extra, workdir / "rollout.log")
    assert run.returncode == 0, run.output[-6000:]
    assert run.failed(APP) == 0
    env_file = estate.read(APP, "/etc/default/opentelemetry-shop")
    assert env_file == (out / "ansible" / "files" / "otel-env" / "shop.env").read_text()
    listening = estate.host_run(APP, ["ss", "-Hltn"], check=False).stdout
    assert "127.0.0.1:4317" in listening and "0.0.0.0:4317" not in listening, listening
    trace_id = _send_trace(estate, APP, env_file)
    _wait(lambda: trace_id in _received(sink_file), "the VM app's trace did not reach the backend")
    spans = _received(sink_file)[trace_id]
    _wait(lambda: len(_received(sink_file)[trace_id]) == 2, "both spans of the trace did not arrive", 20)
    spans = _received(sink_file)[trace_id]
    assert {s["name"] for s in spans} == {"checkout", "charge"}
    assert all(s["resource"]["service.name"] == "shop" for s in spans)
    assert all(s["resource"]["deployment.environment.name"] == "e2e" for s in spans)
    # They came in on the external receiver and were passed on by trace ID (the gateway's own
    # load balancer counted them) before the tail sampler kept them.
    metrics = estate.host_run(GATEWAY, ["curl", "-s", "--max-time", "3", "http://127.0.0.1:8888/metrics"]).stdout
    sent = [line for line in metrics.splitlines()
            if line.startswith("otelcol_exporter_sent_spans") and 'exporter="load_balancing"' in line]
    assert sent and float(sent[0].rsplit(" ", 1)[1]) >= 2, sent


def test_an_agent_without_a_client_certificate_is_refused(estate_run):
    estate, workdir, out, binary, sink_file, processes = estate_run
    config = yaml.safe_load((out / "collector" / "agent-vm.yaml").read_text())
    tls = config["exporters"]["load_balancing"]["protocol"]["otlp"]["tls"]
    tls.pop("cert_file")
    tls.pop("key_file")            # it still trusts the CA and verifies the gateway: only its own identity is gone
    uncertified = workdir / "agent-without-certificate.yaml"
    uncertified.write_text(yaml.safe_dump(config))
    _install(estate, UNCERTIFIED, workdir / "tls" / "ca.crt", tls["ca_file"])
    log = workdir / "uncertified-agent.log"
    processes.append(subprocess.Popen(estate.on_host(UNCERTIFIED, [str(binary), f"--config={uncertified}"]),
                                      stdout=open(log, "w"), stderr=subprocess.STDOUT, start_new_session=True))
    _wait(lambda: _healthy(estate, UNCERTIFIED), f"the uncertified agent did not start ({log})")
    env_file = (out / "ansible" / "files" / "otel-env" / "shop.env").read_text()
    trace_id = _send_trace(estate, UNCERTIFIED, env_file)
    _wait(lambda: "certificate required" in log.read_text() or "bad certificate" in log.read_text(),
          f"the agent's log shows no refused handshake ({log})", 45)
    assert trace_id not in _received(sink_file), "the gateway accepted spans from an agent without a certificate"
