"""GitOps: `<env>/argocd/application.yaml`, an Argo CD Application per Kubernetes environment that
syncs `<env>/kubernetes` (which includes `../istio` and `../ingress`) to the environment's cluster.

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


def build(plan: pm.Plan) -> list[Artifact]:
    return [Artifact(path=f"{env.name}/argocd/application.yaml", kind="kubernetes-manifest",
                     content=to_yaml(application(env, env.gitops), source=plan.source_file),
                     environment=env.name)
            for env in plan.environments if kc.is_kubernetes(env) and env.gitops]
