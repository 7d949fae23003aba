"""The blueprint schema: one place, pydantic v2, no unknown keys.

`tracegen schema` prints the JSON Schema of `Blueprint` for editors. Field descriptions here are
the blueprint reference; keep them short and true.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, ClassVar, Literal, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from tracegen import backends, languages, secrets
from tracegen.blueprint.fields import (MULTILINE, Address, AttributeValue, ClusterName, Dataset, DottedPath,
                                       Endpoint, GitRevision, GitUrl, HeaderName, HeaderValue, Hostname, HttpUrl,
                                       KubernetesName, Propagator, Regex, RelativePath, SystemdUnit, Topic,
                                       TraceStateKey, Version, Word, check_text)

SCHEMA_VERSION = 1
MAX_NUMBER = 10 ** 12
MIN_NUMBER = 1e-6

NAME = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"
ATTRIBUTE_KEY = r"^[A-Za-z_][A-Za-z0-9_.\-]*$"
DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m)$")


class Strict(BaseModel):
    # No .inf/.nan anywhere: every number in a blueprint is a finite quantity the planner computes with.
    model_config = ConfigDict(extra="forbid", populate_by_name=True, allow_inf_nan=False)

    @field_validator("*", mode="after")
    @classmethod
    def _sane_magnitude(cls, value):
        # The planner multiplies these (rps x spans x bytes x seconds): 1e308 overflowed it (exit 70).
        if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) > MAX_NUMBER:
            raise ValueError(f"numbers in a blueprint are at most {MAX_NUMBER:.0e} in size")
        # ... and 1e-308 underflowed it (a rate divided by it is infinite): tiny numbers are 0 or a typo.
        if isinstance(value, float) and 0 < abs(value) < MIN_NUMBER:
            raise ValueError(f"numbers in a blueprint are 0 or at least {MIN_NUMBER:g} in size")
        return value
    # Prose fields that may span lines (never written into generated files).
    _multiline: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: object, info: ValidationInfo) -> object:
        check_text(value, MULTILINE if info.field_name in cls._multiline else "")
        return value


def duration_seconds(text: str) -> float:
    match = DURATION.match(text)
    if not match:
        raise ValueError(f"'{text}' is not a duration like 500ms, 10s or 1m")
    value, unit = float(match.group(1)), match.group(2)
    return value * {"ms": 0.001, "s": 1.0, "m": 60.0}[unit]


Duration = Annotated[str, Field(pattern=DURATION.pattern, description="A duration: 500ms, 10s, 1m")]
Percentage = Annotated[float, Field(ge=0, le=100)]
Ratio = Annotated[float, Field(ge=0, le=1)]
Name = Annotated[str, Field(pattern=NAME)]
AttributeKey = Annotated[str, Field(pattern=ATTRIBUTE_KEY)]


# --------------------------------------------------------------------------- standards
class AttributeRule(Strict):
    key: AttributeKey
    action: Literal["delete", "hash", "mask"] = Field(
        description="delete the attribute, hash its value (SHA-256), or mask it (****)")


class CardinalityRule(Strict):
    key: AttributeKey
    action: Literal["drop", "hash"] = "drop"


class ResourceAttributeStandard(Strict):
    required: list[AttributeKey] = Field(
        default_factory=lambda: ["service.name", "service.version", "deployment.environment.name"])
    values: dict[AttributeKey, AttributeValue] = Field(
        default_factory=dict, description="Organisation-wide values (e.g. cloud.region) set on every service")


class SamplingTargets(Strict):
    """Shares of traces that must reach the backends (the playbook's exit criteria)."""
    errors: Ratio = Field(0.99, description="Error traces kept")
    slow: Ratio = Field(0.99, description="Traces slower than the lowest latency threshold kept")
    coverage: Ratio = Field(0.9, description="Root requests whose trace is recorded before any sampling")
    healthy_min: Ratio = Field(0.05, description="Least share of healthy traces kept (the baseline)")
    healthy_max: Ratio = Field(0.10, description="Most share of healthy traces kept (cost)")
    propagation: Ratio = Field(0.99, description="Calls into a service whose trace context arrives (measured "
                                                 "live by the alerting rules and `tracegen verify`)")


class Pricing(Strict):
    """List prices for the cost estimate in `tracegen plan` (US dollars); each overrides the backend type's
    default (tracegen/plan/cost.py names the defaults and their sources)."""
    usd_per_gb_ingested: float | None = Field(None, ge=0)
    usd_per_million_spans: float | None = Field(None, ge=0, description="Per event (Honeycomb: one span, one event)")
    usd_per_million_indexed_spans: float | None = Field(None, ge=0, description="Per indexed span (Datadog)")
    indexed_share: Ratio | None = Field(None, description="Share of exported spans indexed (retention filters)")
    usd_per_gb_month_stored: float | None = Field(None, ge=0)
    included_retention_days: int | None = Field(None, ge=0, description="Days stored at no extra cost")


class Budget(Strict):
    """What tracing may cost per environment at the declared peak (TG311)."""
    usd_per_day: float | None = Field(None, gt=0)
    usd_per_1000_requests: float | None = Field(None, gt=0)


class Standards(Strict):
    propagators: list[Propagator] = Field(default_factory=lambda: ["tracecontext", "baggage"])
    resource_attributes: ResourceAttributeStandard = Field(default_factory=ResourceAttributeStandard)
    baggage_budget_bytes: int = Field(1024, gt=0)
    pii: list[AttributeRule] = Field(default_factory=list)
    pii_value_patterns: list[Regex] = Field(
        default_factory=list, description="Regexes of values to mask wherever they appear (card numbers...)")
    high_cardinality: list[CardinalityRule] = Field(default_factory=list)
    sanitize_sql: bool = True
    sampling_targets: SamplingTargets = Field(default_factory=lambda: SamplingTargets())
    budget: Budget | None = Field(None, description="Most the tracing may cost (tracegen plan's estimate, TG311)")


# --------------------------------------------------------------------------- services
class Owner(Strict):
    team: str = Field(min_length=1)
    oncall: str | None = Field(None, description="Pager rotation or channel, e.g. pagerduty:payments")


class MessagingTopic(Strict):
    system: Literal["kafka", "rabbitmq", "sqs"]
    topic: Topic


class Messaging(Strict):
    produces: list[MessagingTopic] = Field(default_factory=list)
    consumes: list[MessagingTopic] = Field(default_factory=list)


Datastore = Literal["postgres", "mysql", "mssql", "oracle", "sqlite", "redis", "valkey", "mongodb", "memcached",
                    "cassandra", "elasticsearch", "opensearch", "dynamodb", "kafka"]
SQL_DATASTORES = frozenset({"postgres", "mysql", "mssql", "oracle", "sqlite"})


class Slo(Strict):
    """A service's objectives over 30 days, measured from the span metrics of its SERVER and CONSUMER
    spans (before sampling) by the generated Prometheus rules (`<env>/prometheus/`)."""
    availability: float = Field(ge=0.9, le=0.99999, description="Share of requests without an error status, "
                                                               "e.g. 0.999")
    latency_ms: float | None = Field(None, gt=0, description="Latency threshold: a bucket boundary of the span "
                                                             "metrics duration histogram (2, 4, 6, 8, 10, 50, 100, "
                                                             "200, 400, 800, 1000, 1400, 2000, 5000, 10000, 15000)")
    latency_objective: float = Field(0.99, ge=0.9, le=0.99999,
                                     description="Share of requests faster than latency_ms")

    @field_validator("latency_ms")
    @classmethod
    def _a_bucket(cls, value: float | None) -> float | None:
        # The rules count requests under the threshold with the histogram's `le` bucket; a value between
        # two boundaries would silently measure the next one.
        if value is not None and value not in SPAN_METRICS_BUCKETS_MS:
            raise ValueError(f"latency_ms must be a bucket boundary of the span metrics histogram: "
                             f"{', '.join(f'{b:g}' for b in SPAN_METRICS_BUCKETS_MS)}")
        return value


# The span_metrics connector's default explicit buckets (ms) at the pinned collector (tracegen sets none).
SPAN_METRICS_BUCKETS_MS = (2, 4, 6, 8, 10, 50, 100, 200, 400, 800, 1000, 1400, 2000, 5000, 10000, 15000)


WorkloadKind = Literal["Deployment", "StatefulSet", "DaemonSet", "CronJob", "Rollout"]


class ServiceKubernetes(Strict):
    """Where and as what the service runs on Kubernetes."""
    namespace: Name | None = Field(
        None, description="One of the environment's app_namespaces (edge_namespaces for an edge service). "
                          "Default: the first edge namespace for an edge service, else the first app namespace")
    workload: WorkloadKind = Field(
        "Deployment", description="Kind of the workload its Component patches (Rollout: Argo Rollouts); "
                                  "the workload is named like the service")


class ServiceVm(Strict):
    """How the service runs on VM hosts: what the Ansible rollout restarts and checks."""
    unit: SystemdUnit | None = Field(None, description="Its systemd unit. Default: <service>.service")
    health_url: HttpUrl | None = Field(
        None, description="Polled on the host after the restart (2xx or 3xx is healthy); without it, the "
                          "unit staying active is the check")


class SdkSettings(Strict):
    mode: Literal["generated", "operator"] = Field(
        "generated", description="generated: tracegen writes each service's bootstrap (sdk/<service>/). operator: "
                                 "the OpenTelemetry Operator injects its zero-code agent (an Instrumentation per "
                                 "environment, an inject annotation in each service's Component) where it has one "
                                 "for the language; the others keep the generated route")


class Service(Strict):
    version: Version
    # One module per language in tracegen/languages; an alias (typescript, javascript -> node; elixir ->
    # erlang) becomes the language's name here, so the plan and every output see only registered names.
    language: Annotated[Literal[languages.ACCEPTED], AfterValidator(languages.canonical)] = Field(
        description="The service's language; none: a proxy or server with its own tracer (Envoy, nginx)")
    sdk: SdkSettings | None = Field(None, description="Overrides the top-level sdk settings for this service")
    framework: Word | None = Field(None, description="express, spring, grpc, fastapi, flask, ...")
    owner: Owner | None = None
    tier: int = Field(2, ge=0, le=4, description="Criticality: 0 most critical")
    edge: bool = Field(False, description="Receives traffic from outside; its head sampler decides")
    legacy_edge: bool = Field(False, description="An edge allowed to accept B3 headers from old callers")
    peak_rps: float = Field(0, ge=0, description="Expected peak requests per second")
    spans_per_request: int = Field(10, ge=1)
    inbound: list[Literal["http", "grpc"]] = Field(default_factory=list)
    outbound: list[Literal["http", "grpc"]] = Field(default_factory=list)
    calls: list[Name] = Field(default_factory=list, description="Services this one calls")
    messaging: Messaging = Field(default_factory=Messaging)
    datastores: list[Datastore] = Field(default_factory=list)
    propagators: list[Propagator] | None = Field(None, description="Overrides standards.propagators")
    resource_attributes: dict[AttributeKey, AttributeValue] = Field(default_factory=dict)
    span_attributes: list[AttributeKey] = Field(
        default_factory=list, description="Attribute keys the service's code sets on spans")
    export_endpoint: Endpoint | None = Field(
        None, description="Where the SDK exports; default is the local agent. Never a vendor.")
    kubernetes: ServiceKubernetes = Field(default_factory=ServiceKubernetes)
    vm: ServiceVm = Field(default_factory=ServiceVm)
    slo: Slo | None = Field(None, description="Availability and latency objectives (alerting rules)")


# --------------------------------------------------------------------------- backends
class Tls(Strict):
    insecure: bool = False
    ca_file: str | None = None
    server_name: Hostname | None = None


class Retention(Strict):
    hot_days: int = Field(ge=0)
    cold_days: int = Field(0, ge=0)


class Backend(Strict):
    type: Literal[backends.NAMES]          # one module per type in tracegen/backends
    endpoint: Endpoint = Field(description="host:port (gRPC) or URL for protocol http")
    protocol: Literal["grpc", "http"] = "grpc"
    tls: Tls = Field(default_factory=Tls)
    api_key: str | None = Field(None, description="A reference: ${env:NAME}. Never the key itself.")
    headers: dict[HeaderName, HeaderValue] = Field(
        default_factory=dict, description="Sent with every export. A credential header (authorization, "
                                          "*-key, *-token...) holds a reference ${env:NAME}; any other "
                                          "header holds text, sent as written")
    dataset: Dataset | None = Field(None, description="Honeycomb dataset / Tempo tenant (X-Scope-OrgID)")
    site: Hostname | None = Field(None, description="Datadog site, e.g. datadoghq.eu (for readers: the endpoint "
                                               "decides where spans go)")
    environments: list[Name] = Field(default_factory=list, description="Environments that export here")
    retention: Retention | None = None
    pricing: Pricing | None = Field(None, description="Overrides the type's list prices for the cost estimate")

    @field_validator("headers")
    @classmethod
    def _references_only_in_credential_headers(cls, value: dict[str, str]) -> dict[str, str]:
        # The collector expands a reference, so the one in `x-tenant: ${env:AWS_SECRET_ACCESS_KEY}`
        # would send the process's secret to the backend: only credential headers may hold one.
        for name, text in value.items():
            if secrets.is_header_reference(text) and not secrets.secret_name(name):
                raise ValueError(f"header '{name}' is not a credential header, so its value is sent as written: "
                                 "a reference ${env:NAME} belongs only in credential headers (authorization, "
                                 "*-key, *-token, ...) or api_key")
        return value


# --------------------------------------------------------------------------- sampling
class _Policy(Strict):
    name: Name


class ErrorsPolicy(_Policy):
    type: Literal["errors"]


class LatencyPolicy(_Policy):
    type: Literal["latency"]
    threshold_ms: int = Field(gt=0)
    upper_threshold_ms: int | None = Field(None, gt=0)


class ProbabilisticPolicy(_Policy):
    type: Literal["probabilistic"]
    percentage: Percentage


class AttributePolicy(_Policy):
    type: Literal["attribute"]
    key: AttributeKey
    values: list[str | int | float | bool] = Field(min_length=1)
    invert: bool = False


class NumericAttributePolicy(_Policy):
    type: Literal["numeric_attribute"]
    key: AttributeKey
    min: int | None = None
    max: int | None = None


class RateLimitPolicy(_Policy):
    type: Literal["rate_limit"]
    spans_per_second: int = Field(gt=0)


class SpanCountPolicy(_Policy):
    type: Literal["span_count"]
    min_spans: int = Field(ge=1)
    max_spans: int | None = None


class TraceStatePolicy(_Policy):
    type: Literal["trace_state"]
    key: TraceStateKey
    values: list[str] = Field(min_length=1)


class OttlPolicy(_Policy):
    type: Literal["ottl"]
    span: list[str] = Field(default_factory=list, description="OTTL span conditions, any matches")
    spanevent: list[str] = Field(default_factory=list)


Policy = Annotated[
    Union[ErrorsPolicy, LatencyPolicy, ProbabilisticPolicy, AttributePolicy, NumericAttributePolicy,
          RateLimitPolicy, SpanCountPolicy, TraceStatePolicy, OttlPolicy],
    Field(discriminator="type"),
]


class HeadSampling(Strict):
    edge_rate: Ratio | None = Field(
        None, description="Share of new traces the edge (ingress, mesh, edge SDKs) records. Default: 1.0 "
                          "with strategy collector, 0.1 with strategy edge_head")
    services: dict[Name, Ratio] = Field(default_factory=dict, description="Per-service root ratio")


class Assumptions(Strict):
    """Traffic figures the retention model and `tracegen plan` predict with (not measured)."""
    error_rate: Ratio = Field(0.01, description="Share of root requests that end in an error")
    slow_rate: Ratio = Field(0.05, description="Share of root requests slower than the lowest latency "
                                               "policy's threshold")
    span_bytes: int = Field(600, gt=0, description="Average size of one span as exported (OTLP protobuf)")
    policy_rates: dict[str, Ratio] = Field(
        default_factory=dict, description="Share of traces each other tail policy matches, by policy name "
                                          "(default 0.01)")


class BaselineCap(Strict):
    """A ceiling on the healthy baseline, for the whole gateway tier (tracegen divides it per replica)."""
    spans_per_second: int | None = Field(None, gt=0)
    bytes_per_second: int | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _one_unit(self) -> "BaselineCap":
        if (self.spans_per_second is None) == (self.bytes_per_second is None):
            raise ValueError("give exactly one of spans_per_second or bytes_per_second")
        return self


class Mode(Strict):
    """A named sampling mode the collector can switch to without redeploying apps."""
    _multiline = frozenset({"description"})
    description: str | None = None
    probabilistic_percentage: Percentage | None = Field(
        None, description="Replaces the share of every probabilistic policy")
    add_policies: list[Policy] = Field(default_factory=list)


class TailSampling(Strict):
    enabled: bool = True
    decision_wait: Duration = "10s"
    num_traces: int | None = Field(None, gt=0, description="Default: peak rps x decision wait x 2")
    expected_new_traces_per_sec: int | None = Field(None, gt=0)
    policies: list[Policy] = Field(default_factory=list)
    baseline_cap: Literal["auto", "off"] | BaselineCap = Field(
        "auto", description="Ceiling on the probabilistic (healthy) share so vendor cost stays bounded; "
                            "errors, slow and attribute policies are never capped. auto: the share's volume "
                            "at the declared peak plus 20 %")


class Sampling(Strict):
    strategy: Literal["collector", "edge_head"] = Field(
        "collector", description="collector: apps and mesh record every trace, the gateway tier decides. "
                                 "edge_head: the edge keeps head.edge_rate of new traces (a volume cap that "
                                 "loses errors: write the lowered standards.sampling_targets)")
    head: HeadSampling = Field(default_factory=HeadSampling)
    assumptions: Assumptions = Field(default_factory=Assumptions)
    consistent_probability: bool = Field(
        False, description="Opt in: the gateways' probabilistic decisions read and record the OTel "
                           "threshold in tracestate (ot=th:) so backends can compute adjusted counts. Turns "
                           "on the collector's alpha feature gate processor.tailsamplingprocessor.usetracestate")
    tail: TailSampling | None = None
    modes: dict[Name, Mode] = Field(default_factory=dict)
    active_mode: Name | None = Field(None, description="Mode the collectors start in")

    @model_validator(mode="after")
    def _active_mode_exists(self) -> "Sampling":
        if self.active_mode is not None and self.active_mode not in self.modes:
            raise ValueError(f"active_mode '{self.active_mode}' is not one of modes: "
                             f"{sorted(self.modes) or 'none defined'}")
        return self


# --------------------------------------------------------------------------- topology
class Resources(Strict):
    cpu: str = Field("500m", pattern=r"^\d+(\.\d+)?m?$")
    memory_mib: int = Field(512, ge=64, description="Memory limit; memory_limiter is sized from it")


class Agent(Strict):
    placement: Literal["daemonset", "namespace", "sidecar", "host"] = "daemonset"
    resources: Resources = Field(default_factory=lambda: Resources(cpu="500m", memory_mib=512))


class Gateway(Strict):
    enabled: bool | None = Field(
        None, description="Default: on when tail sampling or derived metrics need whole traces")
    replicas: int = Field(2, ge=1)
    resources: Resources = Field(default_factory=lambda: Resources(cpu="1", memory_mib=2048))


class DerivedMetrics(Strict):
    span_metrics: bool = False
    service_graph: bool = False
    prometheus_port: int = Field(8889, ge=1, le=65535)


CertPath = Annotated[str, Field(pattern=r"^/[A-Za-z0-9_.@+\-/]{1,254}$",
                                description="An absolute path on the host: letters, digits, _ . @ + - /")]


class TlsFiles(Strict):
    """Certificate files on the VM hosts, by reference: tracegen writes the paths into the collector
    configs; the Ansible role copies them from its TLS source directory when they are in
    /etc/otelcol/tls, else your own PKI puts them there."""
    cert_file: CertPath = "/etc/otelcol/tls/collector.crt"
    key_file: CertPath = "/etc/otelcol/tls/collector.key"
    ca_file: CertPath = Field("/etc/otelcol/tls/ca.crt", description="The CA that signs every collector's "
                                                                      "certificate (agents' and gateways')")


class CertIssuer(Strict):
    """A cert-manager issuer that signs the Kubernetes collectors' certificates (and, as the same CA,
    the VM hosts' ones): its Secrets must carry ca.crt (a CA or Vault issuer, not ACME)."""
    name: KubernetesName
    kind: Literal["Issuer", "ClusterIssuer"] = "ClusterIssuer"
    group: Literal["cert-manager.io"] = "cert-manager.io"


class TierTls(Strict):
    """Mutual TLS between the agent and gateway tiers."""
    mode: Literal["network", "always", "off"] = Field(
        "network", description="network: every agent -> gateway hop that leaves a host or the cluster (VM "
                               "agents, VM gateways); always: also inside the cluster; off: none (TG512)")
    issuer: CertIssuer | None = Field(None, description="cert-manager issuer for the Kubernetes collectors")
    vm: TlsFiles = Field(default_factory=TlsFiles)


class Topology(Strict):
    collector_version: str | None = Field(None, pattern=r"^\d{1,6}\.\d{1,6}\.\d{1,6}$",
                                          description="Default: tracegen's pinned version")
    agent: Agent = Field(default_factory=Agent)
    gateway: Gateway = Field(default_factory=Gateway)
    persistent_queue: bool = True
    derived_metrics: DerivedMetrics = Field(default_factory=DerivedMetrics)
    deployment: Literal["kustomize", "operator"] = Field(
        "kustomize", description="How Kubernetes collectors are deployed: kustomize (manifests under "
                                 "kubernetes/collectors) or operator (OpenTelemetryCollector resources for the "
                                 "OpenTelemetry Operator under operator/, carrying the same configs)")
    tls: TierTls = Field(default_factory=TierTls)

    @field_validator("collector_version")
    @classmethod
    def _known_collector(cls, version: str | None) -> str | None:
        from tracegen.components import UnsupportedCollectorVersion, check_supported

        try:
            return None if version is None else check_supported(version)
        except UnsupportedCollectorVersion as error:
            raise ValueError(error.message) from None


# --------------------------------------------------------------------------- mesh / ingress
class Istio(Strict):
    sampling_percentage: Percentage | None = Field(
        None, description="Default: 100 with sampling.strategy collector, edge_rate x 100 with edge_head")
    provider_name: KubernetesName = "otel-tracing"
    root_namespace: KubernetesName = "istio-system"


class Mesh(Strict):
    istio: Istio | None = None


class Ingress(Strict):
    kind: Literal["envoy_gateway", "istio", "nginx"] = "envoy_gateway"
    namespace: KubernetesName = "ingress"


# --------------------------------------------------------------------------- platforms
class GatewayExposure(Strict):
    """How hosts outside the cluster (the environment's VM agents) reach the Kubernetes gateways."""
    type: Literal["LoadBalancer", "NodePort"] = "LoadBalancer"
    address: Address = Field(description="The DNS name (or IP) the VM agents dial: the load balancer's, or "
                                         "one that resolves to the nodes for NodePort")
    port: int = Field(4319, ge=1, le=65535, description="The port they dial: the LoadBalancer's port, or the "
                                                        "nodePort (30000-32767) for NodePort")
    annotations: dict[Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_./\-]{0,252}$")], AttributeValue] = Field(
        default_factory=dict, description="On the Service, e.g. an internal load balancer's annotation")

    @model_validator(mode="after")
    def _node_port_range(self) -> "GatewayExposure":
        if self.type == "NodePort" and not 30000 <= self.port <= 32767:
            raise ValueError("a NodePort exposure's port is the nodePort: 30000-32767")
        return self


class KubernetesPlatform(Strict):
    cluster: ClusterName
    namespace: Name = "observability"
    app_namespaces: list[Name] = Field(default_factory=list)
    edge_namespaces: list[Name] = Field(default_factory=list)
    prometheus_namespaces: list[Name] = Field(
        default_factory=list, description="Namespaces whose Prometheus may scrape the collectors' metrics "
                                          "ports; none: any namespace labelled tracing.tracegen.dev/scrape=true")
    gateway_exposure: GatewayExposure | None = Field(
        None, description="Expose the gateways to this environment's VM agents (mutual TLS)")


class VmHost(Strict):
    name: Hostname
    address: Address | None = None


def _hosts(value: list) -> list[VmHost]:
    return [VmHost(name=item) if isinstance(item, str) else item for item in value]


# A host is written as its name, or as {name, address}; after validation it is always a VmHost.
Hosts = Annotated[list[Union[VmHost, Hostname]], AfterValidator(_hosts)]


class VmGroup(Strict):
    hosts: Hosts = Field(min_length=1)
    services: list[Name] = Field(default_factory=list, description="Services running on these hosts")


def _network(value: str) -> str:
    try:
        return str(ipaddress.ip_network(value, strict=True))
    except ValueError:
        raise ValueError("is not a network in CIDR notation without host bits (10.20.0.0/16, 2001:db8::/48)") \
            from None


class VmPlatform(Strict):
    gateways: Hosts = Field(default_factory=list)
    groups: dict[Name, VmGroup] = Field(min_length=1)
    resolver: Literal["static", "dns"] = "static"
    dns_name: Hostname | None = Field(None, description="With resolver dns: the name the gateways share")
    cidrs: list[Annotated[str, AfterValidator(_network)]] = Field(
        default_factory=list, description="Networks the VM agents send from (e.g. 10.20.0.0/16): the "
                                          "Kubernetes gateways' NetworkPolicy admits exactly these")


class LocalPlatform(Strict):
    """Every collector on 127.0.0.1 with its own ports: for end-to-end tests and laptops."""
    # Below Linux's ephemeral range (32768+), so an outgoing connection never holds a collector's port.
    base_port: int = Field(24317, ge=1024, le=32000)


class Platform(Strict):
    kubernetes: KubernetesPlatform | None = None
    vm: VmPlatform | None = None
    local: LocalPlatform | None = None

    @model_validator(mode="after")
    def _at_least_one(self) -> "Platform":
        if not (self.kubernetes or self.vm or self.local):
            raise ValueError("give at least one of kubernetes, vm or local")
        return self


OVERRIDABLE = ("standards", "sampling", "backends", "topology", "mesh", "ingress")


class Environment(Strict):
    platform: Platform
    overrides: dict[str, object] = Field(
        default_factory=dict,
        description="Partial blueprint merged over the top level for this environment: "
                    "maps merge key by key, lists and scalars replace")

    @field_validator("overrides")
    @classmethod
    def _known_sections(cls, value: dict[str, object]) -> dict[str, object]:
        unknown = sorted(set(value) - set(OVERRIDABLE))
        if unknown:
            raise ValueError(f"cannot override {unknown}; overridable: {list(OVERRIDABLE)}")
        return value


class GitOps(Strict):
    """Where the build output is committed, for the Argo CD Applications."""
    repo_url: GitUrl = Field(description="Git repository Argo CD pulls the output from")
    revision: GitRevision = Field("HEAD", description="Branch, tag or commit")
    path: RelativePath = Field("", description="Directory of the build output inside the repository, e.g. "
                                      "output/checkout")
    project: KubernetesName = "default"


class Suppression(Strict):
    _multiline = frozenset({"reason"})
    rule: str = Field(pattern=r"^TG\d{3}$")
    at: DottedPath | None = Field(None, description="Dotted path the finding points at, e.g. services.checkout")
    reason: str = Field(min_length=10, description="Why this is acceptable; required")


# --------------------------------------------------------------------------- migrations
PHASES = ("planned", "dual-write", "verify", "cutover", "done")


class MigrationVerify(Strict):
    """The go/no-go gate of the verify phase (`tracegen migrate verify`)."""
    window: Duration = Field("10m", description="Time between the two scrapes of the gateways' counters")
    tolerance: Ratio = Field(0.01, description="Largest relative difference between the spans sent to the new "
                                               "backend and to the old one over the window")
    observe_days: int = Field(7, ge=0, description="Days the cutover is watched before the migration is done")


class Migration(Strict):
    """A phased move of some environments from one backend to another (see `tracegen migrate`).

    planned: old only; dual-write: both, each exporter with its own persistent queue; verify: both,
    compared; cutover: new only (the old one stays queryable for its hot retention); done: new only."""
    name: Name
    from_: Name = Field(alias="from", description="The backend (a key of backends) moved away from")
    to: Name = Field(description="The backend (a key of backends) moved to")
    environments: list[Name] = Field(default_factory=list,
                                     description="Environments that move; none: every environment the old "
                                                 "backend serves")
    phase: Literal[PHASES] = "planned"
    verify: MigrationVerify = Field(default_factory=MigrationVerify)
    owner: Owner | None = Field(None, description="Who decides go/no-go and rollback")

    def moves(self, environment: str, backends: dict[str, "Backend"]) -> bool:
        """Whether this migration moves `environment` (none listed: every one the old backend serves)."""
        if self.environments:
            return environment in self.environments
        old = backends.get(self.from_)
        return old is not None and (not old.environments or environment in old.environments)


class Blueprint(Strict):
    schema_version: Literal[1] = Field(description="Blueprint schema version")
    name: Name
    standards: Standards = Field(default_factory=Standards)
    environments: dict[Name, Environment] = Field(min_length=1)
    services: dict[Name, Service] = Field(min_length=1)
    backends: dict[Name, Backend] = Field(default_factory=dict)
    sampling: Sampling = Field(default_factory=Sampling)
    topology: Topology = Field(default_factory=Topology)
    mesh: Mesh = Field(default_factory=Mesh)
    ingress: Ingress | None = None
    gitops: GitOps | None = None
    sdk: SdkSettings = Field(default_factory=SdkSettings, description="How services get their SDK")
    suppress: list[Suppression] = Field(default_factory=list)
    migrations: list[Migration] = Field(default_factory=list, description="Backend migrations in progress")
