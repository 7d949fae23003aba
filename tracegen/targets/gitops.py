"""GitOps: `<env>/argocd/application.yaml`, an Argo CD Application per Kubernetes environment that
syncs `<env>/kubernetes` (which includes `../istio` and `../ingress`) to the environment's cluster.

Commit the build output to a Git repository, then set `spec.source.repoURL` (and prefix
`spec.source.path` with the output's directory inside that repository) before applying it in the
Argo CD namespace. The destination is the blueprint's cluster name, as registered in Argo CD.
Server-side apply lets the Application own just the keys it sets in shared objects (the
ingress-nginx ConfigMap); the gateway's replica count is left to its HorizontalPodAutoscaler.
"""

from __future__ import annotations

from tracegen.plan import model as pm
from tracegen.targets import kubernetes_common as kc
from tracegen.targets.artifact import Artifact
from tracegen.targets.serialize import to_yaml

ARGOCD_NAMESPACE = "argocd"
# tracegen does not know where the output is pushed: a value Argo CD reports as unreachable until set.
REPO_URL_PLACEHOLDER = "https://git.example.invalid/set-me/tracing.git"


def application(env: pm.EnvironmentPlan) -> dict:
    name = f"{env.blueprint_name}-tracing-{env.name}"
    return {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
        "metadata": kc.meta(name, ARGOCD_NAMESPACE, kc.labels(name, "gitops", env)),
        "spec": {
            "project": "default",
            "source": {"repoURL": REPO_URL_PLACEHOLDER, "targetRevision": "HEAD", "path": f"{env.name}/kubernetes"},
            "destination": {"name": env.kubernetes_cluster, "namespace": kc.collector_namespace(env)},
            "syncPolicy": {"automated": {"prune": True, "selfHeal": True},
                           "syncOptions": ["ServerSideApply=true", "CreateNamespace=false"]},
        },
    }


def build(plan: pm.Plan) -> list[Artifact]:
    return [Artifact(path=f"{env.name}/argocd/application.yaml", kind="kubernetes-manifest",
                     content=to_yaml(application(env), source=plan.source_file), environment=env.name)
            for env in plan.environments if kc.is_kubernetes(env)]
