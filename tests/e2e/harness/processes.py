"""Collector processes for the end-to-end tests: start a real collector binary with generated
configs, wait until its health check answers, stop it (gracefully or not), read its logs and its
own metrics. Every wait is bounded; nothing talks to anything but 127.0.0.1."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

HOST = "127.0.0.1"


def free_ports(count: int) -> list[int]:
    """`count` distinct loopback ports the OS has free now (for tests that may run beside others)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def port_free(port: int) -> bool:
    """Whether a listener could bind the port now. SO_REUSEADDR as the collector's (Go's) listeners
    set it, so connections lingering in TIME_WAIT from an earlier run do not count as in use."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def wait_until(predicate, timeout_s: float, interval_s: float = 0.25) -> bool:
    """Poll `predicate` until it is true or `timeout_s` passes; returns its last value."""
    deadline = time.monotonic() + timeout_s
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval_s)


def _get(url: str, timeout_s: float = 2.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:  # noqa: S310 - loopback only
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, ""
    except (urllib.error.URLError, OSError):
        return 0, ""


METRIC_LINE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+([-+0-9.eEinfNa]+)")


class Collector:
    """One collector process: `binary --config A [--config B]`, logs appended to `log_file`."""

    def __init__(self, name: str, binary: Path, configs: list[Path], env: dict[str, str], log_file: Path,
                 health_port: int, metrics_port: int, flags: tuple[str, ...] = ()) -> None:
        self.name = name
        self.binary = binary
        self.configs = configs
        self.flags = flags            # besides --config (e.g. --feature-gates=...)
        self.env = env
        self.log_file = log_file
        self.health_port = health_port
        self.metrics_port = metrics_port
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def start(self, timeout_s: float = 60.0) -> None:
        if self.process is not None and self.process.poll() is None:
            return
        args = [str(self.binary), *self.flags]
        for config in self.configs:
            args += ["--config", str(config)]
        self.starts += 1
        with open(self.log_file, "ab") as log:
            log.write(f"\n===== start #{self.starts}: {' '.join(args[1:])}\n".encode())
            log.flush()
            self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=self.env,
                                            stdin=subprocess.DEVNULL, start_new_session=True)
        if not wait_until(lambda: self.healthy() or self.process.poll() is not None, timeout_s):
            raise RuntimeError(f"{self.name}: not healthy after {timeout_s}s\n{self.log_tail()}")
        if self.process.poll() is not None:
            raise RuntimeError(f"{self.name}: exited with {self.process.returncode}\n{self.log_tail()}")

    def healthy(self) -> bool:
        return _get(f"http://{HOST}:{self.health_port}/")[0] == 200

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, graceful: bool = True, timeout_s: float = 30.0) -> int | None:
        """SIGTERM (the collector shuts down its pipelines in order) or SIGKILL; returns the exit code."""
        process = self.process
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM if graceful else signal.SIGKILL)
            try:
                process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        return process.returncode

    def log_text(self) -> str:
        try:
            return self.log_file.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 40) -> str:
        tail = self.log_text().splitlines()[-lines:]
        return f"--- {self.name} log ({self.log_file.name}), last {len(tail)} lines ---\n" + "\n".join(tail)

    def metrics(self) -> dict[str, float]:
        """The collector's own Prometheus metrics, summed over labels, by metric name."""
        status, text = _get(f"http://{HOST}:{self.metrics_port}/metrics")
        values: dict[str, float] = {}
        if status != 200:
            return values
        for line in text.splitlines():
            match = METRIC_LINE.match(line)
            if match:
                try:
                    values[match.group(1)] = values.get(match.group(1), 0.0) + float(match.group(3))
                except ValueError:
                    continue
        return values

    def metric(self, prefix: str) -> float:
        """Sum of the metrics whose name starts with `prefix` (names gain suffixes like `_total`)."""
        return sum(v for k, v in self.metrics().items() if k.startswith(prefix))


def collector_env(state_dir: Path, secrets: dict[str, str]) -> dict[str, str]:
    """The environment a collector runs with: ours, the secrets it reads with ${env:NAME}, and where
    the generated configs put the persistent queue on the local platform."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "HONEYCOMB_"))}
    env.update(secrets)
    env["TRACEGEN_STATE_DIR"] = str(state_dir)
    return env
