"""Per-service namespace and workload kind, and the Java agent in pods (issue 12, item 7): each
service's Component patches the kind the blueprint names, at the pod template path of that kind, and
a Java service's pods get the agent from an init container; the collectors' namespace is labelled
`restricted` only when it is theirs alone. Applied for real with `kubectl kustomize` and validated by
schema in the e2e-marked tests at the end."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from tracegen.blueprint.loader import load_text
from tracegen.plan.builder import build_plan
from tracegen.plan.refusals import PlanRefused
from tracegen.targets import java_agent
from tracegen.targets import kubernetes as target

BLUEPRINT = """\
schema_version: 1
name: shop
services:
  web: {version: 1.0.0, language: node, edge: true, inbound: [http]}
  orders: {version: 1.0.0, language: java, kubernetes: {namespace: payments, workload: StatefulSet}}
  nightly: {version: 1.0.0, language: python, kubernetes: {workload: CronJob}}
  canary: {version: 1.0.0, language: java, kubernetes: {namespace: payments, workload: Rollout}}
  logs: {version: 1.0.0, language: go, kubernetes: {workload: DaemonSet}}
environments:
  prod:
    platform:
      kubernetes:
        cluster: prod
        namespace: %(collectors)s
        app_namespaces: [shop, payments]
        edge_namespaces: [edge]
"""


def _files(text: str = BLUEPRINT % {"collectors": "observability"}) -> dict[str, object]:
    plan = build_plan(load_text(text, "bp.yaml"))
    return {a.path.removeprefix("prod/kubernetes/"): a for a in target.build(plan)}


def _doc(files: dict, path: str) -> dict:
    return yaml.safe_load(files[path].content)


@pytest.mark.parametrize("service, kind, api, template", [
    ("web", "Deployment", "apps/v1", ("spec", "template")),
    ("orders", "StatefulSet", "apps/v1", ("spec", "template")),
    ("logs", "DaemonSet", "apps/v1", ("spec", "template")),
    ("nightly", "CronJob", "batch/v1", ("spec", "jobTemplate", "spec", "template")),
    ("canary", "Rollout", "argoproj.io/v1alpha1", ("spec", "template")),
])
def test_each_component_patches_its_kind_at_its_pod_template(service, kind, api, template):
    files = _files()
    patch = _doc(files, f"apps/{service}/otel-env.yaml")
    assert (patch["apiVersion"], patch["kind"], patch["metadata"]["name"]) == (api, kind, service)
    pod = patch
    for key in template:
        pod = pod[key]
    assert pod["spec"]["containers"][0]["name"] == service
    assert {"name": "OTEL_SERVICE_NAME", "value": service} in pod["spec"]["containers"][0]["env"]
    kustomization = _doc(files, f"apps/{service}/kustomization.yaml")
    group, _, version = api.rpartition("/")
    assert kustomization["patches"][0]["target"] == {"group": group, "version": version, "kind": kind, "name": service}
    assert ("openapi" in kustomization) == (kind == "Rollout")


def test_services_land_in_their_own_namespaces():
    plan = build_plan(load_text(BLUEPRINT % {"collectors": "observability"}, "bp.yaml"))
    namespaces = {s.name: s.namespace for s in plan.environments[0].services}
    assert namespaces == {"web": "edge", "orders": "payments", "nightly": "shop", "canary": "payments", "logs": "shop"}


def test_a_namespace_the_environment_does_not_declare_is_refused():
    text = (BLUEPRINT % {"collectors": "observability"}).replace("namespace: payments, workload: StatefulSet",
                                                                 "namespace: billing, workload: StatefulSet")
    with pytest.raises(PlanRefused) as caught:
        build_plan(load_text(text, "bp.yaml"))
    assert caught.value.refusals[0].path == ("services", "orders", "kubernetes", "namespace")
    assert "billing" in caught.value.refusals[0].message


def test_java_pods_get_the_agent_from_an_init_container():
    files = _files()
    pod = _doc(files, "apps/orders/otel-env.yaml")["spec"]["template"]["spec"]
    [copy] = pod["initContainers"]
    assert copy["image"] == java_agent.IMAGE and copy["command"] == ["cp", "/javaagent.jar", java_agent.POD_JAR]
    assert copy["securityContext"]["runAsNonRoot"] and not copy["securityContext"]["allowPrivilegeEscalation"]
    app = pod["containers"][0]
    assert {"name": "JAVA_TOOL_OPTIONS", "value": f"-javaagent:{java_agent.POD_JAR}"} in app["env"]
    assert app["volumeMounts"] == [{"name": "otel-java-agent", "mountPath": java_agent.POD_DIRECTORY, "readOnly": True}]
    assert pod["volumes"] == [{"name": "otel-java-agent", "emptyDir": {"sizeLimit": "200Mi"}}]
    other = _doc(files, "apps/nightly/otel-env.yaml")["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert "initContainers" not in other and "JAVA_TOOL_OPTIONS" not in str(other)


def test_the_java_agent_and_a_sidecar_agent_share_the_pod():
    text = (BLUEPRINT % {"collectors": "observability"}) + "topology:\n  agent: {placement: sidecar}\n"
    files = _files(text)
    pod = _doc(files, "apps/orders/otel-env.yaml")["spec"]["template"]["spec"]
    assert [c["name"] for c in pod["initContainers"]] == ["opentelemetry-java-agent", "otel-agent"]
    assert {"otel-java-agent"} < {v["name"] for v in pod["volumes"]}
    assert _doc(files, "apps/orders/otel-agent-config.yaml")["metadata"]["namespace"] == "payments"


def test_the_admission_policy_reads_each_kinds_pod_template():
    policy = yaml.safe_load_all(_files()["admission-policy.yaml"].content)
    spec = next(d for d in policy if d["kind"] == "ValidatingAdmissionPolicy")["spec"]
    resources = {(r["apiGroups"][0], res) for r in spec["matchConstraints"]["resourceRules"] for res in r["resources"]}
    assert {("apps", "statefulsets"), ("batch", "cronjobs"), ("argoproj.io", "rollouts")} <= resources
    assert "jobTemplate" in next(v["expression"] for v in spec["variables"] if v["name"] == "pod")


def test_a_namespace_shared_with_apps_is_not_labelled_restricted():
    own = _doc(_files(), "namespace.yaml")
    assert own["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    shared = _doc(_files(BLUEPRINT % {"collectors": "shop"}), "namespace.yaml")
    assert shared["metadata"]["name"] == "shop"
    assert "pod-security.kubernetes.io/enforce" not in shared["metadata"]["labels"]


@pytest.mark.e2e
@pytest.mark.skipif(not shutil.which("kubectl"), reason="needs kubectl (kustomize)")
@pytest.mark.parametrize("service", ["web", "orders", "logs", "nightly", "canary"])
def test_each_component_applies_to_a_real_workload_of_its_kind(service, tmp_path):
    """kubectl kustomize applies the Component to a workload as a team writes it (the app's image and
    own variables must survive: a Rollout without the Component's OpenAPI lost them), and the result is
    valid against the Kubernetes schemas, or Argo Rollouts' published CRD."""
    from tracegen.validators.kubernetes import check_component

    for path, artifact in _files().items():
        if path.startswith(f"apps/{service}/"):
            (tmp_path / Path(path).name).write_text(artifact.content)
    ok, detail = check_component(tmp_path, service)
    assert ok, detail
