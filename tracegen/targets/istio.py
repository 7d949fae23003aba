"""Istio tracing, per Kubernetes environment whose blueprint has `mesh.istio`.

- `<env>/istio/istiod-values.yaml`: the MeshConfig `extensionProviders` entry, as istiod Helm values
  (`helm upgrade istiod istio/istiod -n istio-system -f istiod-values.yaml`; with istioctl, put the
  same `meshConfig` under `spec.meshConfig` of your IstioOperator file). Providers live in
  MeshConfig: it names the node-local agent Service.
- `<env>/istio/telemetry.yaml`: a mesh-wide `telemetry.istio.io/v1` Telemetry in the root namespace
  that selects that provider *by name* and sets randomSamplingPercentage. It never carries the
  provider's address (the form some guides show is rejected by the API server). It also covers the
  Istio ingress gateway.
- `<env>/istio/kustomization.yaml`: included by `<env>/kubernetes/kustomization.yaml`.

Keep the mesh's percentage at or above what tail sampling expects (standards rule TG302): the
collector never sees the traces the mesh did not sample.
"""

from __future__ import annotations

from tracegen.plan import model as pm
from tracegen.targets import kubernetes_common as kc
from tracegen.targets.artifact import Artifact
from tracegen.targets.serialize import to_yaml

DIRECTORY = kc.ISTIO_DIRECTORY
TELEMETRY_NAME = "mesh-default"
TELEMETRY_API = "telemetry.istio.io/v1"
KUSTOMIZE_API = "kustomize.config.k8s.io/v1beta1"


def extension_provider(mesh: pm.Mesh) -> dict:
    return {"name": mesh.provider_name,
            "opentelemetry": {"service": mesh.collector_service, "port": mesh.collector_port}}


def mesh_values(mesh: pm.Mesh) -> dict:
    return {"meshConfig": {"extensionProviders": [extension_provider(mesh)]}}


def telemetry(env: pm.EnvironmentPlan, mesh: pm.Mesh) -> dict:
    return {"apiVersion": TELEMETRY_API, "kind": "Telemetry",
            "metadata": kc.meta(TELEMETRY_NAME, mesh.root_namespace, kc.labels(TELEMETRY_NAME, "mesh", env)),
            "spec": {"tracing": [{"providers": [{"name": mesh.provider_name}],
                                  "randomSamplingPercentage": float(mesh.istio_sampling_percentage)}]}}


def build(plan: pm.Plan) -> list[Artifact]:
    artifacts: list[Artifact] = []
    for env in plan.environments:
        if not kc.has_mesh(env):
            continue
        mesh = env.mesh
        assert mesh is not None
        base = f"{env.name}/{DIRECTORY}"
        for path, data in (("istiod-values.yaml", mesh_values(mesh)), ("telemetry.yaml", telemetry(env, mesh)),
                           ("kustomization.yaml", {"apiVersion": KUSTOMIZE_API, "kind": "Kustomization",
                                                   "resources": ["telemetry.yaml"]})):
            artifacts.append(Artifact(path=f"{base}/{path}", kind="istio",
                                      content=to_yaml(data, source=plan.source_file), environment=env.name))
    return artifacts
