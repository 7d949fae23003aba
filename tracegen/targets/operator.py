"""The OpenTelemetry Operator flavour, per Kubernetes environment, under `<env>/operator/`.

- `collectors.yaml` (with `topology.deployment: operator`): an `OpenTelemetryCollector`
  (opentelemetry.io/v1beta1) for the agent (mode daemonset) and one for the gateway (mode
  statefulset when its queue must survive a restart, else deployment), each carrying the planned
  collector config as data (the same bytes as `<env>/collector/`, parsed), the pinned image, the
  resources memory_limiter is sized from, the secrets, the queue and TLS volumes, and the pod and
  container security of the kustomize flavour. Beside them, the Services the SDKs, the mesh and the
  agents' trace-ID resolver already address (`otel-agent`, node-local; `otel-gateway` and its
  headless twin), selecting the Operator's pods by the labels it sets, so no config changes. With
  it, `<env>/kubernetes/` keeps the namespace, RBAC, admission policy and app Components and
  includes `../operator` in place of its own agent and gateway workloads.
- `instrumentation.yaml` (services with `sdk.mode: operator`): an `Instrumentation`
  (opentelemetry.io/v1alpha1) in each app namespace with the plan's exporter endpoint, propagators
  and sampler (the environment's, from ServicePlan.otel_env: plan/otel_env.py is the one
  definition), and per language the endpoint and protocol its agent exports with. Each such
  service's Component (`<env>/kubernetes/apps/<service>/`) carries the
  `instrumentation.opentelemetry.io/inject-<language>` annotation; its OTEL_* variables stay in
  the container and win over the Instrumentation's (the Operator never overrides a variable the
  container sets).

Both are validated against the CRD schemas of the Operator's Go module (tracegen validate).
"""

from __future__ import annotations

from collections import Counter

import yaml

from tracegen import languages
from tracegen.plan import model as pm
from tracegen.plan import remote_sampling as rs
from tracegen.plan import transport
from tracegen.targets import kubernetes_collectors as kcol
from tracegen.targets import kubernetes_common as kc
from tracegen.targets.artifact import Artifact
from tracegen.targets.operator_common import (DIRECTORY, annotation, applies, operator_agent,
                                              operator_gateway)
from tracegen.targets.serialize import to_yaml, to_yaml_documents

API = "opentelemetry.io/v1beta1"
INSTRUMENTATION_API = "opentelemetry.io/v1alpha1"
# The Operator mounts its own config at /conf; the strategies files (edge_head) go beside it.
STRATEGIES_MOUNT = f"/var/conf/{rs.STRATEGIES_DIRECTORY}"
# Sampler types the Instrumentation CRD accepts (the services' own OTEL_* win over it anyway).
CRD_SAMPLERS = frozenset({"always_on", "always_off", "traceidratio", "parentbased_always_on",
                          "parentbased_always_off", "parentbased_traceidratio", "jaeger_remote", "xray"})


def selector(env: pm.EnvironmentPlan, name: str) -> dict:
    """The labels the Operator puts on the pods of collector `name` (its SelectorLabels)."""
    return {"app.kubernetes.io/managed-by": "opentelemetry-operator",
            "app.kubernetes.io/instance": f"{kc.collector_namespace(env)}.{name}"[:63],
            "app.kubernetes.io/component": "opentelemetry-collector"}


def _config(text: str) -> dict:
    return yaml.safe_load(text)


def _merged(base: dict, overlay: dict) -> dict:
    """The collector's own merge of two --config files: maps key by key, anything else replaced."""
    out = dict(base)
    for key, value in overlay.items():
        out[key] = _merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _args(flags: tuple[str, ...]) -> dict[str, str]:
    """`--name=value` flags as the CRD's args map."""
    return dict(flag.removeprefix("--").split("=", 1) for flag in flags if flag.startswith("--") and "=" in flag)


def _reselect(obj, env: pm.EnvironmentPlan):
    """`obj` with every selector of tracegen's collector pods (kc.selector) replaced by the labels the
    Operator puts on them, so the kustomize flavour's Services, PodDisruptionBudget and NetworkPolicy
    select the Operator's pods."""
    if isinstance(obj, dict):
        for name in (pm.AGENT_SERVICE, pm.GATEWAY_SERVICE):
            if obj == kc.selector(name):
                return selector(env, name)
        return {key: _reselect(value, env) for key, value in obj.items()}
    if isinstance(obj, list):
        return [_reselect(item, env) for item in obj]
    return obj


def _volumes(env: pm.EnvironmentPlan, tier: pm.Tier, name: str, text: str, queue: dict | None,
             certificate: str) -> tuple[list[dict], list[dict]]:
    """The kustomize flavour's volumes and mounts (queue, TLS files, cert-manager certificates) without
    its config volume: the Operator mounts the config itself."""
    container = kc.collector_container(env, tier, name, [], text, (), node_filter=False)
    volumes = kc.collector_volumes("", [], env, text, queue, certificate)
    return ([v for v in volumes if v["name"] != "config"],
            [m for m in container["volumeMounts"] if m["name"] != "config"])


def _collector(env: pm.EnvironmentPlan, tier: pm.Tier, name: str, mode: str, config: dict, text: str,
               secrets: tuple[str, ...], flags: tuple[str, ...], queue: dict | None, certificate: str) -> dict:
    volumes, mounts = _volumes(env, tier, name, text, queue, certificate)
    spec: dict = {
        "mode": mode, "image": kc.image(env), "imagePullPolicy": "IfNotPresent", "config": config,
        "serviceAccount": name, "resources": kc.resources(tier),
        "env": kc.collector_env(tier, text, secrets, node_filter=mode == "daemonset"),
        "podSecurityContext": kc.pod_security(), "securityContext": kc.container_security(),
        "terminationGracePeriodSeconds": 30, "volumes": volumes, "volumeMounts": mounts,
    }
    args = _args(flags)
    if args:
        spec["args"] = args
    if mode == "daemonset":
        spec["tolerations"] = [{"operator": "Exists"}]
        spec["priorityClassName"] = kcol.priority_class_name(env)
        spec["daemonSetUpdateStrategy"] = {"type": "RollingUpdate",
                                           "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}}
    else:
        spec["replicas"] = tier.replicas
    return {"apiVersion": API, "kind": "OpenTelemetryCollector",
            "metadata": kc.meta(name, tier.namespace, kc.labels(name, "agent" if mode == "daemonset" else "gateway",
                                                                env)),
            "spec": spec}


def _service(env: pm.EnvironmentPlan, name: str, target: str, namespace: str, ports: list[dict], **spec) -> dict:
    role = "agent" if target == pm.AGENT_SERVICE else "gateway"
    return {"apiVersion": "v1", "kind": "Service", "metadata": kc.meta(name, namespace, kc.labels(name, role, env)),
            "spec": {"selector": selector(env, target), "ports": ports, **spec}}


def _agent(env: pm.EnvironmentPlan, tier: pm.Tier, cfg: kcol.Configs) -> list[dict]:
    config = _config(cfg.agent[kcol.AGENT_KEY])
    volumes_extra: list[tuple[dict, dict]] = []
    strategies = [(key, path) for key, path in cfg.agent_paths if key != kcol.AGENT_KEY]
    objects: list[dict] = [kcol.priority_class(env), *kcol.agent_certificates(env, tier)]
    if strategies:
        # edge_head: the strategies files from a ConfigMap of their own, the extension pointed at them.
        source = config["extensions"]
        name = next(k for k, v in source.items() if isinstance(v, dict) and "source" in v)
        source[name]["source"]["file"] = f"{STRATEGIES_MOUNT}/{rs.ACTIVE_FILE}"
        cm = f"{pm.AGENT_SERVICE}-{rs.STRATEGIES_DIRECTORY}"
        objects.append(kcol.config_map(cm, tier.namespace, {k: cfg.agent[k] for k, _ in strategies}, env, "agent"))
        volumes_extra.append((
            {"name": "strategies", "configMap": {"name": cm, "items": [
                {"key": k, "path": p.removeprefix(f"{rs.STRATEGIES_DIRECTORY}/")} for k, p in strategies]}},
            {"name": "strategies", "mountPath": STRATEGIES_MOUNT, "readOnly": True}))
    collector = _collector(env, tier, pm.AGENT_SERVICE, "daemonset", config, cfg.agent_text, cfg.agent_secrets,
                           env.collectors.args("agent", "kubernetes"),
                           {"emptyDir": {"sizeLimit": f"{max(1, -(-tier.memory_mib // 512))}Gi"}},
                           transport.AGENT_CERTIFICATE)
    for volume, mount in volumes_extra:
        collector["spec"]["volumes"].append(volume)
        collector["spec"]["volumeMounts"].append(mount)
    # Node-local, as in the kustomize flavour: the SDKs, the mesh and the ingress address this name.
    return objects + [collector, _reselect(kcol.agent_service(env, tier, tier.namespace), env)]


def _gateway(env: pm.EnvironmentPlan, tier: pm.Tier, cfg: kcol.Configs) -> list[dict]:
    files = {path: cfg.gateway[key] for key, path in cfg.gateway_paths}
    config = _config(files[kcol.GATEWAY_KEY])
    if cfg.active_mode:
        # One config per OpenTelemetryCollector: the active mode's overlay merged as the collector would.
        config = _merged(config, _config(files[f"modes/{cfg.active_mode}.yaml"]))
    stateful = env.persistent_queue
    collector = _collector(env, tier, pm.GATEWAY_SERVICE, "statefulset" if stateful else "deployment", config,
                           cfg.gateway_text, cfg.gateway_secrets, env.collectors.args("gateway", "kubernetes"),
                           None if stateful else {"emptyDir": {}}, transport.GATEWAY_CERTIFICATE)
    if stateful:
        size = f"{max(1, -(-tier.memory_mib * 2 // 1024))}Gi"
        collector["spec"]["volumeClaimTemplates"] = [{
            "metadata": {"name": "queue"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}}}]
        collector["spec"]["persistentVolumeClaimRetentionPolicy"] = {"whenDeleted": "Retain", "whenScaled": "Retain"}
    # The kustomize flavour's Services (the resolver's headless one among them), exposure for VM agents,
    # PodDisruptionBudget and NetworkPolicy, selecting the Operator's pods.
    return [*kcol.gateway_certificates(env, tier), collector, *_reselect(
        [*kcol.gateway_services(env, tier), *kcol.exposure_service(env, tier), kcol.disruption_budget(env, tier),
         kcol.network_policy(env, tier)], env)]


def service_accounts(env: pm.EnvironmentPlan) -> list[dict]:
    found = []
    if operator_agent(env):
        found.append(kcol.service_account(pm.AGENT_SERVICE, kc.collector_namespace(env), env, "agent", True))
    if operator_gateway(env):
        found.append(kcol.service_account(pm.GATEWAY_SERVICE, kc.collector_namespace(env), env, "gateway", False))
    return found


def collectors(env: pm.EnvironmentPlan) -> list[dict]:
    cfg = kcol.configs(env)
    objects = service_accounts(env)
    agent, gateway = operator_agent(env), operator_gateway(env)
    if agent is not None:
        objects += _agent(env, agent, cfg)
    if gateway is not None:
        objects += _gateway(env, gateway, cfg)
    return objects


# --------------------------------------------------------------------------- Instrumentation
def instrumentation_name(env: pm.EnvironmentPlan) -> str:
    return env.blueprint_name


def _common(services: list[pm.ServicePlan], name: str) -> str | None:
    values = Counter(dict(s.otel_env).get(name) for s in services)
    return values.most_common(1)[0][0] if values else None


def instrumentation(env: pm.EnvironmentPlan, namespace: str, services: list[pm.ServicePlan]) -> dict:
    grpc = next((s for s in services if s.otlp_protocol == "grpc"), services[0])
    propagators = (_common(services, "OTEL_PROPAGATORS") or "tracecontext,baggage").split(",")
    spec: dict = {"exporter": {"endpoint": grpc.otlp_endpoint}, "propagators": propagators,
                  "resource": {"addK8sUIDAttributes": True}}
    sampler, arg = _common(services, "OTEL_TRACES_SAMPLER"), _common(services, "OTEL_TRACES_SAMPLER_ARG")
    if sampler in CRD_SAMPLERS:
        spec["sampler"] = {"type": sampler, "argument": arg or "1"}
    for inject in sorted({languages.get(s.language).operator_inject for s in services}):
        first = next(s for s in services if languages.get(s.language).operator_inject == inject)
        values = dict(first.otel_env)
        spec[inject] = {"env": [{"name": key, "value": values[key]} for key in
                                ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL",
                                 "OTEL_METRICS_EXPORTER", "OTEL_LOGS_EXPORTER")]}
    name = instrumentation_name(env)
    return {"apiVersion": INSTRUMENTATION_API, "kind": "Instrumentation",
            "metadata": kc.meta(name, namespace, kc.labels(name, "instrumentation", env)), "spec": spec}


def instrumentations(env: pm.EnvironmentPlan) -> list[dict]:
    by_namespace: dict[str, list[pm.ServicePlan]] = {}
    for service in env.services:
        if annotation(service) is not None and service.namespace:
            by_namespace.setdefault(service.namespace, []).append(service)
    return [instrumentation(env, ns, services) for ns, services in sorted(by_namespace.items())]


def files(env: pm.EnvironmentPlan) -> dict[str, list[dict]]:
    """Path under `<env>/operator/` -> its documents."""
    found = {"collectors.yaml": collectors(env), "instrumentation.yaml": instrumentations(env)}
    found = {path: docs for path, docs in found.items() if docs}
    if found:
        found["kustomization.yaml"] = [{"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
                                        "resources": sorted(found)}]
    return found


def build(plan: pm.Plan) -> list[Artifact]:
    artifacts: list[Artifact] = []
    for env in plan.environments:
        if not applies(env):
            continue
        for path, docs in files(env).items():
            content = (to_yaml(docs[0], source=plan.source_file) if len(docs) == 1
                       else to_yaml_documents(docs, source=plan.source_file))
            artifacts.append(Artifact(path=f"{env.name}/{DIRECTORY}/{path}", kind="operator-manifest",
                                      content=content, environment=env.name))
    return artifacts
