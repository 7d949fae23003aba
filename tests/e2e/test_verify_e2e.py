"""`tracegen verify` on real spans: three services with the OpenTelemetry Python SDK call each other
over loopback HTTP with W3C trace context (tests/e2e/verify_apps/services.py), export over OTLP/gRPC
to a real collector (the pinned test distribution), whose file exporter writes OTLP JSON and whose
span_metrics connector counts the calls before any sampling. verify passes on the healthy run and
fails naming the hop `edge -> orders` when the edge stops injecting the context.

The broken run is also read back from a real Jaeger (v2 all-in-one from tracegen.toolchain.jaeger,
in-memory) through its query API, as `tracegen verify --jaeger` reads a live system.
Ports are ephemeral (asked of the OS), so this runs beside the other e2e suites.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.e2e.harness.jaeger import Jaeger
from tests.e2e.harness.processes import Collector, wait_until
from tracegen.plan.collector_common import Components
from tracegen.toolchain.collector import build_test_distribution
from tracegen.toolchain import jaeger as jaeger_toolchain
from tracegen.verify.span_metrics import CALLS
from tracegen.verify.spans import read_jaeger, read_otlp_file
from tracegen.versions import COLLECTOR_VERSION

pytestmark = pytest.mark.e2e
HERE = Path(__file__).resolve().parent
BLUEPRINT = HERE / "blueprints" / "verify.yaml"
SERVICES = HERE / "verify_apps" / "services.py"
REQUESTS = 40
SPANS_PER_REQUEST = 5          # edge server+client, orders server+client, inventory server


def _free_ports(count: int) -> list[int]:
    sockets = []
    for _ in range(count):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sockets.append(sock)
    ports = [s.getsockname()[1] for s in sockets]
    for sock in sockets:
        sock.close()
    return ports


@pytest.fixture(scope="module")
def binary() -> Path:
    return build_test_distribution()


def _config(spans_file: Path, otlp: int, health: int, metrics: int, derived: int,
            jaeger_otlp: int | None = None) -> dict:
    c = Components(COLLECTOR_VERSION)
    span_metrics = c.name("connector/span_metrics")
    exporters = [c.name("exporter/file"), span_metrics]
    extra = {}
    if jaeger_otlp is not None:
        jaeger = c.name("exporter/otlp_grpc", "jaeger")
        extra[jaeger] = {"endpoint": f"127.0.0.1:{jaeger_otlp}", "tls": {"insecure": True}}
        exporters.append(jaeger)
    return {
        "receivers": {"otlp": {"protocols": {"grpc": {"endpoint": f"127.0.0.1:{otlp}"}}}},
        # The test's own collector, not a generated one: flushing every second (the default is a minute)
        # only shortens the wait below for counts that are cumulative anyway.
        "connectors": {span_metrics: {"metrics_flush_interval": "1s"}},
        "exporters": {
            c.name("exporter/file"): {"path": str(spans_file), "flush_interval": "100ms"},
            c.name("exporter/prometheus"): {"endpoint": f"127.0.0.1:{derived}"},
            **extra,
        },
        "extensions": {c.name("extension/health_check"): {"endpoint": f"127.0.0.1:{health}"}},
        "service": {
            "extensions": [c.name("extension/health_check")],
            "telemetry": {"metrics": {"readers": [
                {"pull": {"exporter": {"prometheus": {"host": "127.0.0.1", "port": metrics}}}}]}},
            "pipelines": {
                "traces": {"receivers": ["otlp"], "exporters": exporters},
                "metrics": {"receivers": [span_metrics], "exporters": [c.name("exporter/prometheus")]},
            },
        },
    }


def _run(binary: Path, work: Path, broken: str | None,
         jaeger: Jaeger | None = None) -> tuple[subprocess.CompletedProcess, dict]:
    work.mkdir(parents=True, exist_ok=True)
    otlp, health, metrics, derived = _free_ports(4)
    spans_file = work / "spans.jsonl"
    config = work / "collector.yaml"
    config.write_text(yaml.safe_dump(_config(spans_file, otlp, health, metrics, derived,
                                             jaeger.ports.otlp_grpc if jaeger else None)))
    collector = Collector("collector", binary, [config], dict(os.environ), work / "collector.log", health, metrics)
    collector.start()
    try:
        args = [sys.executable, str(SERVICES), "--otlp", f"127.0.0.1:{otlp}", "--requests", str(REQUESTS)]
        if broken:
            args += ["--break", broken]
        apps = subprocess.run(args, capture_output=True, text=True, timeout=180)
        assert apps.returncode == 0, apps.stderr
        expected = REQUESTS * SPANS_PER_REQUEST
        assert wait_until(lambda: _spans_written(spans_file) >= expected, 60), collector.log_tail()
        span_metrics_url = f"http://127.0.0.1:{derived}/metrics"
        # The span metrics are flushed on the connector's interval: wait until a flush has counted every
        # span sent, the errors among them.
        assert wait_until(lambda: _calls_counted(_get(span_metrics_url)) >= expected, 90), collector.log_tail()
        source = ["--otlp-file", str(spans_file)]
        if jaeger:
            query = f"http://127.0.0.1:{jaeger.ports.query_http}"
            assert wait_until(lambda: len(_jaeger_spans(query)) >= expected, 60), jaeger.log_tail()
            source = ["--jaeger", query, "--lookback", "1h"]
        verify = subprocess.run(["tracegen", "verify", str(BLUEPRINT), *source,
                                 "--span-metrics", span_metrics_url, "--format", "json"],
                                capture_output=True, text=True, timeout=120)
    finally:
        collector.stop()
    return verify, (json.loads(verify.stdout) if verify.stdout.strip().startswith("{") else {})


def _calls_counted(metrics: bytes) -> float:
    """Spans the span metrics counted, over every series, as tracegen verify counts calls."""
    return sum(float(line.rsplit(None, 1)[1]) for line in metrics.decode().splitlines()
               if line.startswith(CALLS + "{") or line.startswith(CALLS + " "))


def _jaeger_spans(query: str) -> list:
    try:
        return read_jaeger(query, ["edge", "orders", "inventory"], "1h", 1000)
    except Exception:   # noqa: BLE001 - not answering yet
        return []


def _spans_written(path: Path) -> int:
    try:
        return len(read_otlp_file(str(path)))
    except Exception:   # noqa: BLE001 - a line half written: not yet
        return 0


def _get(url: str) -> bytes:
    import urllib.request
    try:
        with urllib.request.urlopen(url, timeout=5) as response:   # noqa: S310 - loopback
            return response.read()
    except OSError:
        return b""


def test_verify_passes_on_the_healthy_run(binary, tmp_path):
    run, report = _run(binary, tmp_path / "healthy", None)
    assert run.returncode == 0, run.stdout + run.stderr
    assert report["traces"] == REQUESTS and report["spans"] == REQUESTS * SPANS_PER_REQUEST
    checks = {(c["check"], c["subject"]): c for c in report["checks"]}
    assert checks[("propagation", "edge -> orders")]["value"] == 1.0
    assert checks[("propagation", "orders -> inventory")]["value"] == 1.0
    assert checks[("coverage", "all traces")]["value"] == 1.0
    # Every error the span metrics counted before sampling reached the file (4 failing requests).
    assert checks[("error-capture", "inventory")]["value"] == 1.0, report


def test_verify_fails_naming_the_hop_whose_propagation_is_disabled(binary, tmp_path):
    run, report = _run(binary, tmp_path / "broken", "edge")
    assert run.returncode == 1, run.stdout + run.stderr
    failing = {(c["check"], c["subject"]) for c in report["checks"] if not c["passed"]}
    assert ("propagation", "edge -> orders") in failing
    assert ("unparented", "edge -> orders") in failing
    assert not any("orders -> inventory" in subject for _, subject in failing)
    text = subprocess.run(["tracegen", "verify", str(BLUEPRINT), "--otlp-file",
                           str(tmp_path / "broken" / "spans.jsonl")], capture_output=True, text=True)
    assert text.returncode == 1 and "FAIL propagation   edge -> orders: 0 %" in text.stdout


def test_verify_reads_a_real_jaeger_and_names_the_broken_hop(binary, tmp_path):
    ports = jaeger_toolchain.JaegerPorts(*_free_ports(5))
    jaeger = Jaeger(jaeger_toolchain.ensure_jaeger(), ports, tmp_path / "jaeger")
    jaeger.start()
    try:
        run, report = _run(binary, tmp_path / "jaeger-broken", "edge", jaeger)
    finally:
        jaeger.stop()
    assert run.returncode == 1, run.stdout + run.stderr
    assert report["spans"] == REQUESTS * SPANS_PER_REQUEST
    failing = {(c["check"], c["subject"]) for c in report["checks"] if not c["passed"]}
    assert ("propagation", "edge -> orders") in failing
    hops = {c["subject"]: c for c in report["checks"] if c["check"] == "propagation"}
    assert hops["orders -> inventory"]["passed"] and hops["orders -> inventory"]["value"] == 1.0
