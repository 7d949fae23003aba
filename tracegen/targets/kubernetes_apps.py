"""What applications adopt: one kustomize Component per service that sets its OTEL_* variables (and,
for the sidecar placement, adds the agent; for a Java service, the Java agent), and the admission
policy that keeps B3 at the edge.

Each Component patches the workload of the kind the blueprint names (`services.<name>.kubernetes.workload`:
Deployment, StatefulSet, DaemonSet, CronJob, whose pod template is spec.jobTemplate.spec.template, or
an Argo Rollout), selected by kind and name. Not by namespace: kustomize applies Components before
its `namespace:` transformer, so a namespace selector would silently match nothing in the usual app
kustomization; the service's namespace places the Component's own objects and scopes the admission
policy and the collectors' NetworkPolicy. kustomize merges lists by key (containers by name) only for
kinds whose schema it knows: a Rollout's Component therefore carries the few lines of OpenAPI that
tell it a Rollout's spec.template is a pod template (without them the patch would replace the app's
container list, image included)."""

from __future__ import annotations

from tracegen.plan import model as pm
from tracegen.targets import kubernetes_collectors as kcol
from tracegen.targets import java_agent
from tracegen.targets import kubernetes_common as kc
from tracegen.targets import operator_common

PATCH_FILE = "otel-env.yaml"
ROLLOUT_OPENAPI_FILE = "rollout-openapi.yaml"
# kind -> (API group, version, path of the pod template in its spec)
WORKLOADS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "Deployment": ("apps", "v1", ("template",)),
    "StatefulSet": ("apps", "v1", ("template",)),
    "DaemonSet": ("apps", "v1", ("template",)),
    "CronJob": ("batch", "v1", ("jobTemplate", "spec", "template")),
    "Rollout": ("argoproj.io", "v1alpha1", ("template",)),
}
JAVA_AGENT_VOLUME = "otel-java-agent"
JAVA_AGENT_CONTAINER = "opentelemetry-java-agent"     # not otel-*: that names tracegen's collectors
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


def _java_agent(pod: dict) -> None:
    """An init container copies the agent jar from the OpenTelemetry Operator's image into an emptyDir
    the app container reads it from; JAVA_TOOL_OPTIONS makes the JVM load it (targets/java_agent.py)."""
    copy = {"name": JAVA_AGENT_CONTAINER, "image": java_agent.IMAGE,
            "command": ["cp", java_agent.IMAGE_JAR, java_agent.POD_JAR],
            "volumeMounts": [{"name": JAVA_AGENT_VOLUME, "mountPath": java_agent.POD_DIRECTORY}],
            # The image's root is busybox: any user may read the jar; nothing else is needed.
            "securityContext": {**kc.container_security(), "runAsUser": 65532, "runAsGroup": 65532},
            "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "64Mi"}}}
    pod.setdefault("initContainers", []).insert(0, copy)
    app = pod["containers"][0]
    app["env"] = [*app["env"], {"name": java_agent.VARIABLE, "value": java_agent.tool_options(java_agent.POD_JAR)}]
    app["volumeMounts"] = [{"name": JAVA_AGENT_VOLUME, "mountPath": java_agent.POD_DIRECTORY, "readOnly": True}]
    pod.setdefault("volumes", []).append({"name": JAVA_AGENT_VOLUME, "emptyDir": {"sizeLimit": "200Mi"}})


def rollout_openapi() -> dict:
    """Just enough OpenAPI for kustomize to merge a Rollout's pod template like a Deployment's: the
    Rollout's spec.template refers to kustomize's built-in PodTemplateSpec (measured with kubectl kustomize)."""
    return {"definitions": {"io.argoproj.v1alpha1.Rollout": {
        "type": "object",
        "x-kubernetes-group-version-kind": [{"group": "argoproj.io", "kind": "Rollout", "version": "v1alpha1"}],
        "properties": {
            "apiVersion": {"type": "string"}, "kind": {"type": "string"},
            "metadata": {"$ref": "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"},
            "spec": {"type": "object", "properties": {
                "template": {"$ref": "#/definitions/io.k8s.api.core.v1.PodTemplateSpec"}}}}}}}


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
    inject = operator_common.annotation(service)
    if inject is not None:    # sdk.mode operator: the Operator injects its agent (targets/operator.py)
        pod_annotations.setdefault("metadata", {}).setdefault("annotations", {})[inject[0]] = inject[1]
    if java_agent.wanted(service):
        _java_agent(pod)
    # The label opts the workload into the admission policy (admission_policy), and only it.
    group, version, template_path = WORKLOADS[service.workload]
    spec: dict = {**pod_annotations, "spec": pod}
    for key in reversed(template_path):
        spec = {key: spec}
    files[PATCH_FILE] = {"apiVersion": f"{group}/{version}", "kind": service.workload,
                         "metadata": {"name": service.name, "labels": {kc.OPT_IN_LABEL: "true"}},
                         "spec": spec}
    kustomization: dict = {
        "apiVersion": COMPONENT_API, "kind": "Component",
        "patches": [{"path": PATCH_FILE, "target": {"group": group, "version": version, "kind": service.workload,
                                                    "name": service.name}}]}
    if service.workload == "Rollout":
        files[ROLLOUT_OPENAPI_FILE] = rollout_openapi()
        kustomization["openapi"] = {"path": ROLLOUT_OPENAPI_FILE}
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
            # Every kind a Component can patch (WORKLOADS); a CronJob's pod template sits in its jobTemplate.
            "matchConstraints": {"resourceRules": [
                {"apiGroups": ["apps"], "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE"],
                 "resources": ["deployments", "statefulsets", "daemonsets"]},
                {"apiGroups": ["batch"], "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE"],
                 "resources": ["cronjobs"]},
                {"apiGroups": ["argoproj.io"], "apiVersions": ["v1alpha1"], "operations": ["CREATE", "UPDATE"],
                 "resources": ["rollouts"]}]},
            "matchConditions": [{"name": "opted-in", "expression": OPTED_IN}],
            "variables": [
                {"name": "pod", "expression": "has(object.spec.jobTemplate) ? object.spec.jobTemplate.spec.template.spec"
                                              " : object.spec.template.spec"},
                {"name": "containers", "expression":
                 "variables.pod.containers + (has(variables.pod.initContainers) ? variables.pod.initContainers : [])"}],
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
