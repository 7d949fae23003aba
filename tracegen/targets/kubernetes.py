"""Kubernetes manifests, per environment on the kubernetes platform, as a kustomize directory.

- `<env>/kubernetes/kustomization.yaml`: builds everything below plus `../istio` and `../ingress`
  (`kubectl kustomize <env>/kubernetes`; the Argo CD Application in `<env>/argocd/` syncs it).
- `namespace.yaml`, `rbac.yaml`: the collector namespace; service accounts; a ClusterRole that lets
  k8s_attributes get/watch/list pods, namespaces and apps/replicasets, and nothing else; a Role for
  the load-balancing exporter's k8s resolver to watch the gateway's EndpointSlices.
- `agent.yaml`: the agent's ConfigMap (the collector config, byte for byte), a DaemonSet, and the
  `otel-agent` Service with internalTrafficPolicy Local that apps, the mesh and the ingress export
  to (node-local without hostPorts, so the namespace enforces Pod Security `restricted`), with a
  PriorityClass, tolerations for every taint and surge updates, so no node is left without one.
  Per-namespace and sidecar placements get Deployments instead.
- `gateway.yaml`: ConfigMap, StatefulSet (a volume per pod keeps the persistent queue) or
  Deployment with fixed replicas (no autoscaler: scaling reshards the trace-ID ring; the README
  says how to scale), spread over zones and nodes, a Service and a headless Service (the
  load-balancing resolver's), PodDisruptionBudget, and a NetworkPolicy that admits OTLP only from
  the agents and the mesh/ingress namespaces, and the metrics ports from the scraping namespaces.
- `admission-policy.yaml`: a ValidatingAdmissionPolicy and binding: no B3 and no missing
  OTEL_SERVICE_NAME for workloads in app namespaces that opted in (the label the app Components
  add); edge namespaces and unlabelled workloads are exempt.
- `apps/<service>/`: a kustomize Component each team adds to its own kustomization to get the
  OTEL_* variables (sampler ratio, propagators, resource attributes, the node-local endpoint).

Every collector pod runs the pinned image, as non-root on a read-only root filesystem with no
capabilities, with requests and limits memory_limiter is sized from, probes on health_check, a
config checksum that rolls it when the config changes, and secrets from `otel-collector-secrets`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator


from tracegen.plan import model as pm
from tracegen.plan import collector_exporters as ex
from tracegen.targets import kubernetes_apps as apps
from tracegen.targets import kubernetes_collectors as kcol
from tracegen.targets import kubernetes_common as kc
from tracegen.targets import operator_common
from tracegen.targets import templating
from tracegen.targets.artifact import Artifact
from tracegen.plan.otel_env import ratio_text
from tracegen.targets.serialize import to_yaml, to_yaml_documents

TEMPLATE_FILE_PATH = "kubernetes/README.md.j2"
KUSTOMIZE_API = "kustomize.config.k8s.io/v1beta1"


def kustomization(resources: list[str]) -> dict:
    return {"apiVersion": KUSTOMIZE_API, "kind": "Kustomization", "resources": resources}


def _service_namespace(env: pm.EnvironmentPlan, path: str) -> str | None:
    name = path.split("/")[1] if path.startswith("apps/") else None
    return next((s.namespace for s in env.services if s.name == name), None)


class _Seen:
    """What the README says about the files, noted as they stream past (they are not kept)."""

    def __init__(self, env: pm.EnvironmentPlan):
        self.env = env
        self.secret_namespaces: set[str] = set()
        self.gateway: dict | None = None

    def note(self, path: str, docs: list[dict]) -> None:
        for doc in docs:
            if kc.SECRET_NAME in json.dumps(doc):
                namespace = doc["metadata"].get("namespace") or _service_namespace(self.env, path)
                if namespace is not None:
                    self.secret_namespaces.add(namespace)
        if path == "gateway.yaml":
            self.gateway = next((d for d in docs if d["kind"] in ("StatefulSet", "Deployment")), None)


def _readme(env: pm.EnvironmentPlan, cfg: kcol.Configs, seen: _Seen) -> str:
    jinja = templating.environment()
    secrets = sorted(set(cfg.agent_secrets) | set(cfg.gateway_secrets))   # what the pods here reference
    secret_namespaces = sorted(seen.secret_namespaces)
    gateway = seen.gateway
    return jinja.get_template(TEMPLATE_FILE_PATH).render(
        env=env, agent=kc.k8s_agent(env), gateway=kc.k8s_gateway(env),
        gateway_kind=gateway["kind"] if gateway else None,
        namespace=kc.collector_namespace(env), secrets=secrets, secret_name=kc.SECRET_NAME,
        secret_namespaces=secret_namespaces,
        tls_secret=kc.TLS_SECRET_NAME, image=kc.image(env), active_mode=cfg.active_mode,
        opt_in_label=kc.OPT_IN_LABEL, scrape_label=kc.SCRAPE_LABEL,
        priority_class=kcol.priority_class_name(env) if kc.k8s_agent(env) else None,
        app_namespaces=sorted(set(env.app_namespaces) - set(env.edge_namespaces)), services=[s for s in env.services if s.platform == "kubernetes"], ratio=ratio_text,
        uses_tls=ex.TLS_DIRECTORY in cfg.agent_text + cfg.gateway_text)


def environment_files(env: pm.EnvironmentPlan, cfg: kcol.Configs) -> Iterator[tuple[str, list[dict]]]:
    """(path under `<env>/kubernetes/`, its documents), one file at a time: at 10,000 services an
    environment's 20,000 app documents held at once were 130 MB."""
    files: dict[str, list[dict]] = {"namespace.yaml": [kcol.namespace(env)], "rbac.yaml": kcol.rbac(env),
                                     "agent.yaml": kcol.agents(env, cfg), "gateway.yaml": kcol.gateways(env, cfg),
                                     "admission-policy.yaml": apps.admission_policy(env)}
    if operator_common.operator_agent(env):     # topology.deployment operator: <env>/operator/ runs them
        files.pop("agent.yaml")
    if operator_common.operator_gateway(env):
        files.pop("gateway.yaml")
    files = {path: docs for path, docs in files.items() if docs}
    resources = list(files)
    if operator_common.applies(env):
        resources.append(f"../{operator_common.DIRECTORY}")
    if kc.has_mesh(env) and not kc.istio_synced_by_gitops(env):
        resources.append(f"../{kc.ISTIO_DIRECTORY}")
    if kc.has_ingress_manifests(env):
        resources.append(f"../{kc.INGRESS_DIRECTORY}")
    files["kustomization.yaml"] = [kustomization(resources)]
    yield from files.items()
    for service in env.services:
        if service.platform != "kubernetes":
            continue              # it runs on VMs: its host's agent and the Ansible env file configure it
        for name, doc in apps.component(env, service, cfg).items():
            yield f"apps/{service.name}/{name}", [doc]


def build(plan: pm.Plan) -> Iterator[Artifact]:
    """One file at a time, as the writer takes them."""
    for env in plan.environments:
        if not kc.is_kubernetes(env):
            continue
        cfg = kcol.configs(env)
        seen = _Seen(env)
        for path, docs in environment_files(env, cfg):
            seen.note(path, docs)
            role = {"agent.yaml": "agent", "gateway.yaml": "gateway"}.get(path)
            service = path.split("/")[1] if path.startswith("apps/") else None
            content = (to_yaml(docs[0], source=plan.source_file) if len(docs) == 1
                       else to_yaml_documents(docs, source=plan.source_file))
            yield Artifact(path=f"{env.name}/kubernetes/{path}", kind="kubernetes-manifest",
                           content=content, environment=env.name, role=role, service=service)
        yield Artifact(path=f"{env.name}/kubernetes/README.md", kind="docs",
                       content=_readme(env, cfg, seen), environment=env.name)
