"""The collector tiers as Kubernetes objects: config maps, the agent (DaemonSet, or Deployments for
namespace and sidecar placements), the gateway (StatefulSet when its queue must survive a restart,
else Deployment) with its Services, PodDisruptionBudget, HorizontalPodAutoscaler and NetworkPolicy,
and the RBAC both need."""

from __future__ import annotations

import math
from dataclasses import dataclass

from tracegen.plan import model as pm
from tracegen.targets import kubernetes_common as kc

AGENT_CONFIG_MAP = "otel-agent-config"
GATEWAY_CONFIG_MAP = "otel-gateway-config"
AGENT_KEY = "agent.yaml"
GATEWAY_KEY = "gateway.yaml"
PROMETHEUS_PORT_NAME = "prom-derived"
# Rescaling the gateway reshuffles which instance owns a trace ID: scale down slowly.
SCALE_DOWN_WINDOW_S = 600


@dataclass(frozen=True)
class Configs:
    """One environment's collector configs, as the ConfigMaps will hold them."""

    agent: dict[str, str]            # key -> content
    gateway: dict[str, str]
    gateway_paths: tuple[tuple[str, str], ...]   # (key, path under /conf)
    active_mode: str | None
    agent_secrets: tuple[str, ...] = ()          # what the configs reference (CollectorConfig.secrets)
    gateway_secrets: tuple[str, ...] = ()

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
    if own is not None:
        agent[AGENT_KEY] = own.text
        agent_secrets.update(own.secrets)
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
                   tuple(sorted(gateway_secrets)))


def config_map(name: str, namespace: str, data: dict[str, str], env: pm.EnvironmentPlan, component: str) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": kc.meta(name, namespace, kc.labels(name, component, env)), "data": dict(data)}


def _pod_template(name: str, env: pm.EnvironmentPlan, component: str, config_data: dict, spec: dict) -> dict:
    return {"metadata": {"labels": kc.labels(name, component, env),
                         "annotations": {kc.CHECKSUM_ANNOTATION: kc.checksum(config_data)}},
            "spec": {"securityContext": kc.pod_security(), "terminationGracePeriodSeconds": 30, **spec}}


def _queue_volume(tier: pm.Tier) -> dict:
    # Survives container restarts (OOM kill, crash), not pod deletion; a DaemonSet cannot claim volumes.
    return {"emptyDir": {"sizeLimit": f"{max(1, math.ceil(tier.memory_mib / 512))}Gi"}}


def agent_workload(env: pm.EnvironmentPlan, tier: pm.Tier, namespace: str, cfg: Configs) -> dict:
    daemon = tier.placement == "daemonset"
    container = kc.collector_container(env, tier, "otel-agent", [f"--config={kc.CONFIG_MOUNT}/{AGENT_KEY}"],
                                       cfg.agent_text, cfg.agent_secrets, node_filter=daemon)
    spec = {"serviceAccountName": pm.AGENT_SERVICE, "containers": [container],
            "volumes": kc.collector_volumes(AGENT_CONFIG_MAP, [(AGENT_KEY, AGENT_KEY)], env, cfg.agent_text,
                                            _queue_volume(tier))}
    template = _pod_template(pm.AGENT_SERVICE, env, "agent", cfg.agent, spec)
    body: dict = {"selector": {"matchLabels": kc.selector(pm.AGENT_SERVICE)}, "template": template}
    if daemon:
        body["updateStrategy"] = {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}}
    else:
        body["replicas"] = tier.replicas
    return {"apiVersion": "apps/v1", "kind": "DaemonSet" if daemon else "Deployment",
            "metadata": kc.meta(pm.AGENT_SERVICE, namespace, kc.labels(pm.AGENT_SERVICE, "agent", env)),
            "spec": body}


def agent_service(env: pm.EnvironmentPlan, tier: pm.Tier, namespace: str) -> dict:
    spec: dict = {"selector": kc.selector(pm.AGENT_SERVICE), "type": "ClusterIP",
                  "ports": [kc.service_port("otlp-grpc", tier.ports.otlp_grpc),
                            kc.service_port("otlp-http", tier.ports.otlp_http)]}
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
    objects = []
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
    container = kc.collector_container(env, tier, "otel-gateway", _gateway_args(cfg), cfg.gateway_text,
                                       cfg.gateway_secrets, node_filter=False, extra_ports=_prometheus_ports(env))
    stateful = env.persistent_queue
    spec = {"serviceAccountName": pm.GATEWAY_SERVICE, "containers": [container],
            "volumes": kc.collector_volumes(GATEWAY_CONFIG_MAP, list(cfg.gateway_paths), env, cfg.gateway_text,
                                            None if stateful else _queue_volume(tier)),
            # Spread replicas so one node's loss does not take the whole tail-sampling tier.
            "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "kubernetes.io/hostname",
                                           "whenUnsatisfiable": "ScheduleAnyway",
                                           "labelSelector": {"matchLabels": kc.selector(pm.GATEWAY_SERVICE)}}]}
    # No `replicas`: the HorizontalPodAutoscaler owns it (a GitOps sync would otherwise undo its work).
    body: dict = {"selector": {"matchLabels": kc.selector(pm.GATEWAY_SERVICE)},
                  "template": _pod_template(pm.GATEWAY_SERVICE, env, "gateway", cfg.gateway, spec)}
    if stateful:
        body.update({"serviceName": pm.GATEWAY_HEADLESS, "podManagementPolicy": "Parallel",
                     "volumeClaimTemplates": [_queue_claim(tier)],
                     "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"}})
    return {"apiVersion": "apps/v1", "kind": "StatefulSet" if stateful else "Deployment",
            "metadata": kc.meta(pm.GATEWAY_SERVICE, tier.namespace, kc.labels(pm.GATEWAY_SERVICE, "gateway", env)),
            "spec": body}


def _gateway_services(env: pm.EnvironmentPlan, tier: pm.Tier) -> list[dict]:
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


def _autoscaling(env: pm.EnvironmentPlan, tier: pm.Tier, kind: str) -> list[dict]:
    meta = kc.meta(pm.GATEWAY_SERVICE, tier.namespace, kc.labels(pm.GATEWAY_SERVICE, "gateway", env))
    utilisation = [{"type": "Resource", "resource": {"name": res, "target": {
        "type": "Utilization", "averageUtilization": 70}}} for res in ("cpu", "memory")]
    return [
        {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": meta,
         "spec": {"maxUnavailable": 1, "selector": {"matchLabels": kc.selector(pm.GATEWAY_SERVICE)}}},
        {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": meta,
         "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": kind, "name": pm.GATEWAY_SERVICE},
                  "minReplicas": tier.replicas, "maxReplicas": max(tier.replicas * 3, tier.replicas + 2),
                  "metrics": utilisation,
                  "behavior": {"scaleDown": {"stabilizationWindowSeconds": SCALE_DOWN_WINDOW_S,
                                             "policies": [{"type": "Pods", "value": 1, "periodSeconds": 300}]}}}},
    ]


def _in_namespaces(names: list[str]) -> dict:
    return {"matchExpressions": [{"key": kc.NAMESPACE_LABEL, "operator": "In", "values": sorted(set(names))}]}


def network_policy(env: pm.EnvironmentPlan, tier: pm.Tier) -> dict:
    """OTLP into the gateway from the agents and from the mesh and ingress namespaces, nothing else.
    (NetworkPolicies add up: a Prometheus that scrapes the metrics ports brings its own.)"""
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
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": kc.meta(pm.GATEWAY_SERVICE, tier.namespace, kc.labels(pm.GATEWAY_SERVICE, "gateway", env)),
            "spec": {"podSelector": {"matchLabels": kc.selector(pm.GATEWAY_SERVICE)}, "policyTypes": ["Ingress"],
                     "ingress": [{"from": peers, "ports": [
                         {"protocol": "TCP", "port": tier.ports.otlp_grpc},
                         {"protocol": "TCP", "port": tier.ports.otlp_http}]}]}}


def gateways(env: pm.EnvironmentPlan, cfg: Configs) -> list[dict]:
    tier = kc.k8s_gateway(env)
    if tier is None:
        return []
    workload = gateway_workload(env, tier, cfg)
    return [service_account(pm.GATEWAY_SERVICE, tier.namespace, env, "gateway", False),
            config_map(GATEWAY_CONFIG_MAP, tier.namespace, cfg.gateway, env, "gateway"),
            workload, *_gateway_services(env, tier), *_autoscaling(env, tier, workload["kind"]),
            network_policy(env, tier)]


def namespace(env: pm.EnvironmentPlan) -> dict:
    name = kc.collector_namespace(env)
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "labels": {"pod-security.kubernetes.io/enforce": "restricted",
                                                  "app.kubernetes.io/managed-by": "tracegen"}}}
