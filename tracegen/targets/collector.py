"""OpenTelemetry Collector configs, per environment.

- `<env>/collector/agent-<platform>.yaml`: the agent tier of each platform (a DaemonSet on
  Kubernetes, a service on every VM, one process on the local platform). It enriches spans, strips
  PII and SQL literals, and either balances traces by trace ID over the gateways or, without a
  gateway tier, exports straight to the backends.
- `<env>/collector/gateway.yaml` (`gateway-<i>.yaml` per process on the local platform, whose
  ports differ): tail sampling, RED and service-graph metrics, export to every backend.
- `<env>/collector/modes/<mode>.yaml`: a sampling mode, passed as a second `--config` to the
  gateway; it replaces the tail sampler's policy list.
- `<env>/collector/README.md`: the above for the people who run it.

Every pipeline starts with memory_limiter. Component names follow the plan's collector version.
"""

from __future__ import annotations

from dataclasses import dataclass, field


from tracegen.errors import TracegenError
from tracegen.plan import model as pm
from tracegen.targets import collector_common as cc
from tracegen.targets import collector_exporters as ex
from tracegen.targets import collector_privacy as privacy
from tracegen.targets import collector_sampling as sampling
from tracegen.targets import templating
from tracegen.targets.artifact import Artifact
from tracegen.targets.serialize import to_yaml

TEMPLATE_FILE_PATH = "collector/README.md.j2"
QUEUE_STORAGE = "queue"


@dataclass
class _Config:
    """One collector config under construction."""

    receivers: dict = field(default_factory=dict)
    processors: dict = field(default_factory=dict)
    exporters: dict = field(default_factory=dict)
    connectors: dict = field(default_factory=dict)
    extensions: dict = field(default_factory=dict)
    pipelines: dict = field(default_factory=dict)
    telemetry: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        data = {"receivers": self.receivers, "processors": self.processors, "exporters": self.exporters,
                "connectors": self.connectors, "extensions": self.extensions,
                "service": {"extensions": sorted(self.extensions), "pipelines": self.pipelines,
                            "telemetry": self.telemetry}}
        return {key: value for key, value in data.items() if value}


@dataclass(frozen=True)
class CollectorFile:
    path: str
    role: str
    data: dict


def _base(c: cc.Components, env: pm.EnvironmentPlan, tier: pm.Tier, ports: pm.Ports,
          instance: str, tls: dict | None = None) -> tuple[_Config, str, str | None]:
    """Receiver, memory limiter, health check, telemetry and (if asked) the queue's storage."""
    host = cc.bind_host(tier)
    config = _Config()
    receiver = c.name(cc.OTLP_RECEIVER)
    config.receivers[receiver] = cc.otlp_receiver(ports, host, tls)
    limiter = c.name(cc.MEMORY_LIMITER)
    config.processors[limiter] = cc.memory_limiter(tier)
    config.extensions[c.name(cc.HEALTH_CHECK)] = cc.health_check(host, ports)
    config.telemetry = cc.telemetry(host, ports)
    storage = None
    if env.persistent_queue:
        storage = c.name(cc.FILE_STORAGE, QUEUE_STORAGE)
        config.extensions[storage] = cc.file_storage(cc.queue_directory(tier, env.name, instance))
    return config, receiver, storage


def _backends(c: cc.Components, env: pm.EnvironmentPlan, tier: pm.Tier, config: _Config,
              storage: str | None) -> list[str]:
    size = cc.queue_items(tier, len(env.exporters))
    names = []
    for exporter in env.exporters:
        name, body = ex.backend(c, exporter, cc.sending_queue(size, storage))
        config.exporters[name] = body
        names.append(name)
    if not names:
        name, body = ex.debug(c)
        config.exporters[name] = body
        names.append(name)
    return names


def _sample_and_measure(c: cc.Components, env: pm.EnvironmentPlan, tier: pm.Tier, config: _Config,
                        receiver: str, chain: list[str], exporters: list[str], index: int) -> None:
    """The pipelines of the tier that sees whole traces: tail sampling on the way to the backends,
    and RED / service-graph metrics from every span."""
    tail = env.tail_sampling
    if tail is not None:
        name = c.name(cc.TAIL_SAMPLING)
        config.processors[name] = sampling.tail_sampling(tail)
        config.pipelines["traces/sampled"] = cc.pipeline([receiver], [*chain, name], exporters)
    else:
        config.pipelines["traces"] = cc.pipeline([receiver], chain, exporters)
    metrics = env.derived_metrics
    connectors = []
    if metrics.span_metrics:
        name = c.name(cc.SPAN_METRICS)
        config.connectors[name] = {"exemplars": {"enabled": True}}
        connectors.append(name)
    if metrics.service_graph:
        name = c.name(cc.SERVICE_GRAPH)
        config.connectors[name] = {}
        connectors.append(name)
    if connectors:
        # RED metrics count all traffic, so the connectors hang off a second traces pipeline that
        # the receiver also feeds and that does not tail-sample.
        config.pipelines["traces/metrics"] = cc.pipeline([receiver], chain, connectors)
        prometheus = c.name(cc.PROMETHEUS)
        # Exemplars (links from a latency bucket to a trace) are only served in OpenMetrics format.
        config.exporters[prometheus] = {
            "endpoint": f"{cc.bind_host(tier)}:{metrics.prometheus_port + index}",
            "enable_open_metrics": True,
        }
        config.pipelines["metrics/derived"] = cc.pipeline(connectors, [c.name(cc.MEMORY_LIMITER)], [prometheus])


def agent(c: cc.Components, env: pm.EnvironmentPlan, tier: pm.Tier) -> dict:
    local = tier.platform == "local" and tier.instances
    instance = tier.instances[0].name if local else "agent"
    ports = tier.instances[0].ports if local else tier.ports
    config, receiver, storage = _base(c, env, tier, ports, instance)
    chain = [c.name(cc.MEMORY_LIMITER)]
    for name, body in privacy.processors(c, env, tier):
        config.processors[name] = body
        chain.append(name)
    if env.gateway is None:
        # A single instance sees every trace whole: it samples and measures itself (the plan
        # refuses tail sampling on a tier of several instances without a gateway).
        _sample_and_measure(c, env, tier, config, receiver, chain, _backends(c, env, tier, config, storage), 0)
        return config.as_dict()
    resolver = env.resolver_for(tier.platform)
    if resolver is None:
        raise TracegenError(f"environment '{env.name}': the {tier.platform} agents have no way to find the gateways")
    name, body = ex.load_balancer(c, resolver, env.gateway, cc.sending_queue(cc.queue_items(tier, 1), storage))
    config.exporters[name] = body
    config.pipelines["traces"] = cc.pipeline([receiver], chain, [name])
    return config.as_dict()


def _gateway_instance(c: cc.Components, env: pm.EnvironmentPlan, tier: pm.Tier, index: int,
                      ports: pm.Ports, instance: str) -> dict:
    tls = ex.GATEWAY_SERVER_TLS if tier.platform == "vm" else None
    config, receiver, storage = _base(c, env, tier, ports, instance, tls)
    exporters = _backends(c, env, tier, config, storage)
    _sample_and_measure(c, env, tier, config, receiver, [c.name(cc.MEMORY_LIMITER)], exporters, index)
    return config.as_dict()


def gateway(c: cc.Components, env: pm.EnvironmentPlan) -> list[tuple[str, dict]]:
    """(file stem, config): one per local process, else one for the whole tier."""
    tier = env.gateway
    assert tier is not None
    if tier.platform == "local":
        return [(inst.name, _gateway_instance(c, env, tier, i, inst.ports, inst.name))
                for i, inst in enumerate(tier.instances)]
    return [("gateway", _gateway_instance(c, env, tier, 0, tier.ports, "gateway"))]


def environment_files(env: pm.EnvironmentPlan) -> tuple[list[CollectorFile], set[str]]:
    """Every config of one environment, and the canonical ids of the components they use."""
    c = cc.Components(env.collector_version)
    files = [CollectorFile(f"agent-{tier.platform}.yaml", "agent", agent(c, env, tier)) for tier in env.agents]
    if env.gateway is not None:
        files += [CollectorFile(f"{stem}.yaml", "gateway", data) for stem, data in gateway(c, env)]
    if env.tail_sampling is not None:
        # Overlays for whichever tier samples: the gateway, or a lone agent.
        name = c.name(cc.TAIL_SAMPLING)
        role = "gateway" if env.gateway is not None else "agent"
        files += [CollectorFile(f"modes/{mode}.yaml", role, overlay)
                  for mode, overlay in sampling.mode_overlays(env.tail_sampling, name)]
    return files, set(c.used)


def components_used(env: pm.EnvironmentPlan) -> set[str]:
    """Canonical ids of every component the environment's collector configs use."""
    return environment_files(env)[1]


def _readme(env: pm.EnvironmentPlan, files: list[CollectorFile]) -> str:
    jinja = templating.environment()
    platforms = {tier.platform for tier in env.tiers}
    metrics = env.derived_metrics
    gateway_work = ["tail sampling"] if env.tail_sampling else []
    derived = [what for on, what in ((metrics.span_metrics, "RED metrics with exemplars"),
                                     (metrics.service_graph, "the service graph")) if on]
    if derived:
        several = env.gateway is not None and env.gateway.platform == "local" and len(env.gateway.instances) > 1
        port = f"port {metrics.prometheus_port}" + (" + the instance's index" if several else "")
        before = ", before sampling" if env.tail_sampling else ""
        gateway_work.append(f"{' and '.join(derived)} from every span{before} (Prometheus {port})")
    gateway_work.append("export to the backends")
    scrub = env.privacy
    scrubs = [what for on, what in ((scrub.delete_keys or scrub.hash_keys or scrub.mask_keys, "PII"),
                                    (scrub.blocked_value_patterns, "secret-looking values"),
                                    (scrub.sanitize_sql, "SQL literals"),
                                    (scrub.drop_keys, "high-cardinality keys")) if on]
    gateways = [f.path for f in files if f.role == "gateway" and not f.path.startswith("modes/")]
    return jinja.get_template(TEMPLATE_FILE_PATH).render(
        env=env, gateways=gateways, sampler_tier="gateway" if gateways else "agent",
        samplers=gateways or [f.path for f in files if f.role == "agent" and not f.path.startswith("modes/")],
        gateway_work=gateway_work, scrubs=scrubs,
        secrets=sorted({name for exporter in env.exporters for name in exporter.secret_env}),
        modes=[f.path[len("modes/"):-len(".yaml")] for f in files if f.path.startswith("modes/")],
        start_mode=env.tail_sampling.active_mode if env.tail_sampling else None,
        baseline=sampling.BASELINE_MODE, kubernetes="kubernetes" in {t.platform for t in env.agents},
        local="local" in platforms, remote=bool(platforms - {"local"}),
        state_env=cc.STATE_DIR_ENV, state_default=cc.STATE_DIR_DEFAULT, queue_directory=cc.QUEUE_DIRECTORY,
        node_env=privacy.K8S_NODE_ENV, tls_directory=ex.TLS_DIRECTORY)


def build(plan: pm.Plan) -> list[Artifact]:
    artifacts: list[Artifact] = []
    for env in plan.environments:
        files, _ = environment_files(env)
        for item in files:
            artifacts.append(Artifact(path=f"{env.name}/collector/{item.path}", kind="collector-config",
                                      content=to_yaml(item.data, source=plan.source_file),
                                      environment=env.name, role=item.role))
        artifacts.append(Artifact(path=f"{env.name}/collector/README.md", kind="docs",
                                  content=_readme(env, files), environment=env.name))
    return artifacts
