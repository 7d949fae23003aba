"""The overhead benchmark's machinery (scripts/bench_overhead.py prints what this measures).

- `generate`: the blueprint next to this file built with tracegen's own stages (sdk target only).
- `prepare_*`: each language's app next to its generated files, dependencies installed once per
  content under ${TRACEGEN_CACHE:-~/.cache/tracegen}/bench-overhead/<language>-<digest>/.
- `Agent`: a real collector (the cached test distribution) where the generated otel.env points.
- `drive`: an open-loop HTTP/1.1 client (asyncio, keep-alive connections) at a fixed rate.
- `cpu_seconds`: utime + stime of a process from /proc/<pid>/stat.

Ports are fixed (the blueprint's local base_port 27470: agent OTLP gRPC 27470, HTTP 27471, health
27472; apps 27490-27493, plus 10 per variant), so the generated files and the cached builds are the
same on every run.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

from tracegen import components  # noqa: E402
from tracegen.blueprint.loader import load_text  # noqa: E402
from tracegen.plan.builder import build_plan  # noqa: E402
from tracegen.targets import sdk  # noqa: E402
from tracegen.toolchain.collector import build_test_distribution, cache_dir  # noqa: E402
from tracegen.versions import COLLECTOR_VERSION  # noqa: E402

HOST = "127.0.0.1"
BLUEPRINT = HERE / "blueprint.yaml"
ENVIRONMENT = "bench"
AGENT_PORTS = {"grpc": 27470, "http": 27471, "health": 27472}
APP_PORTS = {"node": 27490, "python": 27491, "java": 27492, "go": 27493}   # + 10 per variant
SLICE_S = 4.0   # one turn of load for one variant
FLASK = "flask==3.1.3"
# What each variant sets on top of the generated otel.env (the standard variables every bootstrap reads).
SAMPLERS = {
    "always_on": {"OTEL_TRACES_SAMPLER": "parentbased_always_on", "OTEL_TRACES_SAMPLER_ARG": "1"},
    "ratio_0.1": {"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.1"},
}
Progress = Callable[[str], None]


def port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex((HOST, port)) != 0


def wait_until(predicate: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def run(args: list[str], cwd: Path, timeout: float = 900, env: dict[str, str] | None = None) -> None:
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({result.returncode}):\n"
                           f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.update(extra)
    return env


def generate(out: Path) -> dict[str, Path]:
    """The generated SDK directory of each service, by language."""
    plan = build_plan(load_text(BLUEPRINT.read_text(encoding="utf-8"), "scripts/bench_overhead/blueprint.yaml"))
    dirs: dict[str, Path] = {}
    for artifact in sdk.build(plan):
        path = out / artifact.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(artifact.content, encoding="utf-8")
        if artifact.executable:
            path.chmod(0o755)
        if artifact.language:
            dirs[artifact.language] = out / ENVIRONMENT / "sdk" / artifact.service
    return dirs


def otel_env(directory: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in (directory / "otel.env").read_text().splitlines()
             if line and not line.startswith("#"))
    return dict(pairs)


def _digest(*folders: Path) -> str:
    h = hashlib.sha256()
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:20]


def cached(name: str, key: str, make: Callable[[Path], None]) -> Path:
    final = cache_dir() / "bench-overhead" / f"{name}-{key}"
    if (final / "READY").is_file():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=final.parent))
    try:
        make(work)
        (work / "READY").write_text("ok\n")
        shutil.rmtree(final, ignore_errors=True)
        os.replace(work, final)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return final


@dataclass(frozen=True)
class Launch:
    """How to start one variant of an app."""

    args: list[str]
    cwd: Path
    env: dict[str, str]


def prepare_node(generated: Path) -> dict[str, Launch]:
    def make(work: Path) -> None:
        shutil.copytree(generated, work, dirs_exist_ok=True)
        shutil.copy(HERE / "node" / "app.js", work / "app.js")
        run(["npm", "install", "--omit=dev", "--no-audit", "--no-fund", "--loglevel=error"], work)

    home = cached("node", _digest(generated, HERE / "node"), make)
    plain = ["node", "app.js"]
    return {"off": Launch(plain, home, {}), "on": Launch(["node", "--require", "./tracing.js", "app.js"], home, {})}


def prepare_python(generated: Path) -> dict[str, Launch]:
    def make(work: Path) -> None:
        shutil.copytree(generated, work, dirs_exist_ok=True)
        shutil.copy(HERE / "python" / "app.py", work / "app.py")
        run([sys.executable, "-m", "venv", str(work / "venv")], work)
        run([str(work / "venv" / "bin" / "pip"), "install", "-q", "-r", "requirements.txt", FLASK], work)

    home = cached("python", _digest(generated, HERE / "python"), make)
    python = str(home / "venv" / "bin" / "python")
    return {"off": Launch([python, "app.py"], home, {}), "on": Launch([python, "app.py"], home, {"BENCH_TRACING": "1"})}


def prepare_go(generated: Path) -> dict[str, Launch]:
    def make(work: Path) -> None:
        shutil.copytree(generated, work / "tracing")
        shutil.copytree(HERE / "go", work / "app")
        env = clean_env(GOTOOLCHAIN="local", GOFLAGS="-mod=mod", CGO_ENABLED="0")
        run(["go", "mod", "tidy"], work / "tracing", env=env)
        run(["go", "mod", "tidy"], work / "app", env=env)
        run(["go", "build", "-o", str(work / "bench"), "."], work / "app", env=env)

    home = cached("go", _digest(generated, HERE / "go"), make)
    binary = [str(home / "bench")]
    return {"off": Launch(binary, home, {}), "on": Launch(binary, home, {"BENCH_TRACING": "1"})}


def prepare_java(generated: Path) -> dict[str, Launch]:
    def make(work: Path) -> None:
        shutil.copytree(generated, work, dirs_exist_ok=True)
        run(["mvn", "-B", "-q", "-Dstyle.color=never", "package"], work, timeout=1500)
        (work / "bench-classes").mkdir()
        run(["javac", "-d", str(work / "bench-classes"), str(HERE / "java" / "BenchApp.java")], work)

    home = cached("java", _digest(generated, HERE / "java"), make)
    # TCP_NODELAY: the JDK server writes headers and body separately, and Nagle's algorithm against
    # the client's delayed ACK would add ~40 ms to every response, in every variant alike.
    jvm = ["java", "-Xmx256m", "-Dsun.net.httpserver.nodelay=true"]
    flags = [line for line in (home / "jvm-flags.txt").read_text().splitlines() if line.strip()]
    app = ["-cp", "bench-classes", "BenchApp"]
    return {"off": Launch([*jvm, *app], home, {}), "on": Launch([*jvm, *flags, *app], home, {})}


PREPARE = {"node": prepare_node, "python": prepare_python, "java": prepare_java, "go": prepare_go}


class Agent:
    """A collector agent on loopback where the generated SDKs export: OTLP gRPC and HTTP in, the
    memory limiter, a debug exporter that only counts (no backend to wait on)."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        debug = components.config_name("exporter/debug", COLLECTOR_VERSION)
        config = {
            "receivers": {"otlp": {"protocols": {"grpc": {"endpoint": f"{HOST}:{AGENT_PORTS['grpc']}"},
                                                 "http": {"endpoint": f"{HOST}:{AGENT_PORTS['http']}"}}}},
            "processors": {"memory_limiter": {"check_interval": "1s", "limit_mib": 400, "spike_limit_mib": 100}},
            "exporters": {debug: {"verbosity": "basic", "sampling_initial": 1, "sampling_thereafter": 1000}},
            "extensions": {"health_check": {"endpoint": f"{HOST}:{AGENT_PORTS['health']}"}},
            "service": {"extensions": ["health_check"], "telemetry": {"metrics": {"level": "none"}},
                        "pipelines": {"traces": {"receivers": ["otlp"], "processors": ["memory_limiter"],
                                                 "exporters": [debug]}}},
        }
        path = self.workdir / "agent.yaml"
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        binary = build_test_distribution(COLLECTOR_VERSION)
        log = open(self.workdir / "agent.log", "wb")   # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen([str(binary), f"--config={path}"], stdout=log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, env=clean_env(), start_new_session=True)
        if not wait_until(lambda: not port_free(AGENT_PORTS["health"]) or self.process.poll() is not None, 60):
            raise RuntimeError("collector agent did not start")
        if self.process.poll() is not None:
            raise RuntimeError(f"collector agent exited:\n{(self.workdir / 'agent.log').read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def cpu_seconds(pid: int) -> float:
    """utime + stime of the whole process (every thread), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class _Pool:
    """Keep-alive HTTP/1.1 connections to one app; a request takes an idle one or opens another."""

    def __init__(self, port: int, limit: int = 256) -> None:
        self.port, self.limit, self.idle, self.open = port, limit, [], 0

    async def get(self, deadline_s: float = 5.0) -> float | None:
        """One GET /; the latency in seconds from writing the request to the end of the body, or None.
        A kept-alive connection the server has closed meanwhile is retried once on a new one."""
        reused = bool(self.idle)
        latency = await self._get(deadline_s)
        if latency is None and reused:
            latency = await self._get(deadline_s, fresh=True)
        return latency

    async def _get(self, deadline_s: float, fresh: bool = False) -> float | None:
        if self.idle and not fresh:
            reader, writer = self.idle.pop()
        elif self.open >= self.limit:
            return None
        else:
            self.open += 1
            try:
                reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, self.port), deadline_s)
            except (OSError, asyncio.TimeoutError):
                self.open -= 1
                return None
        started = time.perf_counter()
        try:
            writer.write(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n\r\n")
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), deadline_s)
            length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), None)
            if length is None:
                raise ValueError("no content-length")
            await asyncio.wait_for(reader.readexactly(length), deadline_s)
            ok = head.startswith(b"HTTP/1.1 200") or head.startswith(b"HTTP/1.0 200")
        except (OSError, ValueError, asyncio.TimeoutError, asyncio.IncompleteReadError):
            writer.close()
            self.open -= 1
            return None
        elapsed = time.perf_counter() - started
        if b"connection: close" in head.lower():
            writer.close()
            self.open -= 1
        else:
            self.idle.append((reader, writer))
        return elapsed if ok else None

    def close(self) -> None:
        for _, writer in self.idle:
            writer.close()
        self.idle.clear()


async def _drive(port: int, rate: float, warmup: float, duration: float, on_measure_start: Callable[[], None],
                 on_measure_end: Callable[[], None]) -> tuple[int, list[float]]:
    pool = _Pool(port)
    latencies: list[float] = []
    sent = 0
    tasks: set[asyncio.Task] = set()

    async def one(measured: bool) -> None:
        latency = await pool.get()
        if measured and latency is not None:
            latencies.append(latency)

    loop = asyncio.get_running_loop()
    start = loop.time()
    total = int((warmup + duration) * rate)
    warm = int(warmup * rate)
    for i in range(total):
        delay = start + i / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        if i == warm:
            on_measure_start()
        measured = i >= warm
        sent += measured
        task = asyncio.create_task(one(measured))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.wait(tasks, timeout=10)
    on_measure_end()
    pool.close()
    return sent, latencies


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class _Process:
    """One variant of an app, running while its language is measured."""

    def __init__(self, language: str, variant: str, launch: Launch, env: dict[str, str], port: int, logdir: Path):
        if not port_free(port):
            raise RuntimeError(f"port {port} for the {language} app is in use")
        self.variant, self.port, self.log = variant, port, logdir / f"{language}-{variant}.log"
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(launch.args, cwd=launch.cwd, stdout=out, stderr=subprocess.STDOUT,
                                            env=clean_env(PORT=str(port), **env, **launch.env),
                                            stdin=subprocess.DEVNULL, start_new_session=True)
        self.sent, self.latencies, self.cpu_s, self.wall_s = 0, [], 0.0, 0.0

    def wait_listening(self) -> None:
        started = wait_until(lambda: not port_free(self.port) or self.process.poll() is not None, 90)
        if not started or self.process.poll() is not None:
            raise RuntimeError(f"{self.log.stem} did not start:\n{self.log.read_text()[-3000:]}")

    def drive(self, rate: float, warmup: float, duration: float) -> None:
        """Warm up, then measure `duration` s: latencies and this process's CPU time add up over calls."""
        window: dict[str, float] = {}

        def begin() -> None:
            window["cpu0"], window["t0"] = cpu_seconds(self.process.pid), time.monotonic()

        def end() -> None:
            window["cpu1"], window["t1"] = cpu_seconds(self.process.pid), time.monotonic()

        sent, latencies = asyncio.run(_drive(self.port, rate, warmup, duration, begin, end))
        if duration > 0:
            self.sent += sent
            self.latencies += latencies
            self.cpu_s += window["cpu1"] - window["cpu0"]
            self.wall_s += window["t1"] - window["t0"]

    def result(self, language: str) -> dict:
        ok = len(self.latencies)
        return {"language": language, "variant": self.variant, "sent": self.sent, "ok": ok,
                "achieved_rps": ok / max(1e-9, self.wall_s),
                "p50_ms": percentile(self.latencies, 0.50) * 1000, "p95_ms": percentile(self.latencies, 0.95) * 1000,
                "cpu_us_per_request": self.cpu_s / max(1, ok) * 1e6}

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def measure_language(language: str, runs: list[tuple[str, Launch, dict[str, str]]], rate: float, warmup: float,
                     duration: float, logdir: Path, progress: Progress) -> list[dict]:
    """Every variant of one language runs at once (idle but for its own turns); each is warmed up,
    then driven in SLICE_S turns in rotating order until each has had `duration` s, so a burst of load
    from elsewhere on the machine falls on every variant alike."""
    processes = [_Process(language, variant, launch, env, APP_PORTS[language] + 10 * i, logdir)
                 for i, (variant, launch, env) in enumerate(runs)]
    try:
        for process in processes:
            process.wait_listening()
        for process in processes:
            progress(f"{language} {process.variant}: {warmup:.0f} s warm-up")
            process.drive(rate, warmup, 0)
        turns = max(1, math.ceil(duration / SLICE_S))
        progress(f"{language}: {turns} turns of {duration / turns:.1f} s per variant at {rate:.0f} req/s")
        for turn in range(turns):
            for process in processes[turn % len(processes):] + processes[:turn % len(processes)]:
                process.drive(rate, 0, duration / turns)
        return [process.result(language) for process in processes]
    finally:
        for process in processes:
            process.stop()


def run_all(languages: list[str], variants: tuple[str, ...], rate: float, duration: float, warmup: float,
            progress: Progress = lambda _: None) -> list[dict]:
    busy = [str(p) for p in AGENT_PORTS.values() if not port_free(p)]
    if busy:
        raise RuntimeError(f"loopback ports in use: {', '.join(busy)}")
    results: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="tracegen-bench-overhead-") as tmp:
        work = Path(tmp)
        generated = generate(work / "out")
        launches = {}
        for language in languages:
            progress(f"preparing {language} (cached after the first run)")
            launches[language] = PREPARE[language](generated[language])
        agent = Agent(work)
        progress("starting the collector agent")
        agent.start()
        try:
            for language in languages:
                base = otel_env(generated[language])
                runs = [(variant, launches[language]["off"], {}) if variant == "off" else
                        (variant, launches[language]["on"], base | SAMPLERS[variant]) for variant in variants]
                results += measure_language(language, runs, rate, warmup, duration, work, progress)
        finally:
            agent.stop()
    return results
