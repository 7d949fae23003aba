"""The plan: a resolved, per-environment model of what to deploy. Targets read only this.

Everything a target needs is decided here (tiers, ports, resolvers, exporters, samplers, resource
attributes), so two targets that must agree (the agent config and the DaemonSet that runs it, the
SDK's endpoint and the agent's port) read the same value instead of re-deriving it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from tracegen.plan.migration_model import MigrationPlan
    from tracegen.plan.collectors import CollectorSet
    from tracegen.plan.sampling_model import SamplingModel

Role = Literal["agent", "gateway"]
PlatformKind = Literal["kubernetes", "vm", "local"]

OTLP_GRPC_PORT = 4317
OTLP_HTTP_PORT = 4318
HEALTH_PORT = 13133
METRICS_PORT = 8888
# Kubernetes Service names, shared by the collector configs (resolver), the manifests and the SDKs.
AGENT_SERVICE = "otel-agent"
GATEWAY_SERVICE = "otel-gateway"
GATEWAY_HEADLESS = "otel-gateway-headless"


@dataclass(frozen=True)
class Ports:
    otlp_grpc: int = OTLP_GRPC_PORT
    otlp_http: int = OTLP_HTTP_PORT
    health: int = HEALTH_PORT
    metrics: int = METRICS_PORT


@dataclass(frozen=True)
class Instance:
    """One collector process whose config must differ from its siblings' (local platform), or a VM host."""

    name: str
    host: str
    ports: Ports = Ports()


@dataclass(frozen=True)
class Resolver:
    """How agents find gateways for trace-ID routing (load-balancing exporter)."""

    kind: Literal["k8s", "dns", "static"]
    port: int
    service: str | None = None            # k8s: "<headless service>.<namespace>"
    hostname: str | None = None           # dns
    hostnames: tuple[str, ...] = ()       # static: "host:port"


@dataclass(frozen=True)
class Tier:
    role: Role
    platform: PlatformKind
    placement: str                        # daemonset | namespace | sidecar | host | deployment | process
    replicas: int
    cpu: str
    memory_mib: int
    instances: tuple[Instance, ...] = ()  # vm hosts or local processes; empty on kubernetes
    namespace: str | None = None          # kubernetes
    ports: Ports = Ports()

    @property
    def memory_limiter(self) -> tuple[int, int]:
        """(limit_mib, spike_limit_mib): 80 % of the container limit, spikes a quarter of that."""
        limit = int(self.memory_mib * 0.8)
        return limit, max(1, limit // 4)


@dataclass(frozen=True)
class TlsFiles:
    """A collector's certificate, key and the CA it trusts, as paths its process sees."""

    cert_file: str
    key_file: str
    ca_file: str
    reload: bool = False                  # rotated in place (cert-manager Secrets): reread periodically


@dataclass(frozen=True)
class Issuer:
    """The cert-manager issuer of the Kubernetes collectors' certificates."""

    name: str
    kind: str
    group: str


@dataclass(frozen=True)
class Exposure:
    """Kubernetes gateways reached from outside the cluster (the environment's VM agents): a mutual-TLS
    OTLP receiver of their own, behind a Service of `type`, admitting only `sources`."""

    type: str                             # LoadBalancer | NodePort
    address: str                          # what the VM agents dial
    port: int                             # the Service port (LoadBalancer) or nodePort
    container_port: int                   # the gateways' external receiver
    sources: tuple[str, ...] = ()         # CIDRs of the VM agents (NetworkPolicy ipBlocks)
    annotations: tuple[tuple[str, str], ...] = ()
    # The gateways pass what arrives there on by trace ID over the gateway pods: the Kubernetes agents'
    # ring (the same "ip:port" endpoints), so a trace's spans from VMs and pods meet on one gateway.
    ring: Resolver | None = None


@dataclass(frozen=True)
class Transport:
    """How the agents reach the gateways, decided once per environment (plan/transport.py): mutual TLS
    on every hop that leaves a host or the cluster, plaintext only in-cluster or on loopback."""

    client_tls: tuple[tuple[str, TlsFiles], ...] = ()   # agent platform -> the certificate it presents
    server_name: str | None = None        # the name agents verify when they dial gateway pod IPs
    gateway_tls: TlsFiles | None = None   # the gateways' own OTLP receivers (mutual TLS)
    exposure: Exposure | None = None
    external_tls: TlsFiles | None = None  # the exposed receiver's
    issuer: Issuer | None = None          # signs the Kubernetes collectors' certificates
    plaintext_hops: tuple[str, ...] = ()  # hops that cross the network without TLS (tls.mode off)

    def client(self, platform: str) -> TlsFiles | None:
        return dict(self.client_tls).get(platform)


@dataclass(frozen=True)
class Exporter:
    """One backend, as the collector exports to it."""

    name: str
    backend_type: str                     # jaeger | tempo | honeycomb | datadog | otlp
    protocol: Literal["grpc", "http"]
    endpoint: str
    insecure: bool = False
    ca_file: str | None = None
    server_name: str | None = None
    headers: tuple[tuple[str, str], ...] = ()   # values are ${env:NAME} references or plain non-secrets
    secret_env: tuple[str, ...] = ()      # environment variables the collector needs at run time
    retention_hot_days: int | None = None
    retention_cold_days: int | None = None


@dataclass(frozen=True)
class Policy:
    name: str
    type: str                             # the blueprint's policy type
    params: tuple[tuple[str, object], ...] = ()

    def get(self, key: str, default: object = None) -> object:
        return dict(self.params).get(key, default)


@dataclass(frozen=True)
class TailSampling:
    decision_wait_s: float
    num_traces: int
    expected_new_traces_per_sec: int
    policies: tuple[Policy, ...]
    modes: tuple[tuple[str, tuple[Policy, ...]], ...] = ()   # mode name -> full policy list
    active_mode: str | None = None
    # Probabilistic decisions write their threshold into tracestate (ot=th:): the tail sampler's
    # `processor.tailsamplingprocessor.usetracestate` feature gate (alpha in 0.160).
    tracestate_thresholds: bool = False


@dataclass(frozen=True)
class Privacy:
    delete_keys: tuple[str, ...] = ()
    hash_keys: tuple[str, ...] = ()
    mask_keys: tuple[str, ...] = ()
    drop_keys: tuple[str, ...] = ()       # high-cardinality keys dropped
    blocked_value_patterns: tuple[str, ...] = ()
    sanitize_sql: bool = True


@dataclass(frozen=True)
class Slo:
    """A service's objectives (the blueprint's services.<name>.slo), for the generated alerting rules."""
    availability: float
    latency_ms: float | None = None
    latency_objective: float = 0.99


@dataclass(frozen=True, slots=True)   # one per service and environment: no __dict__ each
class ServicePlan:
    name: str
    version: str
    language: str
    framework: str | None
    edge: bool
    legacy_edge: bool
    propagators: tuple[str, ...]
    resource_attributes: tuple[tuple[str, str], ...]
    sampler: str                          # parentbased_always_on | parentbased_traceidratio
    sampler_ratio: float
    otlp_protocol: Literal["grpc", "http/protobuf"]
    otlp_endpoint: str                    # where the SDK exports (the local agent)
    inbound: tuple[str, ...] = ()
    outbound: tuple[str, ...] = ()
    calls: tuple[str, ...] = ()
    produces: tuple[tuple[str, str], ...] = ()   # (system, topic)
    consumes: tuple[tuple[str, str], ...] = ()
    datastores: tuple[str, ...] = ()
    owner_team: str | None = None
    owner_oncall: str | None = None
    namespace: str | None = None          # kubernetes app namespace
    workload: str = "Deployment"          # kubernetes workload kind its Component patches
    unit: str | None = None               # vm: the systemd unit the rollout restarts (None: not on VMs)
    health_url: str | None = None         # vm: polled after that restart
    hosts: tuple[str, ...] = ()           # vm hosts it runs on
    platform: PlatformKind | None = None  # where it runs: vm when a vm group lists it, else the other platform
    baggage_budget_bytes: int = 1024
    slo: Slo | None = None
    # The OTEL_* variables (name, value) every output that configures this service writes (plan/otel_env.py).
    otel_env: tuple[tuple[str, str], ...] = ()
    # generated: tracegen's bootstrap; operator: the OpenTelemetry Operator injects its agent on Kubernetes
    # (the language has an Operator injection and the blueprint asks for it; languages.Language.operator_inject).
    sdk_mode: Literal["generated", "operator"] = "generated"


@dataclass(frozen=True)
class Mesh:
    istio_sampling_percentage: float
    provider_name: str
    root_namespace: str
    collector_service: str                # host the mesh exports to (the node-local agent service)
    collector_port: int


@dataclass(frozen=True)
class Ingress:
    kind: str
    namespace: str
    collector_service: str
    collector_port: int
    sampling_ratio: float = 1.0           # the edge's head rate: the ingress is the first hop


@dataclass(frozen=True)
class DerivedMetrics:
    span_metrics: bool
    service_graph: bool
    prometheus_port: int


@dataclass(frozen=True)
class GitOps:
    repo_url: str
    revision: str
    path: str                              # output directory inside the repository ("" = its root)
    project: str


@dataclass(frozen=True)
class EnvironmentPlan:
    name: str
    blueprint_name: str
    collector_version: str
    agents: tuple[Tier, ...]
    gateway: Tier | None
    resolvers: tuple[tuple[str, Resolver], ...]   # agent platform -> how it finds gateways
    exporters: tuple[Exporter, ...]
    tail_sampling: TailSampling | None
    privacy: Privacy
    services: tuple[ServicePlan, ...]
    derived_metrics: DerivedMetrics
    persistent_queue: bool
    resource_attributes: tuple[tuple[str, str], ...]    # set by the collector on every span
    kubernetes_cluster: str | None = None
    app_namespaces: tuple[str, ...] = ()
    edge_namespaces: tuple[str, ...] = ()
    prometheus_namespaces: tuple[str, ...] = ()   # may scrape the collectors; () = by namespace label
    mesh: Mesh | None = None
    ingress: Ingress | None = None
    vm_groups: tuple[tuple[str, tuple[str, ...]], ...] = ()   # group -> hosts
    gitops: GitOps | None = None
    # The retention model: decision chain, retention per class and volumes (plan/retention.py).
    sampling: SamplingModel | None = None
    # (semantic-convention key, vendor key) the exporting tier inserts from the vendor key when only it
    # is set: a migration away from a vendor's naming (plan/migration.py).
    attribute_mapping: tuple[tuple[str, str], ...] = ()
    # How agents reach the gateways: TLS, certificates, exposure (plan/transport.py).
    transport: Transport = Transport()
    # Every collector config of the environment, computed once by the planner (plan/collectors.py).
    collectors: CollectorSet | None = None
    # How the Kubernetes collectors are deployed: kustomize manifests or the Operator's OpenTelemetryCollector.
    collector_deployment: Literal["kustomize", "operator"] = "kustomize"

    def resolver_for(self, platform: str) -> Resolver | None:
        return dict(self.resolvers).get(platform)

    @property
    def tiers(self) -> tuple[Tier, ...]:
        return self.agents + ((self.gateway,) if self.gateway else ())


@dataclass(frozen=True)
class Plan:
    blueprint_name: str
    source_file: str
    environments: tuple[EnvironmentPlan, ...] = field(default_factory=tuple)
    # Backend migrations in progress, resolved (plan/migration.py).
    migrations: tuple[MigrationPlan, ...] = ()
