"""What applications adopt: one kustomize Component per service that sets its OTEL_* variables (and,
for the sidecar placement, adds the agent), and the admission policy that keeps B3 at the edge."""

from __future__ import annotations

from tracegen.plan import model as pm
from tracegen.targets import kubernetes_collectors as kcol
from tracegen.targets import kubernetes_common as kc

PATCH_FILE = "otel-env.yaml"
SIDECAR_CONFIG_FILE = "otel-agent-config.yaml"
COMPONENT_API = "kustomize.config.k8s.io/v1alpha1"
# CEL: the object being admitted carries the opt-in label (kc.OPT_IN_LABEL) set to "true".
OPTED_IN = (f"has(object.metadata.labels) && '{kc.OPT_IN_LABEL}' in object.metadata.labels"
            f" && object.metadata.labels['{kc.OPT_IN_LABEL}'] == 'true'")


def otel_env(service: pm.ServicePlan) -> list[dict]:
    return [{"name": name, "value": value} for name, value in service.otel_env]


def _sidecar(env: pm.EnvironmentPlan, tier: pm.Tier, service: pm.ServicePlan, cfg: kcol.Configs) -> tuple[dict, list]:
    args = [f"--config={kc.CONFIG_MOUNT}/{kcol.AGENT_KEY}", *env.collectors.args("agent", "kubernetes")]
    container = kc.collector_container(env, tier, "otel-agent", args,
                                       cfg.agent_text, cfg.agent_secrets, node_filter=True)
    # A native sidecar (an init container that keeps running) starts before the app and stops after it.
    container["restartPolicy"] = "Always"
    container["securityContext"] = {**container["securityContext"], "runAsUser": kc.COLLECTOR_UID,
                                    "runAsGroup": kc.COLLECTOR_UID}
    volumes = kc.collector_volumes(f"{kcol.AGENT_CONFIG_MAP}-{service.name}", [(kcol.AGENT_KEY, kcol.AGENT_KEY)],
                                   env, cfg.agent_text, {"emptyDir": {"sizeLimit": "1Gi"}})
    return container, volumes


def component(env: pm.EnvironmentPlan, service: pm.ServicePlan, cfg: kcol.Configs) -> dict[str, dict]:
    """file name -> document, for `<env>/kubernetes/apps/<service>/`."""
    pod: dict = {"containers": [{"name": service.name, "env": otel_env(service)}]}
    files: dict[str, dict] = {}
    resources: list[str] = []
    tier = kc.k8s_agent(env)
    if tier is not None and tier.placement == "sidecar":
        sidecar, volumes = _sidecar(env, tier, service, cfg)
        pod["initContainers"] = [sidecar]
        pod["volumes"] = [{**v, "name": f"otel-agent-{v['name']}"} for v in volumes]
        sidecar["volumeMounts"] = [{**m, "name": f"otel-agent-{m['name']}"} for m in sidecar["volumeMounts"]]
        files[SIDECAR_CONFIG_FILE] = kcol.config_map(f"{kcol.AGENT_CONFIG_MAP}-{service.name}", service.namespace,
                                                     cfg.agent, env, "agent")
        resources.append(SIDECAR_CONFIG_FILE)
        pod_annotations = {"metadata": {"annotations": {kc.CHECKSUM_ANNOTATION: kc.checksum(cfg.agent)}}}
    else:
        pod_annotations = {}
    # The label opts the workload into the admission policy (admission_policy), and only it.
    files[PATCH_FILE] = {"apiVersion": "apps/v1", "kind": "Deployment",
                         "metadata": {"name": service.name, "labels": {kc.OPT_IN_LABEL: "true"}},
                         "spec": {"template": {**pod_annotations, "spec": pod}}}
    kustomization: dict = {
        "apiVersion": COMPONENT_API, "kind": "Component",
        "patches": [{"path": PATCH_FILE, "target": {"group": "apps", "version": "v1", "kind": "Deployment",
                                                    "name": service.name}}]}
    if resources:
        kustomization["resources"] = resources
    files["kustomization.yaml"] = kustomization
    return files


def admission_policy(env: pm.EnvironmentPlan) -> list[dict]:
    """"No B3 past the edge": workloads that adopted tracing (the label the app Components add) in
    app namespaces must name themselves and must not propagate B3; edge namespaces, where B3 from
    legacy clients is translated, are not bound. Only namespaces the blueprint declares as app
    namespaces are bound: never `default` by inference. Workloads without the label (Redis, Kafka,
    anything tracegen did not touch) are never judged: the binding's objectSelector skips them, and
    the policy's matchCondition skips them under any other binding too.

    failurePolicy Fail, deliberately: it applies only when the policy itself cannot be evaluated
    (a CEL runtime error, a missing binding parameter), never to a workload that fails a
    validation. The expressions are total over any Deployment/StatefulSet/DaemonSet (every optional
    field is guarded by has()), and the scope is only opted-in workloads, so Fail can only block
    tracegen's own services when the policy is broken, which should stop the first rollout loudly
    rather than let B3 leak past the edge unnoticed (Ignore would)."""
    apps = sorted(set(env.app_namespaces) - set(env.edge_namespaces))
    if not apps:
        return []
    name = f"{env.blueprint_name}-no-b3-past-edge"
    label = kc.labels(name, "admission", env)
    containers = "variables.containers"
    policy = {
        "apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicy",
        "metadata": kc.meta(name, None, label),
        "spec": {
            "failurePolicy": "Fail",
            "matchConstraints": {"resourceRules": [{
                "apiGroups": ["apps"], "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE"],
                "resources": ["deployments", "statefulsets", "daemonsets"]}]},
            "matchConditions": [{"name": "opted-in", "expression": OPTED_IN}],
            "variables": [{"name": "containers", "expression":
                           "object.spec.template.spec.containers + (has(object.spec.template.spec.initContainers)"
                           " ? object.spec.template.spec.initContainers : [])"}],
            "validations": [
                {"expression": f"{containers}.all(c, !has(c.env) || c.env.all(e, e.name != 'OTEL_PROPAGATORS'"
                               " || !has(e.value) || !(e.value.contains('b3') || e.value.contains('B3'))))",
                 "message": "OTEL_PROPAGATORS contains b3: only edge namespaces may speak B3; use "
                            "tracecontext,baggage (W3C) past the edge",
                 "reason": "Forbidden"},
                {"expression": f"{containers}.exists(c, has(c.env) && c.env.exists(e, e.name == 'OTEL_SERVICE_NAME'))",
                 "message": f"the workload is labelled {kc.OPT_IN_LABEL} but no container sets OTEL_SERVICE_NAME: "
                            f"add its tracing component ({env.name}/kubernetes/apps/<service>) to its "
                            "kustomization, and do not override the component's env",
                 "reason": "Invalid"},
            ],
        },
    }
    expressions = [{"key": kc.NAMESPACE_LABEL, "operator": "In", "values": apps}]
    if env.edge_namespaces:
        expressions.append({"key": kc.NAMESPACE_LABEL, "operator": "NotIn", "values": sorted(env.edge_namespaces)})
    binding = {
        "apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": kc.meta(name, None, label),
        "spec": {"policyName": name, "validationActions": ["Deny"],
                 "matchResources": {"namespaceSelector": {"matchExpressions": expressions},
                                    "objectSelector": {"matchLabels": {kc.OPT_IN_LABEL: "true"}}}},
    }
    return [policy, binding]
