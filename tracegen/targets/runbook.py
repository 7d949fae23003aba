"""The sampling runbook: `<env>/runbook/sampling-modes.md`, one page per environment that has
sampling modes, for the on-call engineer who must keep every trace during an incident.

It says, with the environment's exact file names and commands, how to switch the tier that
tail-samples to another mode and back without redeploying or restarting an application, on each
platform the environment runs: the local platform (re-link `active-mode.yaml`, SIGHUP: otelcol
re-reads its config files and restarts its pipelines in the same process), Kubernetes (the Git
route through the blueprint's `sampling.active_mode`, or a direct patch that rolls the gateways
only) and VMs (the Ansible play limited to the gateways). It shows what each mode keeps and exports
(the plan's retention model), and where the applications' own head samplers limit what any mode
can raise.
"""

from __future__ import annotations

from dataclasses import dataclass

from tracegen import encoding
from tracegen.plan import collector_sampling as sampling
from tracegen.plan import model as pm
from tracegen.plan import remote_sampling as rs
from tracegen.targets import templating
from tracegen.targets.artifact import Artifact
from tracegen.targets.kubernetes_common import CONFIG_MOUNT

TEMPLATE_FILE_PATH = "runbook/sampling-modes.md.j2"
PATH = "runbook/sampling-modes.md"
ACTIVE_MODE_LINK = "active-mode.yaml"
# Names other targets emit (targets/ansible.py, targets/kubernetes_collectors.py); tests/test_runbook.py
# keeps them equal.
ANSIBLE_GATEWAYS = "otel_gateways"
ANSIBLE_MODE_VARIABLE = "tracegen_sampling_mode"
AGENT_CONFIG_MAP = "otel-agent-config"


@dataclass(frozen=True)
class ModeRow:
    name: str
    errors: float
    slow: float
    healthy: float
    exported_spans_per_sec: float


def _rows(env: pm.EnvironmentPlan) -> list[ModeRow]:
    """What each mode keeps and exports at the declared peak, from the plan's retention model."""
    model = env.sampling
    if model is None:
        return []
    rows = []
    for mode in model.modes:
        name = mode.name if any(name == mode.name for name, _ in env.tail_sampling.modes) else sampling.BASELINE_MODE
        rows.append(ModeRow(name, mode.retention.errors, mode.retention.slow, mode.retention.healthy,
                            mode.volumes.exported_spans_per_sec))
    return rows


def _head_samplers(env: pm.EnvironmentPlan, head: "HeadSwitch | None") -> list[pm.ServicePlan]:
    """Services whose SDK starts traces at a fixed ratio below 1 (not polling the agents' live
    rates): what they drop no mode brings back."""
    polling = set(head.pollers) if head else set()
    return [s for s in env.services
            if s.sampler_ratio < 1 and s.sampler.endswith("traceidratio") and s.name not in polling]


def _percent(value: float) -> str:
    return f"{100 * value:.4g} %"


@dataclass(frozen=True)
class HeadSwitch:
    """Where the agents serve the SDKs' head rates per mode (strategy edge_head, plan/remote_sampling.py)."""
    agent: pm.Tier
    directory: str                 # the generated strategies files, <env>/collector/sampling-strategies
    pollers: tuple[str, ...]
    reload_s: int
    poll_s: float
    key_prefix: str                # Kubernetes: the agent ConfigMap's key of a file is <prefix><file>


def _head_switch(env: pm.EnvironmentPlan) -> HeadSwitch | None:
    agent = env.agents[0]
    if rs.extension(env, agent) is None:
        return None
    return HeadSwitch(agent, f"{env.name}/collector/{rs.STRATEGIES_DIRECTORY}", tuple(s.name for s in rs.pollers(env)),
                      rs.RELOAD_INTERVAL_S, rs.POLLING_INTERVAL_MS / 1000, f"{rs.STRATEGIES_DIRECTORY}-")


def runbook(env: pm.EnvironmentPlan) -> str:
    collectors = env.collectors
    assert collectors is not None and env.tail_sampling is not None
    samplers = [c.path for c in collectors.gateways] or [
        c.path for c in collectors.configs if c.role == "agent" and not c.is_overlay]
    tier = env.gateway or next(t for t in env.agents)
    head = _head_switch(env)
    jinja = templating.environment((("sh", encoding.shell_word), ("percent", _percent)))
    return jinja.get_template(TEMPLATE_FILE_PATH).render(
        env=env, tier=tier, sampler_tier="gateway" if env.gateway else "agent", samplers=samplers,
        sampler_args=collectors.args("gateway" if env.gateway else "agent", tier.platform),
        modes=[c.mode for c in collectors.overlays], baseline=sampling.BASELINE_MODE,
        start_mode=env.tail_sampling.active_mode or sampling.BASELINE_MODE,
        decision_wait=f"{env.tail_sampling.decision_wait_s:g}s", rows=_rows(env),
        head_samplers=_head_samplers(env, head), head=head, default_mode=rs.DEFAULT_MODE,
        active_file=rs.ACTIVE_FILE, link=ACTIVE_MODE_LINK, config_mount=CONFIG_MOUNT,
        workload="StatefulSet" if env.persistent_queue else "Deployment", workload_name=pm.GATEWAY_SERVICE,
        ansible_group=ANSIBLE_GATEWAYS, ansible_variable=ANSIBLE_MODE_VARIABLE, agent_config_map=AGENT_CONFIG_MAP)


def build(plan: pm.Plan) -> list[Artifact]:
    return [Artifact(path=f"{env.name}/{PATH}", kind="docs", content=runbook(env), environment=env.name)
            for env in plan.environments
            if env.tail_sampling is not None and env.tail_sampling.modes and env.collectors is not None]
