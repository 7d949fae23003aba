"""What the Operator flavour (targets/operator.py) and the kustomize tree (targets/kubernetes.py)
must agree on, so neither imports the other: which collectors the Operator runs, where its
resources live, and the inject annotation of each service's Component."""

from __future__ import annotations

from tracegen import languages
from tracegen.plan import model as pm
from tracegen.targets import kubernetes_common as kc

DIRECTORY = "operator"                  # <env>/operator/, included by <env>/kubernetes/kustomization.yaml
INJECT_ANNOTATION = "instrumentation.opentelemetry.io/inject-{}"


def operator_agent(env: pm.EnvironmentPlan) -> pm.Tier | None:
    """The agent the Operator runs: a DaemonSet agent under `topology.deployment: operator` (the
    namespace and sidecar placements stay in the kustomize tree)."""
    tier = kc.k8s_agent(env)
    return tier if tier is not None and tier.placement == "daemonset" and env.collector_deployment == "operator" \
        else None


def operator_gateway(env: pm.EnvironmentPlan) -> pm.Tier | None:
    return kc.k8s_gateway(env) if env.collector_deployment == "operator" else None


def annotation(service: pm.ServicePlan) -> tuple[str, str] | None:
    """(key, value) of an operator-mode service's inject annotation: "true" picks the one
    Instrumentation of its namespace (targets/operator.py writes one per app namespace)."""
    inject = languages.get(service.language).operator_inject
    if service.sdk_mode != "operator" or inject is None:
        return None
    return INJECT_ANNOTATION.format(inject), "true"


def applies(env: pm.EnvironmentPlan) -> bool:
    """Whether `<env>/operator/` is emitted."""
    return kc.is_kubernetes(env) and bool(operator_agent(env) or operator_gateway(env) or
                                          any(annotation(s) for s in env.services if s.namespace))
