"""The local platform's collectors with a live sampling mode: agent -> gateways, each gateway started
and switched exactly as the generated runbook (`<env>/runbook/sampling-modes.md`) says: its command
line (`otelcol [flags] --config=gateway-<i>.yaml --config=active-mode.yaml`) is read from there, and
so is the shell line that re-points the link, which runs as written:

    ln -sfn modes/<mode>.yaml active-mode.yaml.new && mv -T active-mode.yaml.new active-mode.yaml
    kill -HUP <gateway pid>                          # every gateway

otelcol re-reads every `--config` file on SIGHUP and restarts its pipelines in place (same PID,
about 0.1 s; otelcol/collector.go, "Config updated, restart service"). The tail sampler decides
its pending traces on the way down (drop_pending_traces_on_shutdown: false) and the agent retries
what a gateway refused meanwhile. A config that does not load ends the process, so the overlay is
validated before it is linked. Going back: `modes/baseline.yaml`.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml

from .pipeline import _duration_s, _named, config_ports
from .processes import Collector, collector_env, port_free, wait_until

ACTIVE_MODE = "active-mode.yaml"
BASELINE = "baseline"
READY = "Everything is ready"
MODE_PLACEHOLDER = "<mode>"


@dataclass(frozen=True)
class Runbook:
    """What the generated runbook tells an operator of the local platform to run."""

    start_mode: str
    flags: dict[str, tuple[str, ...]]      # gateway config file -> flags besides --config
    relink: str                            # the shell line that re-points the link, with <mode>

    @classmethod
    def read(cls, path: Path) -> "Runbook":
        text = path.read_text(encoding="utf-8")
        start = re.search(rf"^ln -sfn modes/(\S+)\.yaml {re.escape(ACTIVE_MODE)}$", text, re.MULTILINE)
        relink = re.search(rf"^ln -sfn modes/{MODE_PLACEHOLDER}\.yaml .*$", text, re.MULTILINE)
        flags = {}
        for line in re.findall(r"^otelcol (.*) &$", text, re.MULTILINE):
            words = shlex.split(line)
            configs = [w.split("=", 1)[1] for w in words if w.startswith("--config=")]
            assert configs[1:] == [ACTIVE_MODE], f"{path}: {line}"
            flags[configs[0]] = tuple(w for w in words if not w.startswith("--config="))
        if not (start and relink and flags):
            raise AssertionError(f"{path} does not say how to start and switch the local collectors:\n{text}")
        return cls(start.group(1), flags, relink.group(0))


@dataclass
class LiveCollectors:
    collector_dir: Path
    binary: Path
    agent: Collector
    gateways: list[Collector]
    decision_wait_s: float
    runbook: Runbook
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
        if not path.is_file():
            raise FileNotFoundError(f"no overlay for mode {mode}: {sorted(self.modes)}")
        return path

    def link(self, mode: str) -> None:
        """Point active-mode.yaml at the mode's overlay with the runbook's own shell line."""
        self.overlay_for(mode)
        line = self.runbook.relink.replace(MODE_PLACEHOLDER, mode)
        result = subprocess.run(["bash", "-euc", line], cwd=self.collector_dir, capture_output=True, text=True,
                                timeout=30)
        assert result.returncode == 0, f"{line}: {result.stderr}"
        target = os.path.realpath(self.collector_dir / ACTIVE_MODE)
        assert target == os.path.realpath(self.overlay_for(mode)), f"{ACTIVE_MODE} -> {target} after {line}"
        self.mode = mode

    def validate(self, mode: str) -> None:
        for gateway in self.gateways:
            args = [str(self.binary), "validate", *gateway.flags, "--config", str(gateway.configs[0]),
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


def start(collector_dir: Path, runbook: Path, binary: Path, work: Path,
          secrets: dict[str, str] | None = None) -> LiveCollectors:
    """Start the generated `agent-local.yaml` and every `gateway-<i>.yaml` in `collector_dir`, the
    gateways as `runbook` says (its flags, `active-mode.yaml` linked to its starting mode). Stops
    what it started if anything fails."""
    book = Runbook.read(runbook)
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
    assert sorted(book.flags) == [p.name for p in gateway_files], (book.flags, gateway_files)
    gateways = [Collector(p.stem, binary, [p, active], env, logs / f"{p.stem}.log", ports.health, ports.metrics,
                          book.flags[p.name])
                for p, ports in zip(gateway_files, gateway_ports)]
    agent = Collector("agent", binary, [agent_file], env, logs / "agent.log", agent_ports.health, agent_ports.metrics)
    live = LiveCollectors(collector_dir, binary, agent, gateways, _duration_s(str(tail["decision_wait"])), book)
    try:
        live.validate(book.start_mode)
        live.link(book.start_mode)
        for gateway in gateways:
            gateway.start()
        agent.start()
    except BaseException:
        live.stop()
        raise
    return live
