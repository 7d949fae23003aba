"""What the Ansible e2e tests run in the estate's lab namespace, beside the controller: an HTTP server
for downloads (collector binaries, the Java agent) and the backend sink (sink.py). Both listen on
the lab's bridge address, inside a network namespace the test made, so their fixed ports never meet
another suite's."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from tests.e2e.ansible_harness.estate import LAB_ADDRESS, Estate

ROOT = Path(__file__).resolve().parents[3]
HTTP_PORT = 8080
SINK_PORT = 4317


def wait_listening(estate: Estate, port: int, proc: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"{what} exited"
        probe = subprocess.run(estate.in_lab(["bash", "-c", f"exec 3<>/dev/tcp/{LAB_ADDRESS}/{port}"]),
                               capture_output=True)
        if probe.returncode == 0:
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} did not listen on {LAB_ADDRESS}:{port}")


def start(estate: Estate, served: Path, workdir: Path) -> Path:
    """Serve `served` over HTTP and start the sink; returns the file the sink appends to. The
    processes live in the lab namespace: Estate.stop() ends them with it."""
    http = subprocess.Popen(estate.in_lab([sys.executable, "-m", "http.server", str(HTTP_PORT), "--bind",
                                           LAB_ADDRESS, "--directory", str(served)]),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sink_file = workdir / "sink.jsonl"
    with open(workdir / "sink.log", "w") as log:
        sink = subprocess.Popen(estate.in_lab([sys.executable, "-m", "tests.e2e.ansible_harness.sink",
                                               f"{LAB_ADDRESS}:{SINK_PORT}", str(sink_file)]),
                                cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                                stdout=subprocess.DEVNULL, stderr=log)
    wait_listening(estate, HTTP_PORT, http, "the HTTP server")
    wait_listening(estate, SINK_PORT, sink, "the OTLP sink")
    return sink_file
