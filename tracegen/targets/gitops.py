"""GitOps: `<env>/argocd/application.yaml`, an Argo CD Application per Kubernetes environment that
syncs `<env>/kubernetes` (which includes `../ingress`) to the environment's cluster, and with an
Istio mesh `<env>/argocd/istiod.yaml`, which installs the mesh's tracing provider (istiod's chart
with `<env>/istio/istiod-values.yaml`) and then `<env>/istio`, the Telemetry naming it.

Emitted when the blueprint says where the output is committed (`gitops: {repo_url, revision, path}`);
without it there is nothing Argo CD could sync from, and no Application is written. The
destination is the blueprint's cluster name, as registered in Argo CD.
Server-side apply lets the Application own just the keys it sets in shared objects (the
ingress-nginx ConfigMap). The gateway's replica count is the blueprint's (no autoscaler), so a
sync never fights one.
"""

from __future__ import annotations

from tracegen.plan import model as pm
from tracegen.targets import kubernetes_common as kc
from tracegen.targets.artifact import Artifact
from tracegen.targets.serialize import to_yaml

ARGOCD_NAMESPACE = "argocd"


def application(env: pm.EnvironmentPlan, gitops: pm.GitOps) -> dict:
    name = f"{env.blueprint_name}-tracing-{env.name}"
    path = "/".join(part for part in (gitops.path, env.name, "kubernetes") if part)
    return {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
        "metadata": kc.meta(name, ARGOCD_NAMESPACE, kc.labels(name, "gitops", env)),
        "spec": {
            "project": gitops.project,
            "source": {"repoURL": gitops.repo_url, "targetRevision": gitops.revision, "path": path},
            "destination": {"name": env.kubernetes_cluster, "namespace": kc.collector_namespace(env)},
            "syncPolicy": {"automated": {"prune": True, "selfHeal": True},
                           "syncOptions": ["ServerSideApply=true", "CreateNamespace=false"]},
        },
    }


def istiod_application(env: pm.EnvironmentPlan, gitops: pm.GitOps, mesh: pm.Mesh) -> dict:
    """istiod's chart with the generated values (the mesh's extension provider), then `<env>/istio`
    (the Telemetry, a later sync wave): one Application, so the provider exists before anything
    names it. Argo CD renders the chart itself (`helm template`); it takes over an istiod release
    of the same name. No resources finalizer: deleting the Application leaves istiod running."""
    name = f"{env.blueprint_name}-istiod-{env.name}"
    istio_path = "/".join(part for part in (gitops.path, env.name, kc.ISTIO_DIRECTORY) if part)
    values = f"$values/{istio_path}/istiod-values.yaml"
    return {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
        "metadata": kc.meta(name, ARGOCD_NAMESPACE, kc.labels(name, "gitops", env)),
        "spec": {
            "project": gitops.project,
            "sources": [
                {"repoURL": kc.ISTIOD_CHART_REPO, "chart": "istiod", "targetRevision": kc.ISTIOD_CHART_VERSION,
                 "helm": {"releaseName": "istiod", "valueFiles": [values]}},
                {"repoURL": gitops.repo_url, "targetRevision": gitops.revision, "ref": "values"},
                {"repoURL": gitops.repo_url, "targetRevision": gitops.revision, "path": istio_path},
            ],
            "destination": {"name": env.kubernetes_cluster, "namespace": kc.ISTIOD_NAMESPACE},
            # istiod's webhooks get their caBundle patched at run time: not drift.
            "ignoreDifferences": [{"group": "admissionregistration.k8s.io", "kind": kind,
                                   "jqPathExpressions": [".webhooks[]?.clientConfig.caBundle"]}
                                  for kind in ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration")],
            "syncPolicy": {"automated": {"prune": False, "selfHeal": True},
                           "syncOptions": ["ServerSideApply=true", "CreateNamespace=true", "RespectIgnoreDifferences=true"]},
        },
    }


def build(plan: pm.Plan) -> list[Artifact]:
    artifacts: list[Artifact] = []
    for env in plan.environments:
        if not (kc.is_kubernetes(env) and env.gitops):
            continue
        documents = [("application.yaml", application(env, env.gitops))]
        if kc.istio_synced_by_gitops(env):
            assert env.mesh is not None
            documents.append(("istiod.yaml", istiod_application(env, env.gitops, env.mesh)))
        artifacts += [Artifact(path=f"{env.name}/argocd/{name}", kind="kubernetes-manifest",
                               content=to_yaml(doc, source=plan.source_file), environment=env.name)
                      for name, doc in documents]
    return artifacts
