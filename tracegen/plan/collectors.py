"""The collectors of one environment, computed once: a `CollectorSet`.

Every collector config the environment runs (an agent per platform, the gateway or one per local
gateway process, a sampling-mode overlay per mode) as Python data, its serialised bytes, the
components it names, the secrets (environment variables) it references and the metric names its
connectors emit. The collector target writes `text`, the Kubernetes ConfigMaps embed the same
`text`, the builder manifest lists `components`: they agree by construction, not by convention.

Config pieces come from collector_common (receivers, limits, queues), collector_privacy (agent
processors), collector_exporters (backends, the load balancer) and collector_sampling (the tail
sampler); this module assembles them into pipelines.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from tracegen import components, encoding, secrets
from tracegen.errors import TracegenError
from tracegen.plan import collector_common as cc
from tracegen.plan import collector_exporters as ex
from tracegen.plan import collector_privacy as privacy
from tracegen.plan import collector_sampling as sampling
from tracegen.plan import model as pm
from tracegen.plan import remote_sampling
from tracegen.serialize import to_yaml

QUEUE_STORAGE = "queue"
MODES_DIRECTORY = "modes"
SECTIONS = {"receivers": "receiver", "processors": "processor", "exporters": "exporter",
            "connectors": "connector", "extensions": "extension"}


@dataclass(frozen=True)
class ConnectorMetric:
    """A metric a connector emits, under its OTel name and as the Prometheus exporter serves it."""

    connector: str            # canonical id
    name: str
    kind: str                 # sum | histogram
    unit: str
    prometheus: str


# The connectors' default metric names (tracegen sets no namespace), read from the connectors'
# sources at the pinned module versions: spanmetricsconnector v0.160.0 (DefaultNamespace
# "traces.span.metrics", duration in ms unless the useSecondAsDefaultMetricsUnit gate is on) and
# servicegraphconnector v0.158.0 (server/client latency in seconds; the legacy
# `..._request_duration` name only behind its feature gate). The Prometheus names were scraped from
# a 0.160.0 build fed client/server spans (request_failed_total appears once a request fails).
SPAN_METRICS_NAMESPACE = "traces.span.metrics"
CONNECTOR_METRICS: dict[str, tuple[ConnectorMetric, ...]] = {
    cc.SPAN_METRICS: (
        ConnectorMetric(cc.SPAN_METRICS, f"{SPAN_METRICS_NAMESPACE}.calls", "sum", "",
                        "traces_span_metrics_calls_total"),
        ConnectorMetric(cc.SPAN_METRICS, f"{SPAN_METRICS_NAMESPACE}.duration", "histogram", "ms",
                        "traces_span_metrics_duration_milliseconds"),
    ),
    cc.SERVICE_GRAPH: (
        ConnectorMetric(cc.SERVICE_GRAPH, "traces_service_graph_request_total", "sum", "",
                        "traces_service_graph_request_total"),
        ConnectorMetric(cc.SERVICE_GRAPH, "traces_service_graph_request_failed_total", "sum", "",
                        "traces_service_graph_request_failed_total"),
        ConnectorMetric(cc.SERVICE_GRAPH, "traces_service_graph_request_server", "histogram", "s",
                        "traces_service_graph_request_server_seconds"),
        ConnectorMetric(cc.SERVICE_GRAPH, "traces_service_graph_request_client", "histogram", "s",
                        "traces_service_graph_request_client_seconds"),
    ),
}


@dataclass(frozen=True)
class CollectorConfig:
    """One collector config file. `data` is the config; treat it as read-only."""

    path: str                          # under <env>/collector/
    role: pm.Role
    platform: str | None               # the tier's platform; None for a mode overlay
    data: dict
    text: str                          # the serialised bytes every consumer writes or embeds
    components: frozenset[str]         # canonical ids of the components it names
    secrets: tuple[str, ...]           # ${env:NAME} the collector must be given at run time
    mode: str | None = None            # a sampling-mode overlay's mode
    # Command-line flags besides --config that the process running this config needs (e.g. a feature
    # gate); every target (Kubernetes args, Ansible's ExecStart, the README's command) reads these.
    args: tuple[str, ...] = ()

    @property
    def is_overlay(self) -> bool:
        return self.mode is not None


@dataclass(frozen=True)
class CollectorSet:
    environment: str
    collector_version: str
    configs: tuple[CollectorConfig, ...]
    metrics: tuple[ConnectorMetric, ...] = ()
    prometheus_port: int | None = None       # where the derived metrics are served (+ instance index)

    @property
    def components(self) -> frozenset[str]:
        return frozenset().union(*(c.components for c in self.configs))

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(sorted({s for c in self.configs for s in c.secrets}))

    def agent(self, platform: str) -> CollectorConfig | None:
        return next((c for c in self.configs if c.role == "agent" and c.platform == platform), None)

    def args(self, role: pm.Role, platform: str) -> tuple[str, ...]:
        """Flags besides --config for the processes of `role` on `platform` (CollectorConfig.args)."""
        return next((c.args for c in self.configs if c.role == role and c.platform == platform
                     and not c.is_overlay), ())

    @property
    def gateways(self) -> tuple[CollectorConfig, ...]:
        return tuple(c for c in self.configs if c.role == "gateway" and not c.is_overlay)

    @property
    def overlays(self) -> tuple[CollectorConfig, ...]:
        return tuple(c for c in self.configs if c.is_overlay)


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


def _base(c: cc.Components, env: pm.EnvironmentPlan, tier: pm.Tier, ports: pm.Ports,
          instance: str, tls: dict | None = None) -> tuple[_Config, str, str | None]:
    """Receiver, memory limiter, health check, telemetry and (if asked) the queue's storage."""
    host = cc.bind_host(tier)
    config = _Config()
    receiver = c.name(cc.OTLP_RECEIVER)
    config.receivers[receiver] = cc.otlp_receiver(ports, cc.receiver_host(tier), tls)
    limiter = c.name(cc.MEMORY_LIMITER)
    config.processors[limiter] = cc.memory_limiter(tier)
    # A VM agent's health is read on its own host (the role's probe); Prometheus still scrapes `host`.
    config.extensions[c.name(cc.HEALTH_CHECK)] = cc.health_check(cc.receiver_host(tier), ports)
    config.telemetry = cc.telemetry(host, ports)
    storage = None
    if env.persistent_queue:
        storage = c.name(cc.FILE_STORAGE, QUEUE_STORAGE)
        config.extensions[storage] = cc.file_storage(cc.queue_directory(tier, env.name, instance))
    return config, receiver, storage


def _own_storage(c: cc.Components, env: pm.EnvironmentPlan, tier: pm.Tier, config: _Config,
                 storage: str | None, backend: str) -> str | None:
    """Each backend exporter's persistent queue has a file_storage of its own, in a directory named
    after the backend: in a fan-out (a migration's dual-write) one backend's backlog never shares
    files, compaction or a disk-full failure with another's, and the name and directory stay the same
    when backends are added or removed, so a phase change never strands what is still queued."""
    if storage is None:
        return storage
    own = c.name(cc.FILE_STORAGE, f"{QUEUE_STORAGE}-{backend}")
    directory = config.extensions[storage]["directory"]
    config.extensions[own] = cc.file_storage(type(directory)(f"{directory}/{backend}"))
    return own


def _mapping(c: cc.Components, env: pm.EnvironmentPlan, config: _Config) -> list[str]:
    """The migration's resource-attribute mapping, if any, as processor names for the exporting chain."""
    mapping = ex.attribute_mapping(c, env)
    if mapping is None:
        return []
    config.processors[mapping[0]] = mapping[1]
    return [mapping[0]]


def _backends(c: cc.Components, env: pm.EnvironmentPlan, tier: pm.Tier, config: _Config,
              storage: str | None) -> list[str]:
    size = cc.queue_items(tier, len(env.exporters))
    names = []
    for exporter in env.exporters:
        name, body = ex.backend(c, exporter, cc.sending_queue(size, _own_storage(c, env, tier, config, storage,
                                                                                  exporter.name)))
        config.exporters[name] = body
        names.append(name)
    if storage is not None and env.exporters:
        del config.extensions[storage]       # every exporter has its own (_own_storage)
    if not names:
        name, body = ex.debug(c)
        config.exporters[name] = body
        names.append(name)
    return names


def _sample_and_measure(c: cc.Components, env: pm.EnvironmentPlan, tier: pm.Tier, config: _Config,
                        receivers: list[str], chain: list[str], exporters: list[str], index: int) -> None:
    """The pipelines of the tier that sees whole traces: tail sampling on the way to the backends,
    and RED / service-graph metrics from every span."""
    tail = env.tail_sampling
    if tail is not None:
        name = c.name(cc.TAIL_SAMPLING)
        config.processors[name] = sampling.tail_sampling(tail)
        config.pipelines["traces/sampled"] = cc.pipeline(receivers, [*chain, name], exporters)
    else:
        config.pipelines["traces"] = cc.pipeline(receivers, chain, exporters)
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
        config.pipelines["traces/metrics"] = cc.pipeline(receivers, chain, connectors)
        prometheus = c.name(cc.PROMETHEUS)
        # Exemplars (links from a latency bucket to a trace) are only served in OpenMetrics format.
        config.exporters[prometheus] = {
            "endpoint": f"{cc.bind_host(tier)}:{metrics.prometheus_port + index}",
            "enable_open_metrics": True,
        }
        config.pipelines["metrics/derived"] = cc.pipeline(connectors, [c.name(cc.MEMORY_LIMITER)], [prometheus])


def agent_extensions(c: cc.Components, env: pm.EnvironmentPlan, tier: pm.Tier) -> dict[str, dict]:
    """Extensions an agent runs besides health_check and the queue's storage (name -> config), e.g. a
    sampling-strategy server the SDKs poll. Add them here: the service's extension list, the
    components and the builder manifest follow from the config."""
    strategies = remote_sampling.extension(env, tier)
    return {c.name(remote_sampling.EXTENSION): strategies} if strategies is not None else {}


def agent(c: cc.Components, env: pm.EnvironmentPlan, tier: pm.Tier) -> dict:
    local = tier.platform == "local" and tier.instances
    instance = tier.instances[0].name if local else "agent"
    ports = tier.instances[0].ports if local else tier.ports
    config, receiver, storage = _base(c, env, tier, ports, instance)
    config.extensions.update(agent_extensions(c, env, tier))
    chain = [c.name(cc.MEMORY_LIMITER)]
    for name, body in privacy.processors(c, env, tier):
        config.processors[name] = body
        chain.append(name)
    if env.gateway is None:
        # A single instance sees every trace whole: it samples and measures itself (the plan
        # refuses tail sampling on a tier of several instances without a gateway).
        chain += _mapping(c, env, config)
        _sample_and_measure(c, env, tier, config, [receiver], chain, _backends(c, env, tier, config, storage), 0)
        return config.as_dict()
    resolver = env.resolver_for(tier.platform)
    if resolver is None:
        raise TracegenError(f"environment '{env.name}': the {tier.platform} agents have no way to find the gateways")
    name, body = ex.load_balancer(c, resolver, env, tier, cc.sending_queue(cc.queue_items(tier, 1), storage))
    config.exporters[name] = body
    config.pipelines["traces"] = cc.pipeline([receiver], chain, [name])
    return config.as_dict()


def _gateway_instance(c: cc.Components, env: pm.EnvironmentPlan, tier: pm.Tier, index: int,
                      ports: pm.Ports, instance: str) -> dict:
    transport = env.transport
    files = transport.gateway_tls if tier.platform != "local" else None
    config, receiver, storage = _base(c, env, tier, ports, instance, ex.server_tls(files) if files else None)
    receivers = [receiver]
    exposure = transport.exposure
    if exposure is not None and exposure.ring is not None and tier.platform == "kubernetes":
        # Agents outside the cluster arrive through the exposure's Service on a receiver of their own
        # (always mutual TLS unless tls.mode is off). A load balancer spreads connections, not traces:
        # what arrives there goes on by trace ID over the gateway pods, the ring the Kubernetes agents
        # route by, so every span of a trace meets on one gateway whichever agent sent it.
        external = c.name(cc.OTLP_RECEIVER, "external")
        tls = ex.server_tls(transport.external_tls) if transport.external_tls else None
        config.receivers[external] = cc.external_receiver(exposure.container_port, tls)
        reroute_storage = None
        if storage is not None:
            reroute_storage = c.name(cc.FILE_STORAGE, f"{QUEUE_STORAGE}-external")
            config.extensions[reroute_storage] = cc.file_storage(f"{cc.QUEUE_DIRECTORY}/external")
        name, body = ex.load_balancer(c, exposure.ring, env, tier,
                                      cc.sending_queue(cc.queue_items(tier, 1), reroute_storage))
        config.exporters[name] = body
        config.pipelines["traces/external"] = cc.pipeline([external], [c.name(cc.MEMORY_LIMITER)], [name])
    exporters = _backends(c, env, tier, config, storage)
    chain = [c.name(cc.MEMORY_LIMITER), *_mapping(c, env, config)]
    _sample_and_measure(c, env, tier, config, receivers, chain, exporters, index)
    return config.as_dict()


def gateway(c: cc.Components, env: pm.EnvironmentPlan) -> list[tuple[str, dict]]:
    """(file stem, config): one per local process, else one for the whole tier."""
    tier = env.gateway
    assert tier is not None
    if tier.platform == "local":
        return [(inst.name, _gateway_instance(c, env, tier, i, inst.ports, inst.name))
                for i, inst in enumerate(tier.instances)]
    return [("gateway", _gateway_instance(c, env, tier, 0, tier.ports, "gateway"))]


def _strings(data: object) -> Iterator[str]:
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from _strings(key)
            yield from _strings(value)
    elif isinstance(data, (list, tuple)):
        for value in data:
            yield from _strings(value)


def components_of(data: dict, collector_version: str) -> frozenset[str]:
    """Canonical ids of the components a config (or an overlay) names, read from its sections."""
    found = set()
    for section, kind in SECTIONS.items():
        for name in data.get(section, {}):
            found.add(components.canonical_for(kind, name.split("/", 1)[0], collector_version))
    return frozenset(found)


def _config(path: str, role: pm.Role, platform: str | None, data: dict, version: str, source: str,
            mode: str | None = None, args: tuple[str, ...] = ()) -> CollectorConfig:
    # Secrets: the ${env:NAME} inside the references put there on purpose (tracegen.secrets), read
    # before encoding turns every other `$` into `$$`.
    names = {n for s in _strings(data) if isinstance(s, secrets.Reference) for n in secrets.reference_names(s)}
    data = encoding.collector_config(data)
    return CollectorConfig(
        path=path, role=role, platform=platform, data=data, text=to_yaml(data, source=source),
        components=components_of(data, version), secrets=tuple(sorted(names)), mode=mode, args=args)


def collector_set(env: pm.EnvironmentPlan, source: str) -> CollectorSet:
    """Every config of one environment. `source` is the blueprint path the files' header names."""
    version = env.collector_version
    c = cc.Components(version)
    # The tier that tail-samples (the gateways, or a lone agent) runs with the sampler's flags.
    sampler_args = sampling.process_args(env.tail_sampling)
    agent_args = sampler_args if env.gateway is None else ()
    configs = [_config(f"agent-{tier.platform}.yaml", "agent", tier.platform, agent(c, env, tier), version, source,
                       args=agent_args)
               for tier in env.agents]
    if env.gateway is not None:
        configs += [_config(f"{stem}.yaml", "gateway", env.gateway.platform, data, version, source, args=sampler_args)
                    for stem, data in gateway(c, env)]
    if env.tail_sampling is not None:
        # Overlays for whichever tier samples: the gateway, or a lone agent.
        name = c.name(cc.TAIL_SAMPLING)
        role = "gateway" if env.gateway is not None else "agent"
        configs += [_config(f"{MODES_DIRECTORY}/{mode}.yaml", role, None, overlay, version, source, mode=mode)
                    for mode, overlay in sampling.mode_overlays(env.tail_sampling, name)]
    used = frozenset().union(*(config.components for config in configs))
    metrics = tuple(m for connector in sorted(used) for m in CONNECTOR_METRICS.get(connector, ()))
    return CollectorSet(env.name, version, tuple(configs), metrics,
                        env.derived_metrics.prometheus_port if metrics else None)
