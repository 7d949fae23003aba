"""The cross-service test's moving parts: a real RabbitMQ broker, the four languages' builds (cached)
and the five services as processes, each running next to the tracing files tracegen generated for it.

    edge (Node) --HTTP--> orders (Java agent) --`orders`--> fulfillment (Go) --HTTP--> inventory (Python)
    inventory --`stock-events`--> notifications (Node);  fulfillment --`shipments`--> inventory

Builds are cached per content hash under ${TRACEGEN_CACHE:-~/.cache/tracegen}/sdk-e2e/ as the
per-language SDK tests cache theirs (tests/e2e/sdk_apps/support.cached): node_modules, a
virtualenv, a Maven reactor with the agent jar, a Go binary. Every wait is bounded; every process
listens on 127.0.0.1 only.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from tests.e2e.harness.processes import port_free, wait_until
from tests.e2e.sdk_apps import support

HERE = Path(__file__).resolve().parent
HOST = "127.0.0.1"
# Fixed loopback ports: below the ephemeral range and away from the other e2e tests. The collector
# ports come from the blueprint (base_port 27317), the backend from its `backends` entry.
BROKER_PORTS = {"amqp": 27672, "dist": 27673, "epmd": 27369}
SERVICE_PORTS = {"edge": 27501, "orders": 27502, "fulfillment": 27503, "inventory": 27504, "notifications": 27505}
NPM_FLAGS = ("--engine-strict", "--strict-peer-deps", "--no-audit", "--no-fund", "--loglevel=error")
PIP_FLAGS = ("--disable-pip-version-check", "--no-input", "-q")
# Short SDK batch delays (the standard OTEL_BSP_SCHEDULE_DELAY, in ms) so a trace's spans reach the
# gateways well inside the tail sampler's decision_wait.
BATCH_DELAY_MS = "200"


# --------------------------------------------------------------------------- the broker
def rabbitmq_server() -> Path | None:
    """The broker's start script. Debian's /usr/sbin/rabbitmq-server links to a wrapper that
    switches to the `rabbitmq` user and its system-wide node; the script beside it starts a node
    with our environment, as any user."""
    search = os.pathsep.join(filter(None, [os.environ.get("PATH"), "/usr/local/sbin", "/usr/sbin", "/sbin"]))
    found = shutil.which("rabbitmq-server", path=search)
    if not found:
        return None
    resolved = Path(found).resolve()
    if resolved.name == "rabbitmq-script-wrapper" and (resolved.parent / "rabbitmq-server").is_file():
        return resolved.parent / "rabbitmq-server"
    return Path(found)


class Broker:
    """rabbitmq-server as our own node on 127.0.0.1: private data, log and cookie directories, its
    own epmd port, no plugins, no config from /etc."""

    def __init__(self, work: Path, script: Path) -> None:
        self.work, self.script = work, script
        self.port = BROKER_PORTS["amqp"]
        self.url = f"amqp://guest:guest@{HOST}:{self.port}/%2F"
        self.log = work / "rabbitmq.out"
        self.process: subprocess.Popen | None = None

    def env(self) -> dict[str, str]:
        for name in ("home", "mnesia", "log"):
            (self.work / name).mkdir(parents=True, exist_ok=True)
        (self.work / "enabled_plugins").write_text("[].\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("RABBITMQ_", "ERL_"))}
        env.update({
            "HOME": str(self.work / "home"),                     # the Erlang cookie goes here
            "RABBITMQ_NODENAME": f"tracegen-e2e-{os.getpid()}@localhost",
            "RABBITMQ_NODE_IP_ADDRESS": HOST,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(BROKER_PORTS["dist"]),
            "ERL_EPMD_PORT": str(BROKER_PORTS["epmd"]),
            "ERL_EPMD_ADDRESS": HOST,
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
            "RABBITMQ_MNESIA_BASE": str(self.work / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.work / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.work / "enabled_plugins"),
            "RABBITMQ_CONF_ENV_FILE": str(self.work / "rabbitmq-env.conf"),    # absent: not /etc's
            "RABBITMQ_CONFIG_FILE": str(self.work / "rabbitmq"),                 # absent: defaults
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(self.work / "advanced.config"),
        })
        return env

    def start(self, timeout_s: float = 90.0) -> None:
        busy = [f"{name} {port}" for name, port in BROKER_PORTS.items() if not port_free(port)]
        if busy:
            raise RuntimeError(f"broker ports in use on {HOST}: {', '.join(busy)}")
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen([str(self.script)], cwd=self.work, env=self.env(), stdout=out,
                                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        if not wait_until(lambda: not port_free(self.port) or self.process.poll() is not None, timeout_s, 0.5):
            raise RuntimeError(f"rabbitmq-server did not listen on {self.port} in {timeout_s}s\n{self.tail()}")
        if self.process.poll() is not None:
            raise RuntimeError(f"rabbitmq-server exited with {self.process.returncode}\n{self.tail()}")

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""

    def stop(self) -> None:
        """SIGTERM to the node's process group (the start script and the Erlang VM we started),
        then its epmd, which the VM started as a daemon on our port."""
        process = self.process
        if process is not None and process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
            except ProcessLookupError:
                pass
        epmd = shutil.which("epmd")
        if epmd:
            subprocess.run([epmd, "-port", str(BROKER_PORTS["epmd"]), "-kill"], capture_output=True, timeout=10,
                           stdin=subprocess.DEVNULL)


# --------------------------------------------------------------------------- builds
def _tree_digest(*folders: Path, extra: str = "") -> str:
    parts = [extra.encode()]
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and "target" not in p.parts):
            parts.append(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return support.digest(*parts)


def node_modules(sdk: Path, services: tuple[str, ...], own: Path = HERE / "node" / "package.json",
                 kind: str = "crossapp-node") -> Path:
    """One node_modules for the Node services: their generated package.json files (which must agree
    on every shared pin) merged with the sample's own dependencies (`own`); npm judges engines and peers."""
    merged: dict[str, str] = {}
    engines = None
    for service in services:
        package = json.loads((sdk / service / "package.json").read_text(encoding="utf-8"))
        engines = engines or package.get("engines")
        for name, version in package["dependencies"].items():
            if merged.setdefault(name, version) != version:
                raise AssertionError(f"{service} pins {name} {version}, another Node service {merged[name]}")
    merged.update(json.loads(own.read_text(encoding="utf-8"))["dependencies"])
    text = json.dumps({"name": f"tracegen-{kind}", "private": True, "engines": engines,
                       "dependencies": dict(sorted(merged.items()))}, indent=2) + "\n"

    def install(directory: Path) -> None:
        (directory / "package.json").write_text(text, encoding="utf-8")
        support.run(["npm", "install", *NPM_FLAGS], directory, timeout=900)

    return support.cached(kind, support.digest(text.encode(), " ".join(NPM_FLAGS).encode()), install) \
        / "node_modules"


def python_venv(sdk: Path, service: str = "inventory", sample: Path = HERE / "inventory" / "requirements.txt",
                kind: str = "crossapp-python") -> Path:
    """A virtualenv with the service's generated requirements.txt and the sample's; its interpreter."""
    generated = (sdk / service / "requirements.txt").read_bytes()
    own = sample.read_bytes()

    def install(directory: Path) -> None:
        (directory / "requirements.txt").write_bytes(generated)
        (directory / "sample-requirements.txt").write_bytes(own)
        support.run([sys.executable, "-m", "venv", str(directory / "venv")], directory)
        python = str(directory / "venv" / "bin" / "python")
        support.run([python, "-m", "pip", "install", *PIP_FLAGS, "-r", "requirements.txt",
                     "-r", "sample-requirements.txt"], directory, timeout=900)
        support.run([python, "-m", "pip", "check"], directory)

    key = support.digest(generated, own, sys.version.encode())
    return support.cached(kind, key, install) / "venv" / "bin" / "python"


def _pom_coordinates(pom: Path) -> tuple[str, str, str]:
    ns = {"m": "http://maven.apache.org/POM/4.0.0"}
    root = ET.parse(pom).getroot()
    return tuple(root.find(f"m:{tag}", ns).text for tag in ("groupId", "artifactId", "version"))  # type: ignore[return-value]


def java_build(sdk: Path) -> Path:
    """One Maven reactor: orders' generated module (`tracing/`, which copies the agent jar) and the
    app (`app/`). Returns the reactor's folder."""
    from tracegen.versions import SDK_VERSIONS_JAVA as V

    generated = sdk / "orders"
    group, artifact, version = _pom_coordinates(generated / "pom.xml")
    properties = [f"-Dtracing.groupId={group}", f"-Dtracing.artifactId={artifact}", f"-Dtracing.version={version}",
                  f"-Dspring-boot.version={V['spring-boot']}",
                  *(f"-D{p}.version={V[p]}" for p in ("maven-compiler-plugin", "maven-resources-plugin",
                                                       "maven-jar-plugin", "maven-dependency-plugin"))]

    def build(root: Path) -> None:
        shutil.copytree(generated, root / "tracing")
        shutil.copytree(HERE / "orders", root / "app", ignore=shutil.ignore_patterns("target"))
        resources = root / "app" / "src" / "main" / "resources"
        resources.mkdir(parents=True, exist_ok=True)
        shutil.copy(root / "tracing" / "logback.xml", resources / "logback.xml")
        (root / "pom.xml").write_text(
            '<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>'
            "<groupId>crossapp</groupId><artifactId>reactor</artifactId><version>1</version>"
            "<packaging>pom</packaging><modules><module>tracing</module><module>app</module></modules></project>\n")
        support.run(["mvn", "-B", "-q", "-Dstyle.color=never", "package", *properties], root, timeout=1500)

    key = _tree_digest(generated, HERE / "orders", extra="\n".join(properties))
    return support.cached("crossapp-java", key, build)


def go_build(sdk: Path) -> Path:
    """fulfillment built against its generated tracing module: `go mod tidy`, `go vet`, `go build`.
    Returns the folder holding `tracing/` and `app/fulfillment`."""
    from tracegen.validators.sdk_go import go_env
    from tracegen.versions import SDK_VERSIONS_GO

    generated = sdk / "fulfillment"

    def build(root: Path) -> None:
        shutil.copytree(generated, root / "tracing")
        shutil.copytree(HERE / "fulfillment", root / "app")
        for step in (["mod", "tidy"], ["vet", "./..."], ["build", "-o", "fulfillment", "."]):
            support.run(["go", *step], root / "app", timeout=900, env=go_env())

    key = _tree_digest(generated, HERE / "fulfillment", extra=json.dumps(SDK_VERSIONS_GO, sort_keys=True))
    return support.cached("crossapp-go", key, build)


# --------------------------------------------------------------------------- services
@dataclass
class Service:
    name: str
    language: str
    args: list[str]
    cwd: Path
    env: dict[str, str]
    port: int
    log: Path
    process: subprocess.Popen | None = field(default=None, repr=False)

    def start(self) -> None:
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(self.args, cwd=self.cwd, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)

    def ready(self) -> bool:
        return not port_free(self.port)

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def output(self, last: int = 4000) -> str:
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")[-last:]
        except FileNotFoundError:
            return ""

    def stop(self, timeout_s: float = 30.0) -> int | None:
        """SIGTERM: each SDK flushes its batched spans on the way out."""
        process = self.process
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        return process.returncode


def _node_workdir(sdk: Path, service: str, script: str, modules: Path, work: Path) -> Path:
    folder = work / service
    shutil.copytree(sdk / service, folder)
    shutil.copy(HERE / "node" / script, folder / script)
    (folder / "node_modules").symlink_to(modules, target_is_directory=True)
    return folder


def services(sdk: Path, settings: Path, work: Path, broker_url: str, builds: dict[str, Path]) -> list[Service]:
    """The five services, not started: each its code from `sdk` (<out>/sdk, the same for every environment)
    with its environment's generated `settings/<service>/otel.env` and its own settings."""
    work.mkdir(parents=True, exist_ok=True)
    logs = work / "logs"
    logs.mkdir(exist_ok=True)
    url = {name: f"http://{HOST}:{port}" for name, port in SERVICE_PORTS.items()}

    def env(service: str, **extra: str) -> dict[str, str]:
        values = {**support.otel_env(settings / service / "otel.env"), "OTEL_BSP_SCHEDULE_DELAY": BATCH_DELAY_MS,
                  "PORT": str(SERVICE_PORTS[service]), "AMQP_URL": broker_url, **extra}
        return support.clean_env(**values)

    edge = _node_workdir(sdk, "edge", "edge.js", builds["node"], work)
    notifications = _node_workdir(sdk, "notifications", "notifications.js", builds["node"], work)
    inventory = work / "inventory"
    shutil.copytree(sdk / "inventory", inventory)
    shutil.copy(HERE / "inventory" / "app.py", inventory / "app.py")
    java, go = builds["java"], builds["go"]
    classpath = os.pathsep.join([str(java / "app" / "target" / "classes"), str(java / "app" / "target" / "lib" / "*")])
    return [
        Service("inventory", "python", [str(builds["python"]), "app.py"], inventory,
                env("inventory", PYTHONUNBUFFERED="1"), SERVICE_PORTS["inventory"], logs / "inventory.log"),
        Service("fulfillment", "go", [str(go / "app" / "fulfillment")], go / "tracing",
                env("fulfillment", INVENTORY_URL=url["inventory"]), SERVICE_PORTS["fulfillment"],
                logs / "fulfillment.log"),
        Service("notifications", "node", ["node", "--require", "./tracing.js", "notifications.js"], notifications,
                env("notifications"), SERVICE_PORTS["notifications"], logs / "notifications.log"),
        # The generated argfile: -javaagent (the jar the generated pom copied) and its properties file.
        Service("orders", "java", ["java", "@jvm-flags.txt", "-cp", classpath, "crossapp.OrdersApp",
                                   f"--server.port={SERVICE_PORTS['orders']}", f"--server.address={HOST}"],
                java / "tracing", env("orders"), SERVICE_PORTS["orders"], logs / "orders.log"),
        Service("edge", "node", ["node", "--require", "./tracing.js", "edge.js"], edge,
                env("edge", ORDERS_URL=url["orders"]), SERVICE_PORTS["edge"], logs / "edge.log"),
    ]


def start_all(all_services: list[Service], timeout_s: float = 240.0) -> None:
    busy = [f"{s.name} {s.port}" for s in all_services if not port_free(s.port)]
    if busy:
        raise RuntimeError(f"service ports in use on {HOST}: {', '.join(busy)}")
    for service in all_services:
        service.start()
    deadline = time.monotonic() + timeout_s
    for service in all_services:
        wait_until(lambda: service.ready() or not service.running(), max(1.0, deadline - time.monotonic()), 0.5)
        if not service.running():
            raise RuntimeError(f"{service.name} exited with {service.process.returncode}:\n{service.output()}")
        if not service.ready():
            raise RuntimeError(f"{service.name} did not listen on {service.port} in {timeout_s}s:\n{service.output()}")


def tap(python: Path, command: str, broker_url: str, *args: str) -> list[dict]:
    """Run amqp_tap.py (setup, drain or publish) with the virtualenv's pika; its JSON lines."""
    out = support.run([str(python), str(HERE / "amqp_tap.py"), command, broker_url, *args], HERE, timeout=120,
                      env=support.clean_env())
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]
