"""Istio tracing, per Kubernetes environment whose blueprint has `mesh.istio`.

- `<env>/istio/istiod-values.yaml`: the MeshConfig `extensionProviders` entry, as istiod Helm values.
  Providers live in MeshConfig (istiod's `istio` ConfigMap): it names the node-local agent Service.
  Something must install it before the Telemetry below names it, or istiod skips tracing with an
  unknown provider: with `gitops`, `<env>/argocd/istiod.yaml` renders istiod's chart with this
  file and syncs the Telemetry in a later wave (gitops target); without it, the README's one
  command (`helm upgrade istiod ... -f istiod-values.yaml`) runs before the kustomization.
- `<env>/istio/telemetry.yaml`: a mesh-wide `telemetry.istio.io/v1` Telemetry in the root namespace
  that selects that provider *by name* and sets randomSamplingPercentage. It never carries the
  provider's address (the form some guides show is rejected by the API server). It also covers the
  Istio ingress gateway. Its Argo CD sync wave puts it after istiod's mesh config.
- `<env>/istio/kustomization.yaml`: the Telemetry; included by `<env>/kubernetes/kustomization.yaml`
  without gitops, synced by the istiod Application with it.
- `<env>/istio/README.md`: how the provider gets installed, in order, and how to check it.

Keep the mesh's percentage at or above what tail sampling expects (standards rule TG302): the
collector never sees the traces the mesh did not sample.
"""

from __future__ import annotations

from tracegen.plan import model as pm
from tracegen.targets import kubernetes_common as kc
from tracegen.targets import templating
from tracegen.targets.artifact import Artifact
from tracegen.targets.serialize import to_yaml

DIRECTORY = kc.ISTIO_DIRECTORY
TELEMETRY_NAME = "mesh-default"
TELEMETRY_API = "telemetry.istio.io/v1"
KUSTOMIZE_API = "kustomize.config.k8s.io/v1beta1"
VALUES_FILE = "istiod-values.yaml"
README_TEMPLATE = "istio/README.md.j2"


def extension_provider(mesh: pm.Mesh) -> dict:
    return {"name": mesh.provider_name,
            "opentelemetry": {"service": mesh.collector_service, "port": mesh.collector_port}}


def mesh_values(mesh: pm.Mesh) -> dict:
    return {"meshConfig": {"extensionProviders": [extension_provider(mesh)]}}


def telemetry(env: pm.EnvironmentPlan, mesh: pm.Mesh) -> dict:
    annotations = {"argocd.argoproj.io/sync-wave": kc.TELEMETRY_SYNC_WAVE}
    return {"apiVersion": TELEMETRY_API, "kind": "Telemetry",
            "metadata": kc.meta(TELEMETRY_NAME, mesh.root_namespace, kc.labels(TELEMETRY_NAME, "mesh", env),
                                annotations),
            "spec": {"tracing": [{"providers": [{"name": mesh.provider_name}],
                                  "randomSamplingPercentage": float(mesh.istio_sampling_percentage)}]}}


def readme(env: pm.EnvironmentPlan, mesh: pm.Mesh) -> str:
    return templating.environment().get_template(README_TEMPLATE).render(
        env=env, mesh=mesh, values_file=VALUES_FILE, directory=DIRECTORY, gitops=kc.istio_synced_by_gitops(env),
        chart_repo=kc.ISTIOD_CHART_REPO, chart_version=kc.ISTIOD_CHART_VERSION, istiod_namespace=kc.ISTIOD_NAMESPACE)


def build(plan: pm.Plan) -> list[Artifact]:
    artifacts: list[Artifact] = []
    for env in plan.environments:
        if not kc.has_mesh(env):
            continue
        mesh = env.mesh
        assert mesh is not None
        base = f"{env.name}/{DIRECTORY}"
        for path, data in ((VALUES_FILE, mesh_values(mesh)), ("telemetry.yaml", telemetry(env, mesh)),
                           ("kustomization.yaml", {"apiVersion": KUSTOMIZE_API, "kind": "Kustomization",
                                                   "resources": ["telemetry.yaml"]})):
            artifacts.append(Artifact(path=f"{base}/{path}", kind="istio",
                                      content=to_yaml(data, source=plan.source_file), environment=env.name))
        artifacts.append(Artifact(path=f"{base}/README.md", kind="docs", content=readme(env, mesh),
                                  environment=env.name))
    return artifacts
