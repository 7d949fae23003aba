"""Pieces every Kubernetes manifest shares: names, labels, the collector container and its pod's
security, checksums. Values the collector configs also depend on (ports, directories, environment
variable names) come from the plan and the collector target's constants, never re-typed here."""

from __future__ import annotations

import hashlib
import ipaddress
import json
from collections.abc import Sequence

from tracegen import versions
from tracegen.plan import model as pm
from tracegen.plan import collector_common as cc
from tracegen.plan import collector_exporters as ex
from tracegen.plan import collector_privacy as privacy
from tracegen.plan import transport

SECRET_NAME = "otel-collector-secrets"     # created by the operator of the cluster, never by tracegen
TLS_SECRET_NAME = "otel-collector-tls"
CONFIG_MOUNT = "/conf"
CHECKSUM_ANNOTATION = "checksum/config"
# The upstream images run as this user; the pod pins it so runAsNonRoot can be verified.
COLLECTOR_UID = 10001
NAME_LABEL = "app.kubernetes.io/name"
NAMESPACE_LABEL = "kubernetes.io/metadata.name"   # set by the API server on every namespace
# Workloads that adopt tracing carry this label (the app Components add it); the admission policy
# judges only them, never third-party workloads (Redis, Kafka) sharing their namespaces.
OPT_IN_LABEL = "tracing.tracegen.dev/enabled"
# A namespace with this label may scrape the collectors' metrics ports (the gateway NetworkPolicy),
# unless the blueprint names the scraping namespaces (platform.kubernetes.prometheus_namespaces).
SCRAPE_LABEL = "tracing.tracegen.dev/scrape"


def is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def image(env: pm.EnvironmentPlan) -> str:
    # The upstream contrib image holds every component tracegen uses. The distribution tracegen
    # builds (`tracegen collector install`, cached) holds exactly those; push it and replace this.
    return f"{versions.COLLECTOR_IMAGE}:{env.collector_version}"


def is_kubernetes(env: pm.EnvironmentPlan) -> bool:
    return env.kubernetes_cluster is not None and any(t.platform == "kubernetes" for t in env.tiers)


# The mesh's and the ingress's own directories, which `<env>/kubernetes/kustomization.yaml` includes:
# facts the Kubernetes, Istio and ingress targets share, so none of them imports another.
ISTIO_DIRECTORY = "istio"
INGRESS_DIRECTORY = "ingress"


def has_mesh(env: pm.EnvironmentPlan) -> bool:
    """Whether `<env>/istio/` is emitted."""
    return is_kubernetes(env) and env.mesh is not None


def istio_synced_by_gitops(env: pm.EnvironmentPlan) -> bool:
    """Whether `<env>/argocd/istiod.yaml` installs the mesh's provider (istiod's chart with
    `<env>/istio/istiod-values.yaml`) and then syncs `<env>/istio` (the Telemetry) in a later wave;
    `<env>/kubernetes` then leaves `../istio` to it."""
    return has_mesh(env) and env.gitops is not None


# istiod's Helm chart; istio.io/api is tagged with Istio's release versions, so its pin is the chart's.
ISTIOD_CHART_REPO = "https://istio-release.storage.googleapis.com/charts"
ISTIOD_CHART_VERSION = versions.ISTIO_API_VERSION.removeprefix("v")
ISTIOD_NAMESPACE = "istio-system"
# Argo CD applies lower waves first and waits for them to be healthy: istiod's mesh config (wave 0)
# holds the provider before the Telemetry (this wave) names it.
TELEMETRY_SYNC_WAVE = "1"


def has_ingress_manifests(env: pm.EnvironmentPlan) -> bool:
    """Whether `<env>/ingress/` is emitted (Istio's ingress gateway needs none of its own)."""
    return is_kubernetes(env) and env.ingress is not None and env.ingress.kind in ("envoy_gateway", "nginx")


def k8s_agent(env: pm.EnvironmentPlan) -> pm.Tier | None:
    return next((t for t in env.agents if t.platform == "kubernetes"), None)


def k8s_gateway(env: pm.EnvironmentPlan) -> pm.Tier | None:
    return env.gateway if env.gateway is not None and env.gateway.platform == "kubernetes" else None


def collector_namespace(env: pm.EnvironmentPlan) -> str:
    tier = k8s_agent(env) or k8s_gateway(env)
    assert tier is not None and tier.namespace
    return tier.namespace


def app_namespaces(env: pm.EnvironmentPlan) -> list[str]:
    """Where the applications run, edge namespaces excluded."""
    found = set(env.app_namespaces) | {s.namespace for s in env.services if s.namespace}
    return sorted(found - set(env.edge_namespaces))


def workload_namespaces(env: pm.EnvironmentPlan) -> list[str]:
    return sorted(set(app_namespaces(env)) | set(env.edge_namespaces))


def labels(name: str, component: str, env: pm.EnvironmentPlan) -> dict:
    return {NAME_LABEL: name, "app.kubernetes.io/component": component,
            "app.kubernetes.io/part-of": env.blueprint_name, "app.kubernetes.io/managed-by": "tracegen",
            "app.kubernetes.io/version": env.collector_version}


def selector(name: str) -> dict:
    return {NAME_LABEL: name}


def meta(name: str, namespace: str | None, label: dict | None = None, annotations: dict | None = None) -> dict:
    data: dict = {"name": name}
    if namespace:
        data["namespace"] = namespace
    if label:
        data["labels"] = dict(label)
    if annotations:
        data["annotations"] = dict(annotations)
    return data


def checksum(data: dict) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def pod_security() -> dict:
    return {"runAsNonRoot": True, "runAsUser": COLLECTOR_UID, "runAsGroup": COLLECTOR_UID,
            "fsGroup": COLLECTOR_UID, "seccompProfile": {"type": "RuntimeDefault"}}


def container_security() -> dict:
    return {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "runAsNonRoot": True,
            "privileged": False, "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}}


def resources(tier: pm.Tier) -> dict:
    """Requests equal limits: memory_limiter (80 % of this limit) then keeps the heap under it."""
    memory = f"{tier.memory_mib}Mi"
    return {"requests": {"cpu": tier.cpu, "memory": memory}, "limits": {"cpu": tier.cpu, "memory": memory}}


def collector_env(tier: pm.Tier, config_text: str, secrets: Sequence[str], node_filter: bool) -> list[dict]:
    """The container's variables; `secrets` are the ones its configs reference (CollectorConfig.secrets:
    an agent that only balances reads none)."""
    items: list[dict] = []
    if privacy.K8S_NODE_ENV in config_text:
        if node_filter:
            items.append({"name": privacy.K8S_NODE_ENV,
                          "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "spec.nodeName"}}})
        else:
            # k8s_attributes needs the variable to exist; empty means "pods of every node", which an
            # agent Deployment serving a whole namespace needs.
            items.append({"name": privacy.K8S_NODE_ENV, "value": ""})
    limit, _ = tier.memory_limiter
    # The Go runtime collects garbage harder as it nears this, before memory_limiter must refuse data.
    items.append({"name": "GOMEMLIMIT", "value": f"{limit}MiB"})
    items += [{"name": name, "valueFrom": {"secretKeyRef": {"name": SECRET_NAME, "key": name}}}
              for name in secrets]
    return items


def collector_ports(ports: pm.Ports, extra: list[tuple[str, int]] = ()) -> list[dict]:
    # No hostPorts: node-local traffic goes through the agent Service (internalTrafficPolicy Local),
    # so every collector pod meets the `restricted` Pod Security level.
    items = [{"name": name, "containerPort": port, "protocol": "TCP"}
             for name, port in (("otlp-grpc", ports.otlp_grpc), ("otlp-http", ports.otlp_http))]
    items += [{"name": "health", "containerPort": ports.health, "protocol": "TCP"},
              {"name": "metrics", "containerPort": ports.metrics, "protocol": "TCP"}]
    items += [{"name": name, "containerPort": port, "protocol": "TCP"} for name, port in extra]
    return items


def probes() -> dict:
    # health_check answers on "/" of its own port (tier.ports.health in the collector config).
    probe = {"httpGet": {"path": "/", "port": "health"}, "periodSeconds": 10, "timeoutSeconds": 2}
    return {"livenessProbe": {**probe, "initialDelaySeconds": 10, "failureThreshold": 3},
            "readinessProbe": {**probe, "initialDelaySeconds": 2, "failureThreshold": 2}}


def collector_container(env: pm.EnvironmentPlan, tier: pm.Tier, name: str, args: list[str], config_text: str,
                        secrets: Sequence[str], node_filter: bool, extra_ports: list[tuple[str, int]] = ()) -> dict:
    mounts = [{"name": "config", "mountPath": CONFIG_MOUNT, "readOnly": True}]
    if env.persistent_queue:
        mounts.append({"name": "queue", "mountPath": cc.QUEUE_DIRECTORY})
    if ex.TLS_DIRECTORY in config_text:
        mounts.append({"name": "tls", "mountPath": ex.TLS_DIRECTORY, "readOnly": True})
    if transport.CERT_DIRECTORY in config_text:
        mounts.append({"name": "certs", "mountPath": transport.CERT_DIRECTORY, "readOnly": True})
    return {
        "name": name, "image": image(env), "imagePullPolicy": "IfNotPresent", "args": args,
        "env": collector_env(tier, config_text, secrets, node_filter),
        "ports": collector_ports(tier.ports, list(extra_ports)),
        **probes(), "resources": resources(tier), "securityContext": container_security(),
        "volumeMounts": mounts,
    }


def collector_volumes(config_map: str, items: list[tuple[str, str]], env: pm.EnvironmentPlan, config_text: str,
                      queue: dict | None, certificate: str = transport.AGENT_CERTIFICATE) -> list[dict]:
    """The config (keys mapped to paths, since ConfigMap keys cannot hold '/'), the queue, TLS files,
    and the Secret of the collector's cert-manager `certificate` when its config reads one."""
    volumes = [{"name": "config", "configMap": {
        "name": config_map, "items": [{"key": key, "path": path} for key, path in items]}}]
    if env.persistent_queue and queue is not None:
        volumes.append({"name": "queue", **queue})
    if ex.TLS_DIRECTORY in config_text:
        volumes.append({"name": "tls", "secret": {"secretName": TLS_SECRET_NAME, "defaultMode": 0o440}})
    if transport.CERT_DIRECTORY in config_text:
        # cert-manager renews the Secret in place; the kubelet updates the files and the collector
        # re-reads them (reload_interval), so a renewal needs no restart.
        volumes.append({"name": "certs", "secret": {"secretName": certificate, "defaultMode": 0o440}})
    return volumes


def service_port(name: str, port: int) -> dict:
    return {"name": name, "port": port, "targetPort": port, "protocol": "TCP"}


def split_service_host(host: str) -> tuple[str, str]:
    """`name.namespace.svc.cluster.local` -> (name, namespace)."""
    parts = host.split(".")
    if len(parts) < 2:
        raise ValueError(f"not a Kubernetes service host: {host!r}")
    return parts[0], parts[1]
