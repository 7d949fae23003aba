"""What the Node and Python SDK end-to-end tests share.

- `build_sdk`: the sample blueprint built with the real CLI (`python -m tracegen build --only sdk`),
  its local platform's base port set to a free port, so its environment's `otel.env` (`otel_env`)
  sends the SDK's spans to 127.0.0.1:<that port>. The code is the same for every environment.
- `cached`: an install (node_modules, a virtualenv) made once per hash of what it installs, under
  ${TRACEGEN_CACHE:-~/.cache/tracegen}/sdk-e2e/, built beside its final place and renamed into it.
- `Stack`: a real collector (the test distribution) listening where the SDK exports, forwarding to
  the harness's loopback OTLP receiver, which the assertions read.
- `App`: the sample service as a process, its output captured, stopped with SIGTERM.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from tests.e2e.harness.processes import Collector, port_free, wait_until
from tests.e2e.harness.receiver import OtlpReceiver, Span
from tracegen import components
from tracegen.toolchain.collector import build_test_distribution, cache_dir
from tracegen.versions import COLLECTOR_VERSION

REPO = Path(__file__).resolve().parents[3]
HOST = "127.0.0.1"
KIND_SERVER, KIND_CLIENT, KIND_PRODUCER, KIND_CONSUMER = 2, 3, 4, 5
STATUS_ERROR = 2
# Below the kernel's ephemeral range (32768+), so no outgoing connection holds one; away from the
# fixed ports of the other end-to-end tests (243xx-285xx).
_PORT_RANGE = (29000, 31999)


def free_ports(count: int) -> list[int]:
    ports: list[int] = []
    while len(ports) < count:
        port = random.randint(*_PORT_RANGE)
        if port not in ports and port_free(port):
            ports.append(port)
    return ports


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without any OTEL_* variable (they would override the generated
    defaults), plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.update(extra)
    return env


def build_sdk(blueprint: Path, out: Path, base_port: int, edits: Callable[[dict], None] | None = None) -> Path:
    """Build the blueprint's SDK output with the real CLI; returns the one service's directory."""
    data = yaml.safe_load(blueprint.read_text(encoding="utf-8"))
    data["environments"]["e2e"]["platform"]["local"]["base_port"] = base_port
    if edits:
        edits(data)
    out.mkdir(parents=True, exist_ok=True)
    source = out / "blueprint.yaml"
    source.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    env = clean_env(PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    result = subprocess.run([sys.executable, "-m", "tracegen", "build", str(source), "-o", str(out / "build"),
                             "--only", "sdk"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    (service,) = data["services"]
    return out / "build" / "sdk" / service


def env_file(code: Path, environment: str = "e2e") -> Path:
    """The environment's generated otel.env of the service whose code is `code` (<out>/sdk/<service>)."""
    return code.parents[1] / environment / "sdk" / code.name / "otel.env"


def differing_files(code: Path, other: Path) -> list[str]:
    """Files that differ between two builds' code directories (present in one only, or other bytes)."""
    def files(root: Path) -> dict[str, bytes]:
        return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
    mine, theirs = files(code), files(other)
    return sorted(name for name in mine.keys() | theirs.keys() if mine.get(name) != theirs.get(name))


def otel_env(path: Path) -> dict[str, str]:
    """A generated otel.env read as systemd's EnvironmentFile= and `sh` read it: KEY=value lines, a
    double-quoted value with its backslash escapes undone (tracegen.encoding.env_file_value)."""
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = re.sub(r'\\(.)', r"\1", value[1:-1])
            values[key.strip()] = value
    return values


def digest(*parts: bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(hashlib.sha256(part).digest())
    return h.hexdigest()[:24]


def cached(kind: str, key: str, make: Callable[[Path], None]) -> Path:
    """`cache/sdk-e2e/<kind>/<key>`, made by `make(directory)` the first time. A failed or killed
    make leaves only a temporary directory, never something that looks finished."""
    final = cache_dir() / "sdk-e2e" / kind / key
    if final.is_dir():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=final.parent))
    try:
        make(work)
        try:
            work.rename(final)
        except OSError:            # another run finished first: use its copy
            if not final.is_dir():
                raise
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    return final


def run(args: list[str], cwd: Path, timeout: float = 600, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)
    assert result.returncode == 0, f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


class Stack:
    """SDK --OTLP/gRPC--> real collector (127.0.0.1:otlp_port) --OTLP/gRPC--> loopback receiver."""

    def __init__(self, workdir: Path, otlp_port: int) -> None:
        self.otlp_port = otlp_port
        self.receiver_port, self.health_port = free_ports(2)
        self.receiver = OtlpReceiver("sdk-backend", self.receiver_port)
        exporter = components.config_name("exporter/otlp_grpc", COLLECTOR_VERSION)
        config = {
            "receivers": {"otlp": {"protocols": {"grpc": {"endpoint": f"{HOST}:{otlp_port}"}}}},
            "exporters": {exporter: {"endpoint": f"{HOST}:{self.receiver_port}", "tls": {"insecure": True}}},
            "extensions": {"health_check": {"endpoint": f"{HOST}:{self.health_port}"}},
            "service": {
                "extensions": ["health_check"],
                "pipelines": {"traces": {"receivers": ["otlp"], "exporters": [exporter]}},
                "telemetry": {"metrics": {"level": "none"}},
            },
        }
        path = workdir / "collector.yaml"
        path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        self.collector = Collector("collector", build_test_distribution(COLLECTOR_VERSION), [path], clean_env(),
                                   workdir / "collector.log", self.health_port, metrics_port=0)

    def __enter__(self) -> "Stack":
        self.receiver.start()
        self.collector.start()
        return self

    def __exit__(self, *exc) -> None:
        self.collector.stop()
        self.receiver.stop()

    def spans(self, service: str | None = None) -> list[Span]:
        return [s for s in self.receiver.spans() if service is None or s.resource.get("service.name") == service]

    def wait_for(self, predicate: Callable[[list[Span]], bool], timeout_s: float = 20.0) -> list[Span]:
        wait_until(lambda: predicate(self.spans()), timeout_s)
        return self.spans()

    def span_events(self, span_id: str) -> list[tuple[str, dict]]:
        """(name, attributes) of the span's events, read from the raw requests."""
        from tests.e2e.harness.receiver import attributes

        for item in self.receiver.received():
            for rs in item.request.resource_spans:
                for ss in rs.scope_spans:
                    for span in ss.spans:
                        if span.span_id.hex() == span_id:
                            return [(e.name, attributes(e.attributes)) for e in span.events]
        return []


@dataclass
class Response:
    status: int
    body: str
    headers: dict[str, str]


def http_get(url: str, headers: dict[str, str] | None = None, timeout_s: float = 15.0) -> Response:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:  # noqa: S310 - loopback only
            return Response(response.status, response.read().decode("utf-8", "replace"), dict(response.headers))
    except urllib.error.HTTPError as error:
        return Response(error.code, error.read().decode("utf-8", "replace"), dict(error.headers))


class App:
    """The sample service as a process; stdout and stderr go to `log`."""

    def __init__(self, args: list[str], cwd: Path, env: dict[str, str], port: int, log: Path) -> None:
        self.args, self.cwd, self.env, self.port, self.log = args, cwd, env, port, log
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "App":
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(self.args, cwd=self.cwd, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)
        if not wait_until(lambda: not port_free(self.port) or self.process.poll() is not None, 30):
            raise RuntimeError(f"sample did not listen on {self.port}:\n{self.output()}")
        if self.process.poll() is not None:
            raise RuntimeError(f"sample exited with {self.process.returncode}:\n{self.output()}")
        return self

    def get(self, path: str, headers: dict[str, str] | None = None) -> Response:
        return http_get(f"http://{HOST}:{self.port}{path}", headers)

    def terminate(self, timeout_s: float = 20.0) -> int:
        """SIGTERM, as an orchestrator stops a service; returns how the process ended."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
                raise AssertionError(f"sample ignored SIGTERM for {timeout_s}s:\n{self.output()}") from None
        return self.process.returncode

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def output(self) -> str:
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""


def timed(label: str, timings: dict[str, float]):
    """Context manager recording how long a step took (printed by the tests' summaries)."""
    class _Timer:
        def __enter__(self):
            self.started = time.monotonic()

        def __exit__(self, *exc):
            timings[label] = time.monotonic() - self.started
    return _Timer()


def ancestors(span, by_id) -> set[str]:
    seen: set[str] = set()
    while span.parent_span_id and span.parent_span_id in by_id:
        seen.add(span.parent_span_id)
        span = by_id[span.parent_span_id]
    return seen


def check_order_trace(spans: list, mine: list, trace_id: str, body: dict, service: str):
    """What every language's sample `/order` must show: the blueprint's resource on every span, the
    HTTP hop (/order server -> client -> /stock server) in one trace, and producer -> consumer joined
    through the message headers only. Returns (consumer span, by_id)."""
    for span in spans:
        assert span.resource["service.name"] == service
        assert span.resource["service.version"] == "7.3.1"
        assert span.resource["deployment.environment.name"] == "e2e"
        assert span.resource["service.owner"] == "shop"
    by_id = {s.span_id: s for s in mine}
    order_server = next(s for s in mine if s.kind == KIND_SERVER and s.attributes.get("http.route") == "/order")
    stock_server = next(s for s in mine if s.kind == KIND_SERVER and s.attributes.get("http.route") == "/stock")
    client = by_id[stock_server.parent_span_id]
    assert client.kind == KIND_CLIENT
    assert order_server.span_id in ancestors(client, by_id)
    producer = next(s for s in mine if s.kind == KIND_PRODUCER)
    consumer = next(s for s in mine if s.kind == KIND_CONSUMER)
    assert consumer.parent_span_id == producer.span_id
    assert producer.attributes["messaging.system"] == "kafka"
    assert producer.attributes["messaging.destination.name"] == "orders"
    assert body["message_headers"]["traceparent"].split("-")[1:3] == [trace_id, producer.span_id]
    assert order_server.span_id in ancestors(producer, by_id)
    return consumer, by_id


def check_exemplar_and_error(metrics, spans: list, stack, trace_id: str) -> None:
    """The OpenMetrics exposition links a latency sample to the trace; the thrown exception marks
    the /fail server span ERROR and is recorded on it."""
    content_type = metrics.headers.get("content-type", metrics.headers.get("Content-Type", ""))
    assert content_type.startswith("application/openmetrics-text")
    assert f'trace_id="{trace_id}"' in metrics.body, metrics.body
    fail = next(s for s in spans if s.kind == KIND_SERVER and s.attributes.get("http.route") == "/fail")
    assert fail.status_code == STATUS_ERROR
    events = stack.span_events(fail.span_id)
    assert any(name == "exception" and attrs.get("exception.message") == "payment declined"
               for name, attrs in events), events
