"""The whole local pipeline as real processes: build a blueprint with the real CLI, then start the
backend stand-ins, the gateways and the agent with the generated configs, as a user would.

    SDKs --OTLP--> agent --load_balancing(traceID)--> gateway-0 | gateway-1 --> honeycomb + jaeger
                                                                                (loopback receivers)
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .processes import Collector, collector_env, port_free
from .receiver import OtlpReceiver

REPO = Path(__file__).resolve().parents[3]


def build(blueprint: Path, out_dir: Path) -> subprocess.CompletedProcess:
    """`python -m tracegen build BLUEPRINT -o OUT`, from the repository root, as users run it."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-m", "tracegen", "build", str(blueprint), "-o", str(out_dir)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300)


def collector_binary(blueprint: Path) -> Path:
    """The all-components test distribution at the blueprint's collector version, built with the
    Collector Builder on first use and cached (tracegen.toolchain.collector)."""
    from tracegen import versions
    from tracegen.toolchain.collector import build_test_distribution

    source = yaml.safe_load(blueprint.read_text(encoding="utf-8"))
    version = (source.get("topology") or {}).get("collector_version") or versions.COLLECTOR_VERSION
    return build_test_distribution(str(version))


def _port(endpoint: str) -> int:
    return int(endpoint.rsplit(":", 1)[1])


def _named(section: dict, prefix: str) -> dict:
    """The one component in `section` whose name is `prefix` or `prefix/<suffix>`."""
    for name, body in section.items():
        if name == prefix or name.startswith(prefix + "/"):
            return body or {}
    raise KeyError(f"no {prefix} component in {sorted(section)}")


@dataclass(frozen=True)
class Ports:
    otlp_grpc: int
    health: int
    metrics: int


def config_ports(config: dict) -> Ports:
    """Read the ports a generated config listens on, rather than re-deriving tracegen's scheme."""
    otlp = _named(config["receivers"], "otlp")["protocols"]["grpc"]["endpoint"]
    health = _named(config["extensions"], "health_check")["endpoint"]
    readers = config["service"]["telemetry"]["metrics"]["readers"]
    metrics = readers[0]["pull"]["exporter"]["prometheus"]["port"]
    return Ports(_port(otlp), _port(health), int(metrics))


@dataclass
class Pipeline:
    out_dir: Path
    environment: str
    receivers: dict[str, OtlpReceiver]
    agent: Collector
    gateways: list[Collector]
    agent_ports: Ports
    decision_wait_s: float
    probabilistic_share: float
    secrets: dict[str, str]
    state_dir: Path
    notes: list[str] = field(default_factory=list)

    @property
    def collectors(self) -> list[Collector]:
        return [self.agent, *self.gateways]

    @property
    def agent_endpoint(self) -> str:
        return f"127.0.0.1:{self.agent_ports.otlp_grpc}"

    def diagnostics(self, lines: int = 30) -> str:
        return "\n".join(c.log_tail(lines) for c in self.collectors)

    def stop(self) -> None:
        """Agent first (it drains towards the gateways), then gateways, then the backends."""
        for collector in self.collectors:
            try:
                collector.stop(graceful=True, timeout_s=20)
            except OSError:
                pass
        for receiver in self.receivers.values():
            receiver.stop()


def _duration_s(text: str) -> float:
    units = {"ms": 0.001, "s": 1.0, "m": 60.0}
    for unit in ("ms", "s", "m"):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * units[unit]
    raise ValueError(text)


def start(blueprint: Path, out_dir: Path, binary: Path, work: Path, secrets: dict[str, str]) -> Pipeline:
    """Start the pipeline of the blueprint's single `local` environment (already built in out_dir).
    On any failure everything started so far is stopped again before the error propagates."""
    source = yaml.safe_load(blueprint.read_text(encoding="utf-8"))
    (environment,) = source["environments"]
    collector_dir = out_dir / environment / "collector"
    agent_file = collector_dir / "agent-local.yaml"
    gateway_files = sorted(collector_dir.glob("gateway-*.yaml"))
    if not agent_file.is_file() or not gateway_files:
        raise RuntimeError(f"expected agent-local.yaml and gateway-<i>.yaml in {collector_dir}; "
                           f"found {sorted(p.name for p in collector_dir.glob('*.yaml'))}")
    agent_config = yaml.safe_load(agent_file.read_text(encoding="utf-8"))
    gateway_configs = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in gateway_files]
    tail = _named(gateway_configs[0]["processors"], "tail_sampling")
    # A capped share is an `and` of the probabilistic policy and its rate limit (collector_sampling).
    shares = [p for policy in tail["policies"]
              for p in (policy["and"]["and_sub_policy"] if policy["type"] == "and" else [policy])]
    share = next(p["probabilistic"]["sampling_percentage"] for p in shares
                 if p["type"] == "probabilistic") / 100.0

    receivers = {name: OtlpReceiver(name, _port(body["endpoint"])) for name, body in source["backends"].items()}
    agent_ports = config_ports(agent_config)
    gateway_ports = [config_ports(c) for c in gateway_configs]
    wanted = [r.port for r in receivers.values()]
    wanted += [p for ports in (agent_ports, *gateway_ports) for p in (ports.otlp_grpc, ports.health, ports.metrics)]
    busy = sorted(p for p in wanted if not port_free(p))
    if busy:
        raise RuntimeError(f"loopback ports already in use: {busy}; another e2e run or collector is running")

    state_dir = work / "state"
    logs = work / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    env = collector_env(state_dir, secrets)
    gateways = [Collector(p.stem, binary, [p], env, logs / f"{p.stem}.log", ports.health, ports.metrics)
                for p, ports in zip(gateway_files, gateway_ports)]
    agent = Collector("agent", binary, [agent_file], env, logs / "agent.log", agent_ports.health,
                      agent_ports.metrics)
    pipeline = Pipeline(out_dir=out_dir, environment=environment, receivers=receivers, agent=agent,
                        gateways=gateways, agent_ports=agent_ports,
                        decision_wait_s=_duration_s(str(tail["decision_wait"])), probabilistic_share=share,
                        secrets=secrets, state_dir=state_dir)
    try:
        for receiver in receivers.values():
            receiver.start()
        for gateway in gateways:
            gateway.start()
        agent.start()
    except BaseException:
        pipeline.stop()
        raise
    return pipeline
