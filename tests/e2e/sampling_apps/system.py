"""The sampling-promise test's services and driver.

    edge (Node/Express, the edge) --HTTP--> orders (Python/FastAPI) --HTTP--> stock (Node/Express)

Each runs next to its generated tracing files with its generated otel.env and nothing else of
OpenTelemetry's (no sampler, exporter or batch setting of the test's own). The driver sends
`GET /checkout?id=..&mode=ok|slow|fail` to the edge at a fixed rate; `stock` fails or waits there,
so every service of an error or slow request records it. The edge answers with the trace id, so
each request can be looked up in Jaeger.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tests.e2e.crossapp import stack
from tests.e2e.crossapp.stack import Service
from tests.e2e.sdk_apps import support

HERE = Path(__file__).resolve().parent
HOST = "127.0.0.1"
NODE_SERVICES = ("edge", "stock")
SLOW_MS = 700                 # what stock waits on a slow request: beyond checkout's 500 ms latency policy


def node_modules(sdk: Path) -> Path:
    """One node_modules for edge and stock (their generated dependencies and the sample's), cached."""
    return stack.node_modules(sdk, NODE_SERVICES, own=HERE / "package.json", kind="sampling-node")


def python_venv(sdk: Path) -> Path:
    """A virtualenv with orders' generated requirements.txt and the sample's, cached; its interpreter."""
    return stack.python_venv(sdk, "orders", HERE / "requirements.txt", kind="sampling-python")


def services(sdk: Path, settings: Path, work: Path, ports: dict[str, int], modules: Path,
             python: Path) -> list[Service]:
    """The three services, not started, each in a copy of its generated folder (`sdk`, the same for every
    environment) with its environment's `settings/<service>/otel.env`."""
    work.mkdir(parents=True, exist_ok=True)
    logs = work / "logs"
    logs.mkdir(exist_ok=True)

    def folder(service: str, script: str) -> Path:
        target = work / service
        shutil.copytree(sdk / service, target)
        shutil.copy(HERE / script, target / script)
        if service in NODE_SERVICES:
            (target / "node_modules").symlink_to(modules, target_is_directory=True)
        return target

    def env(service: str, **extra: str) -> dict[str, str]:
        return support.clean_env(**{**support.otel_env(settings / service / "otel.env"), "PORT": str(ports[service]),
                                    **extra})

    url = {name: f"http://{HOST}:{port}" for name, port in ports.items()}
    return [
        Service("stock", "node", ["node", "--require", "./tracing.js", "edge.js"], folder("stock", "edge.js"),
                env("stock", ROLE="stock", SLOW_MS=str(SLOW_MS)), ports["stock"], logs / "stock.log"),
        Service("orders", "python", [str(python), "orders.py"], folder("orders", "orders.py"),
                env("orders", NEXT_URL=url["stock"], PYTHONUNBUFFERED="1"), ports["orders"], logs / "orders.log"),
        Service("edge", "node", ["node", "--require", "./tracing.js", "edge.js"], folder("edge", "edge.js"),
                env("edge", ROLE="edge", NEXT_URL=url["orders"]), ports["edge"], logs / "edge.log"),
    ]


@dataclass
class Request:
    index: int
    cls: str                        # ok | slow | fail
    status: int | None = None
    trace_id: str | None = None
    sampled: bool | None = None
    seconds: float | None = None
    error: str | None = None        # the edge's error message, if it answered one

    @property
    def id(self) -> str:
        return f"r{self.index}"


def _send(port: int, request: Request) -> None:
    url = f"http://{HOST}:{port}/checkout?id={request.id}&mode={request.cls}"
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - loopback only
            request.status, body = response.status, response.read()
    except urllib.error.HTTPError as error:
        request.status, body = error.code, error.read()
    except OSError:
        request.status, body = 0, b""
    request.seconds = time.monotonic() - started
    try:
        answer = json.loads(body)
    except ValueError:
        answer = {}
    request.trace_id = answer.get("trace_id")
    request.sampled = answer.get("sampled")
    request.error = answer.get("error")


def drive(port: int, requests: list[Request], per_second: float, workers: int = 48,
          deadline_s: float = 600.0) -> float:
    """Send every request at `per_second` (open loop: a slow answer does not delay the next
    request); returns the seconds from the first send to the last answer. Bounded by `deadline_s`."""
    started = time.monotonic()
    stop = threading.Event()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="driver") as pool:
        futures = []
        for offset, request in enumerate(requests):
            pause = started + offset / per_second - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            if time.monotonic() - started > deadline_s:
                stop.set()
                break
            futures.append(pool.submit(_send, port, request))
        for future in futures:
            future.result(timeout=max(1.0, deadline_s - (time.monotonic() - started)))
    if stop.is_set():
        raise TimeoutError(f"sent only {len(futures)} of {len(requests)} requests in {deadline_s}s")
    return time.monotonic() - started
