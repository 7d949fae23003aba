"""The collector tiers as Kubernetes objects: config maps, the agent (DaemonSet, or Deployments for
namespace and sidecar placements) with its PriorityClass, the gateway (StatefulSet when its queue
must survive a restart, else Deployment) with its Services, PodDisruptionBudget and NetworkPolicy,
and the RBAC both need.

The agent DaemonSet must be on every node an app runs on, all the time: apps reach it through a
Service with internalTrafficPolicy Local, so a node without a ready agent drops their spans. Hence
tolerations for every taint, a PriorityClass of its own (it may preempt app pods to get onto a
full node; `system-node-critical` is kept for what the node itself needs, and quotas on some
distributions confine it to kube-system), and surge updates (the new agent is ready before the old
one stops; GA for DaemonSets since Kubernetes 1.25).

The gateway has fixed replicas and no HorizontalPodAutoscaler: the agents route by trace ID over
the ring of gateway pods, so every scale event reshards the ring and splits the traces in flight
between two tail samplers (and scale-down strands the queues of the pods that go). Scaling is a
planned change to the blueprint (`topology.gateway.replicas`), described in the README."""

from __future__ import annotations

import math
from dataclasses import dataclass

from tracegen.plan import model as pm
from tracegen.plan import remote_sampling as rs
from tracegen.plan import transport
from tracegen.targets import kubernetes_common as kc

AGENT_CONFIG_MAP = "otel-agent-config"
GATEWAY_CONFIG_MAP = "otel-gateway-config"
AGENT_KEY = "agent.yaml"
GATEWAY_KEY = "gateway.yaml"
PROMETHEUS_PORT_NAME = "prom-derived"
# Above every app (0 unless they set one), below the system-*-critical classes (2000000000+).
AGENT_PRIORITY = 1_000_000
ZONE_KEY = "topology.kubernetes.io/zone"
EXTERNAL_PORT_NAME = "otlp-external"
# The collectors' certificates: 90 days, renewed 30 days before they end (cert-manager's habit for
# ACME-like lifetimes; the collector re-reads rotated files, plan/transport.RELOAD_INTERVAL).
CERT_DURATION = "2160h"
CERT_RENEW_BEFORE = "720h"
HOST_KEY = "kubernetes.io/hostname"


@dataclass(frozen=True)
class Configs:
    """One environment's collector configs, as the ConfigMaps will hold them."""

    agent: dict[str, str]            # key -> content
    gateway: dict[str, str]
    gateway_paths: tuple[tuple[str, str], ...]   # (key, path under /conf)
    active_mode: str | None
    agent_secrets: tuple[str, ...] = ()          # what the configs reference (CollectorConfig.secrets)
    gateway_secrets: tuple[str, ...] = ()
    agent_paths: tuple[tuple[str, str], ...] = ((AGENT_KEY, AGENT_KEY),)   # (key, path under /conf)

    @property
    def agent_text(self) -> str:
        return "".join(self.agent.values())

    @property
    def gateway_text(self) -> str:
        return "".join(self.gateway.values())


def configs(env: pm.EnvironmentPlan) -> Configs:
    """The planned configs' own bytes (`<env>/collector/<path>`), keyed as the ConfigMaps hold them."""
    assert env.collectors is not None, "the planner computes every environment's collectors"
    agent: dict[str, str] = {}
    gateway: dict[str, str] = {}
    paths: list[tuple[str, str]] = []
    agent_secrets: set[str] = set()
    gateway_secrets: set[str] = set()
    own = env.collectors.agent("kubernetes")
    agent_paths = [(AGENT_KEY, AGENT_KEY)]
    if own is not None:
        agent[AGENT_KEY] = own.text
        agent_secrets.update(own.secrets)
        # edge_head: the strategies the agent's jaegerremotesampling extension serves (plan/remote_sampling.py).
        for name, text in rs.documents(env).items():
            key = f"{rs.STRATEGIES_DIRECTORY}-{name}"
            agent[key] = text
            agent_paths.append((key, f"{rs.STRATEGIES_DIRECTORY}/{name}"))
    for item in env.collectors.configs:
        if item.role == "gateway" and kc.k8s_gateway(env) is not None:
            key = item.path.replace("/", "-")
            gateway[key] = item.text
            gateway_secrets.update(item.secrets)
            paths.append((key, item.path))
    tail = env.tail_sampling
    mode = tail.active_mode if tail else None
    active = mode if mode and any(path == f"modes/{mode}.yaml" for _, path in paths) else None
    return Configs(agent, gateway, tuple(sorted(paths)), active, tuple(sorted(agent_secrets)),
                   tuple(sorted(gateway_secrets)), tuple(agent_paths))


def config_map(name: str, namespace: str, data: dict[str, str], env: pm.EnvironmentPlan, component: str) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": kc.meta(name, namespace, kc.labels(name, component, env)), "data": dict(data)}


def _pod_template(name: str, env: pm.EnvironmentPlan, component: str, config_data: dict, spec: dict) -> dict:
    return {"metadata": {"labels": kc.labels(name, component, env),
                         "annotations": {kc.CHECKSUM_ANNOTATION: kc.checksum(config_data)}},
            "spec": {"securityContext": kc.pod_security(), "terminationGracePeriodSeconds": 30, **spec}}


def _queue_size(tier: pm.Tier) -> str:
    return f"{max(1, math.ceil(tier.memory_mib / 512))}Gi"


def _queue_volume(tier: pm.Tier) -> dict:
    # Survives container restarts (OOM kill, crash), not pod deletion; a DaemonSet cannot claim volumes.
    return {"emptyDir": {"sizeLimit": _queue_size(tier)}}


def _reserve_queue_disk(container: dict, env: pm.EnvironmentPlan, tier: pm.Tier) -> None:
    """The scheduler places the pod only where the emptyDir queue fits (the kubelet evicts a pod
    whose emptyDir outgrows sizeLimit; without a request it could land on a node with no room)."""
    if env.persistent_queue:
        container["resources"]["requests"]["ephemeral-storage"] = _queue_size(tier)


def priority_class_name(env: pm.EnvironmentPlan) -> str:
    return f"{pm.AGENT_SERVICE}-{kc.collector_namespace(env)}"     # cluster-scoped, like the ClusterRole


def priority_class(env: pm.EnvironmentPlan) -> dict:
    name = priority_class_name(env)
    return {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
            "metadata": kc.meta(name, None, kc.labels(name, "agent", env)),
            "value": AGENT_PRIORITY, "globalDefault": False, "preemptionPolicy": "PreemptLowerPriority",
            "description": "tracegen's node-local OpenTelemetry agent: apps on a node without it lose spans"}


def agent_workload(env: pm.EnvironmentPlan, tier: pm.Tier, namespace: str, cfg: Configs) -> dict:
    daemon = tier.placement == "daemonset"
    args = [f"--config={kc.CONFIG_MOUNT}/{AGENT_KEY}", *env.collectors.args("agent", "kubernetes")]
    container = kc.collector_container(env, tier, "otel-agent", args,
                                       cfg.agent_text, cfg.agent_secrets, node_filter=daemon)
    _reserve_queue_disk(container, env, tier)
    spec: dict = {"serviceAccountName": pm.AGENT_SERVICE, "containers": [container],
                  "volumes": kc.collector_volumes(AGENT_CONFIG_MAP, list(cfg.agent_paths), env, cfg.agent_text,
                                                  _queue_volume(tier))}
    if daemon:
        # Every node, whatever its taints (NoSchedule and NoExecute alike): a node-local Service
        # has no other agent to fall back to.
        spec["tolerations"] = [{"operator": "Exists"}]
        spec["priorityClassName"] = priority_class_name(env)
    template = _pod_template(pm.AGENT_SERVICE, env, "agent", cfg.agent, spec)
    body: dict = {"selector": {"matchLabels": kc.selector(pm.AGENT_SERVICE)}, "template": template}
    if daemon:
        # Surge: the new pod starts next to the old one and the old one stops once the new is ready,
        # so a node is never without an agent during a rollout (no hostPorts, so both fit).
        body["updateStrategy"] = {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}}
    else:
        body["replicas"] = tier.replicas
    return {"apiVersion": "apps/v1", "kind": "DaemonSet" if daemon else "Deployment",
            "metadata": kc.meta(pm.AGENT_SERVICE, namespace, kc.labels(pm.AGENT_SERVICE, "agent", env)),
            "spec": body}


def agent_service(env: pm.EnvironmentPlan, tier: pm.Tier, namespace: str) -> dict:
    spec: dict = {"selector": kc.selector(pm.AGENT_SERVICE), "type": "ClusterIP",
                  "ports": [kc.service_port("otlp-grpc", tier.ports.otlp_grpc),
                            kc.service_port("otlp-http", tier.ports.otlp_http)]}
    if rs.extension(env, tier) is not None:
        # The strategy server the SDKs poll (edge_head), at the node-local agent like OTLP.
        http, grpc = rs.ports(tier)
        spec["ports"] += [kc.service_port("sampling-http", http), kc.service_port("sampling-grpc", grpc)]
    if tier.placement == "daemonset":
        # Node-local for the mesh and the ingress too, which address the agent by this name.
        spec["internalTrafficPolicy"] = "Local"
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": kc.meta(pm.AGENT_SERVICE, namespace, kc.labels(pm.AGENT_SERVICE, "agent", env)),
            "spec": spec}


def agent_namespaces(env: pm.EnvironmentPlan, tier: pm.Tier) -> list[str]:
    """Where an agent workload runs: the collector namespace always (the mesh and the ingress send
    there), plus every workload namespace for the per-namespace placement."""
    own = kc.collector_namespace(env)
    return sorted({own, *kc.workload_namespaces(env)}) if tier.placement == "namespace" else [own]


def service_account(name: str, namespace: str, env: pm.EnvironmentPlan, component: str, token: bool) -> dict:
    return {"apiVersion": "v1", "kind": "ServiceAccount", "automountServiceAccountToken": token,
            "metadata": kc.meta(name, namespace, kc.labels(name, component, env))}


def agents(env: pm.EnvironmentPlan, cfg: Configs) -> list[dict]:
    tier = kc.k8s_agent(env)
    if tier is None:
        return []
    objects = [priority_class(env)] if tier.placement == "daemonset" else []
    objects += agent_certificates(env, tier)
    for namespace in agent_namespaces(env, tier):
        objects += [service_account(pm.AGENT_SERVICE, namespace, env, "agent", True),
                    config_map(AGENT_CONFIG_MAP, namespace, cfg.agent, env, "agent"),
                    agent_workload(env, tier, namespace, cfg), agent_service(env, tier, namespace)]
    return objects


def _agent_subjects(env: pm.EnvironmentPlan, tier: pm.Tier) -> list[dict]:
    subjects = [{"kind": "ServiceAccount", "name": pm.AGENT_SERVICE, "namespace": ns}
                for ns in agent_namespaces(env, tier)]
    if tier.placement == "sidecar":
        # A sidecar agent runs as its application's service account, whatever that is.
        subjects += [{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": f"system:serviceaccounts:{ns}"}
                     for ns in kc.workload_namespaces(env)]
    return subjects


def rbac(env: pm.EnvironmentPlan) -> list[dict]:
    """k8s_attributes reads pods, namespaces and replicasets (for the deployment name) cluster-wide;
    the k8s resolver of the load-balancing exporter watches the gateway's EndpointSlices."""
    tier = kc.k8s_agent(env)
    if tier is None:
        return []
    own = kc.collector_namespace(env)
    name = f"{pm.AGENT_SERVICE}-{own}"     # cluster-scoped: one per collector namespace
    read = ["get", "watch", "list"]
    objects = [
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
         "metadata": kc.meta(name, None, kc.labels(name, "agent", env)),
         "rules": [{"apiGroups": [""], "resources": ["pods", "namespaces"], "verbs": read},
                   {"apiGroups": ["apps"], "resources": ["replicasets"], "verbs": read}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
         "metadata": kc.meta(name, None, kc.labels(name, "agent", env)),
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name},
         "subjects": _agent_subjects(env, tier)},
    ]
    resolver = env.resolver_for("kubernetes")
    gateway = kc.k8s_gateway(env)
    if resolver is not None and resolver.kind == "k8s" and gateway is not None:
        role = f"{pm.AGENT_SERVICE}-resolver"
        objects += [
            {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
             "metadata": kc.meta(role, gateway.namespace, kc.labels(role, "agent", env)),
             "rules": [{"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": read}]},
            {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
             "metadata": kc.meta(role, gateway.namespace, kc.labels(role, "agent", env)),
             "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role},
             "subjects": _agent_subjects(env, tier)},
        ]
    return objects


def _gateway_args(cfg: Configs) -> list[str]:
    args = [f"--config={kc.CONFIG_MOUNT}/{GATEWAY_KEY}"]
    if cfg.active_mode:
        # The mode overlay replaces the tail sampler's policies; the collector merges configs in order.
        args.append(f"--config={kc.CONFIG_MOUNT}/modes/{cfg.active_mode}.yaml")
    return args


def _queue_claim(tier: pm.Tier) -> dict:
    size = f"{max(1, math.ceil(tier.memory_mib * 2 / 1024))}Gi"
    return {"metadata": {"name": "queue"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}}}


def _prometheus_ports(env: pm.EnvironmentPlan) -> list[tuple[str, int]]:
    metrics = env.derived_metrics
    return [(PROMETHEUS_PORT_NAME, metrics.prometheus_port)] if metrics.span_metrics or metrics.service_graph else []


def gateway_workload(env: pm.EnvironmentPlan, tier: pm.Tier, cfg: Configs) -> dict:
    args = [*_gateway_args(cfg), *env.collectors.args("gateway", "kubernetes")]
    container = kc.collector_container(env, tier, "otel-gateway", args, cfg.gateway_text, cfg.gateway_secrets,
                                       node_filter=False, extra_ports=_prometheus_ports(env) + _external_ports(env))
    stateful = env.persistent_queue
    if not stateful:
        _reserve_queue_disk(container, env, tier)
    spec = {"serviceAccountName": pm.GATEWAY_SERVICE, "containers": [container],
            "volumes": kc.collector_volumes(GATEWAY_CONFIG_MAP, list(cfg.gateway_paths), env, cfg.gateway_text,
                                            None if stateful else _queue_volume(tier), transport.GATEWAY_CERTIFICATE),
            # Spread replicas over zones, then nodes, so one zone's or node's loss does not take the
            # whole tail-sampling tier (ScheduleAnyway: a single-zone cluster still schedules).
            "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": key, "whenUnsatisfiable": "ScheduleAnyway",
                                           "labelSelector": {"matchLabels": kc.selector(pm.GATEWAY_SERVICE)}}
                                          for key in (ZONE_KEY, HOST_KEY)]}
    # Fixed replicas, no autoscaler: a change of count reshards the agents' trace-ID ring (module doc).
    body: dict = {"replicas": tier.replicas, "selector": {"matchLabels": kc.selector(pm.GATEWAY_SERVICE)},
                  "template": _pod_template(pm.GATEWAY_SERVICE, env, "gateway", cfg.gateway, spec)}
    if stateful:
        body.update({"serviceName": pm.GATEWAY_HEADLESS, "podManagementPolicy": "Parallel",
                     "volumeClaimTemplates": [_queue_claim(tier)],
                     "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"}})
    return {"apiVersion": "apps/v1", "kind": "StatefulSet" if stateful else "Deployment",
            "metadata": kc.meta(pm.GATEWAY_SERVICE, tier.namespace, kc.labels(pm.GATEWAY_SERVICE, "gateway", env)),
            "spec": body}


def gateway_services(env: pm.EnvironmentPlan, tier: pm.Tier) -> list[dict]:
    meta = kc.labels(pm.GATEWAY_SERVICE, "gateway", env)
    otlp = [kc.service_port("otlp-grpc", tier.ports.otlp_grpc), kc.service_port("otlp-http", tier.ports.otlp_http)]
    metrics = [kc.service_port("metrics", tier.ports.metrics)] + [
        kc.service_port(name, port) for name, port in _prometheus_ports(env)]
    return [
        {"apiVersion": "v1", "kind": "Service", "metadata": kc.meta(pm.GATEWAY_SERVICE, tier.namespace, meta),
         "spec": {"type": "ClusterIP", "selector": kc.selector(pm.GATEWAY_SERVICE), "ports": otlp + metrics}},
        # The load-balancing exporter resolves this to the individual gateway pods.
        {"apiVersion": "v1", "kind": "Service", "metadata": kc.meta(pm.GATEWAY_HEADLESS, tier.namespace, meta),
         "spec": {"clusterIP": "None", "selector": kc.selector(pm.GATEWAY_SERVICE), "ports": otlp}},
    ]


def disruption_budget(env: pm.EnvironmentPlan, tier: pm.Tier) -> dict:
    meta = kc.meta(pm.GATEWAY_SERVICE, tier.namespace, kc.labels(pm.GATEWAY_SERVICE, "gateway", env))
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": meta,
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": kc.selector(pm.GATEWAY_SERVICE)}}}


def _in_namespaces(names: list[str]) -> dict:
    return {"matchExpressions": [{"key": kc.NAMESPACE_LABEL, "operator": "In", "values": sorted(set(names))}]}


def scrapers(env: pm.EnvironmentPlan) -> dict:
    """The namespaces whose pods may scrape the metrics ports: those the blueprint names
    (platform.kubernetes.prometheus_namespaces), else any namespace labelled kc.SCRAPE_LABEL=true."""
    if env.prometheus_namespaces:
        return {"namespaceSelector": _in_namespaces(list(env.prometheus_namespaces))}
    return {"namespaceSelector": {"matchLabels": {kc.SCRAPE_LABEL: "true"}}}


def _external_ports(env: pm.EnvironmentPlan) -> list[tuple[str, int]]:
    exposure = env.transport.exposure
    return [(EXTERNAL_PORT_NAME, exposure.container_port)] if exposure else []


def exposure_service(env: pm.EnvironmentPlan, tier: pm.Tier) -> list[dict]:
    """The gateways' external receiver behind a LoadBalancer or NodePort Service, for the VM agents.
    externalTrafficPolicy Local keeps the client's source address (no SNAT to a node), so the
    NetworkPolicy's ipBlocks see the VM networks the blueprint declares."""
    exposure = env.transport.exposure
    if exposure is None:
        return []
    port: dict = {"name": EXTERNAL_PORT_NAME, "port": exposure.container_port, "targetPort": exposure.container_port,
                  "protocol": "TCP"}
    if exposure.type == "NodePort":
        port["nodePort"] = exposure.port
    else:
        port["port"] = exposure.port
    name = f"{pm.GATEWAY_SERVICE}-external"
    return [{"apiVersion": "v1", "kind": "Service",
             "metadata": kc.meta(name, tier.namespace, kc.labels(pm.GATEWAY_SERVICE, "gateway", env),
                                 dict(exposure.annotations) or None),
             "spec": {"type": exposure.type, "externalTrafficPolicy": "Local",
                      "selector": kc.selector(pm.GATEWAY_SERVICE), "ports": [port]}}]


def _certificate(env: pm.EnvironmentPlan, name: str, namespace: str, component: str, names: list[str]) -> dict:
    issuer = env.transport.issuer
    assert issuer is not None, "the planner refuses certificates without an issuer"
    ips = sorted(n for n in names if kc.is_ip(n))
    spec: dict = {"secretName": name,
                  "issuerRef": {"name": issuer.name, "kind": issuer.kind, "group": issuer.group},
                  "dnsNames": sorted(set(names) - set(ips)),
                  # Server and client auth: the gateway also verifies agents, the agents present theirs.
                  "usages": ["digital signature", "key encipherment", "server auth", "client auth"],
                  "duration": CERT_DURATION, "renewBefore": CERT_RENEW_BEFORE,
                  "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"}}
    if ips:
        spec["ipAddresses"] = ips
    return {"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
            "metadata": kc.meta(name, namespace, kc.labels(name, component, env)), "spec": spec}


def gateway_certificates(env: pm.EnvironmentPlan, tier: pm.Tier) -> list[dict]:
    """The gateways' certificate (cert-manager), when their receivers are mutual TLS: valid for the
    Service's in-cluster names and the address VM agents dial."""
    if "gateway" not in transport.needs_certificates(env):
        return []
    ns = tier.namespace
    names = [pm.GATEWAY_SERVICE, f"{pm.GATEWAY_SERVICE}.{ns}", f"{pm.GATEWAY_SERVICE}.{ns}.svc",
             f"{pm.GATEWAY_SERVICE}.{ns}.svc.cluster.local"]
    if env.transport.exposure:
        names.append(env.transport.exposure.address)
    return [_certificate(env, transport.GATEWAY_CERTIFICATE, ns, "gateway", names)]


def agent_certificates(env: pm.EnvironmentPlan, tier: pm.Tier) -> list[dict]:
    """The agents' client certificate (cert-manager), in every namespace agent pods run in."""
    if "agent" not in transport.needs_certificates(env):
        return []
    namespaces = set(agent_namespaces(env, tier))
    if tier.placement == "sidecar":
        namespaces |= set(kc.workload_namespaces(env))
    return [_certificate(env, transport.AGENT_CERTIFICATE, ns, "agent", [f"{pm.AGENT_SERVICE}.{ns}.svc"])
            for ns in sorted(namespaces)]


def network_policy(env: pm.EnvironmentPlan, tier: pm.Tier) -> dict:
    """OTLP into the gateway from the agents and from the mesh and ingress namespaces, the external
    receiver from the VM networks the blueprint declares, the metrics ports (self-metrics, and the
    derived metrics' Prometheus port) from the scraping namespaces; nothing else."""
    agent = kc.k8s_agent(env)
    peers: list[dict] = []
    if agent is not None:
        namespaces = agent_namespaces(env, agent)
        peers.append({"namespaceSelector": _in_namespaces(namespaces),
                      "podSelector": {"matchLabels": kc.selector(pm.AGENT_SERVICE)}})
        if agent.placement == "sidecar":
            peers.append({"namespaceSelector": _in_namespaces(kc.workload_namespaces(env))})
    edge = [ns for ns in ((env.mesh.root_namespace if env.mesh else None),
                          (env.ingress.namespace if env.ingress else None)) if ns]
    if edge:
        peers.append({"namespaceSelector": _in_namespaces(edge)})
    if env.transport.exposure is not None:
        # What the VM agents send is passed on by trace ID from one gateway pod to another.
        peers.append({"podSelector": {"matchLabels": kc.selector(pm.GATEWAY_SERVICE)}})
    rules = [{"from": peers, "ports": [{"protocol": "TCP", "port": tier.ports.otlp_grpc},
                                       {"protocol": "TCP", "port": tier.ports.otlp_http}]}]
    exposure = env.transport.exposure
    if exposure is not None and exposure.sources:
        rules.append({"from": [{"ipBlock": {"cidr": cidr}} for cidr in exposure.sources],
                      "ports": [{"protocol": "TCP", "port": exposure.container_port}]})
    rules.append({"from": [scrapers(env)], "ports": [
        {"protocol": "TCP", "port": port} for port in (tier.ports.metrics, *(p for _, p in _prometheus_ports(env)))]})
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": kc.meta(pm.GATEWAY_SERVICE, tier.namespace, kc.labels(pm.GATEWAY_SERVICE, "gateway", env)),
            "spec": {"podSelector": {"matchLabels": kc.selector(pm.GATEWAY_SERVICE)}, "policyTypes": ["Ingress"],
                     "ingress": rules}}


def gateways(env: pm.EnvironmentPlan, cfg: Configs) -> list[dict]:
    tier = kc.k8s_gateway(env)
    if tier is None:
        return []
    workload = gateway_workload(env, tier, cfg)
    return [service_account(pm.GATEWAY_SERVICE, tier.namespace, env, "gateway", False),
            *gateway_certificates(env, tier), config_map(GATEWAY_CONFIG_MAP, tier.namespace, cfg.gateway, env, "gateway"),
            workload, *gateway_services(env, tier), *exposure_service(env, tier), disruption_budget(env, tier),
            network_policy(env, tier)]


def namespace(env: pm.EnvironmentPlan) -> dict:
    """The collectors' namespace, Pod Security `restricted` when it is theirs alone. One shared with
    apps is not labelled (TG520 warns): the label would make the API server refuse app pods."""
    name = kc.collector_namespace(env)
    labels = {"app.kubernetes.io/managed-by": "tracegen"}
    if name not in kc.workload_namespaces(env):
        labels["pod-security.kubernetes.io/enforce"] = "restricted"
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}
