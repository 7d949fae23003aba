"""The local platform's collectors with a live sampling mode: agent -> gateways, each gateway started
with its generated config and the environment's `active-mode.yaml` overlay, switched at runtime.

How a mode is switched without restarting anything (the generated runbook says the same):

    ln -sfn modes/<mode>.yaml active-mode.yaml      # atomic: a rename over the old link
    kill -HUP <gateway pid>                          # every gateway

otelcol re-reads every `--config` file on SIGHUP and restarts its pipelines in place (same PID,
about 0.1 s; otelcol/collector.go, "Config updated, restart service"). The tail sampler decides
its pending traces on the way down (drop_pending_traces_on_shutdown: false) and the agent retries
what a gateway refused meanwhile. A config that does not load ends the process, so the overlay is
validated before it is linked. Going back: link `modes/baseline.yaml` when the generator wrote one,
else an empty overlay (the gateway's own policies).
"""

from __future__ import annotations

import os
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml

from .pipeline import _duration_s, _named, config_ports
from .processes import Collector, collector_env, port_free, wait_until

ACTIVE_MODE = "active-mode.yaml"
BASELINE = "baseline"
EMPTY_OVERLAY = ".empty-overlay.yaml"
READY = "Everything is ready"


@dataclass
class LiveCollectors:
    collector_dir: Path
    binary: Path
    agent: Collector
    gateways: list[Collector]
    decision_wait_s: float
    mode: str = BASELINE

    @property
    def modes(self) -> list[str]:
        return sorted(p.stem for p in (self.collector_dir / "modes").glob("*.yaml"))

    def pids(self) -> dict[str, int]:
        return {c.name: c.process.pid for c in (self.agent, *self.gateways) if c.process is not None}

    def diagnostics(self, lines: int = 30) -> str:
        return "\n".join(c.log_tail(lines) for c in (self.agent, *self.gateways))

    def overlay_for(self, mode: str) -> Path:
        path = self.collector_dir / "modes" / f"{mode}.yaml"
        if path.is_file():
            return path
        if mode == BASELINE:
            empty = self.collector_dir / EMPTY_OVERLAY
            empty.write_text("{}\n", encoding="utf-8")
            return empty
        raise FileNotFoundError(f"no overlay for mode {mode}: {sorted(self.modes)}")

    def link(self, mode: str) -> None:
        """Point active-mode.yaml at the mode's overlay, atomically (a symlink renamed over it)."""
        target = self.overlay_for(mode)
        staged = self.collector_dir / f".{ACTIVE_MODE}.new"
        staged.unlink(missing_ok=True)
        staged.symlink_to(os.path.relpath(target, self.collector_dir))
        os.replace(staged, self.collector_dir / ACTIVE_MODE)
        self.mode = mode

    def validate(self, mode: str) -> None:
        for gateway in self.gateways:
            args = [str(self.binary), "validate", "--config", str(gateway.configs[0]),
                    "--config", str(self.overlay_for(mode))]
            result = subprocess.run(args, capture_output=True, text=True, timeout=120, env=gateway.env)
            if result.returncode != 0:
                raise AssertionError(f"{gateway.name} + mode {mode} does not validate:\n{result.stdout}{result.stderr}")

    def switch(self, mode: str, timeout_s: float = 30.0) -> None:
        """Validate, relink, SIGHUP every gateway, and wait until each has restarted its pipelines."""
        self.validate(mode)
        ready_before = {g.name: g.log_text().count(READY) for g in self.gateways}
        self.link(mode)
        for gateway in self.gateways:
            assert gateway.process is not None
            gateway.process.send_signal(signal.SIGHUP)
        for gateway in self.gateways:
            reloaded = wait_until(lambda: gateway.log_text().count(READY) > ready_before[gateway.name]
                                  or not gateway.running, timeout_s)
            if not reloaded or not gateway.running or not wait_until(gateway.healthy, timeout_s):
                raise AssertionError(f"{gateway.name} did not reload into mode {mode}\n{gateway.log_tail()}")

    def stop(self) -> None:
        for collector in (self.agent, *self.gateways):   # the agent first: it drains to the gateways
            try:
                collector.stop(graceful=True, timeout_s=20)
            except OSError:
                pass


def start(collector_dir: Path, binary: Path, work: Path, secrets: dict[str, str] | None = None,
          mode: str = BASELINE) -> LiveCollectors:
    """Start the generated `agent-local.yaml` and every `gateway-<i>.yaml` in `collector_dir`, the
    gateways with `active-mode.yaml` linked to `mode`. Stops what it started if anything fails."""
    agent_file = collector_dir / "agent-local.yaml"
    gateway_files = sorted(collector_dir.glob("gateway-*.yaml"))
    if not agent_file.is_file() or not gateway_files:
        raise RuntimeError(f"expected agent-local.yaml and gateway-<i>.yaml in {collector_dir}; "
                           f"found {sorted(p.name for p in collector_dir.glob('*.yaml'))}")
    agent_ports = config_ports(yaml.safe_load(agent_file.read_text(encoding="utf-8")))
    gateway_configs = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in gateway_files]
    gateway_ports = [config_ports(c) for c in gateway_configs]
    tail = _named(gateway_configs[0]["processors"], "tail_sampling")
    busy = sorted(p for ports in (agent_ports, *gateway_ports)
                  for p in (ports.otlp_grpc, ports.health, ports.metrics) if not port_free(p))
    if busy:
        raise RuntimeError(f"loopback ports already in use: {busy}; another e2e run or collector is running")
    logs = work / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    env = collector_env(work / "state", secrets or {})
    active = collector_dir / ACTIVE_MODE
    gateways = [Collector(p.stem, binary, [p, active], env, logs / f"{p.stem}.log", ports.health, ports.metrics)
                for p, ports in zip(gateway_files, gateway_ports)]
    agent = Collector("agent", binary, [agent_file], env, logs / "agent.log", agent_ports.health, agent_ports.metrics)
    live = LiveCollectors(collector_dir, binary, agent, gateways, _duration_s(str(tail["decision_wait"])))
    try:
        live.validate(mode)
        live.link(mode)
        for gateway in gateways:
            gateway.start()
        agent.start()
    except BaseException:
        live.stop()
        raise
    return live
