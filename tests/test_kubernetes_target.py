"""Kubernetes, Istio, ingress and GitOps targets: what an operator or an app team would notice.

Core objects are validated here against the real Kubernetes OpenAPI schemas (kubernetes-validate,
offline) and every environment directory is built with the real `kubectl kustomize`; custom
resources against their projects' CRDs are in tests/e2e/test_kubernetes_validate.py (needs Go).
Goldens: tests/golden_k8s/<case>/expected; accept a change with TRACEGEN_UPDATE_GOLDEN=1.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tracegen import versions
from tracegen.blueprint.loader import load_text
from tracegen.plan.builder import build_plan
from tracegen.standards.engine import check as standards_check
from tracegen.targets import build_all, collector, gitops, ingress, istio, kubernetes
from tracegen.plan import collector_common as cc
from tracegen.toolchain.schemas import validate_core
from tracegen.validators.kubernetes import check_component

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden_k8s"
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "blueprint.yaml").is_file())
TARGETS = (collector.build, kubernetes.build, istio.build, ingress.build, gitops.build)
UPDATE = os.environ.get("TRACEGEN_UPDATE_GOLDEN") == "1"
KUBECTL = shutil.which("kubectl")
needs_kubectl = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")


def case_text(case: str) -> str:
    return (GOLDEN / case / "blueprint.yaml").read_text(encoding="utf-8")


def render(text: str, name: str = "blueprint.yaml") -> dict[str, str]:
    plan = build_plan(load_text(text, name))
    return {a.path: a.content for build in TARGETS for a in build(plan)}


def edited(case: str, edit) -> str:
    data = yaml.safe_load(case_text(case))
    edit(data)
    return yaml.safe_dump(data, sort_keys=False)


def docs(files: dict[str, str], path: str) -> list[dict]:
    return [d for d in yaml.safe_load_all(files[path]) if d]


def find(files: dict[str, str], path: str, kind: str, name: str | None = None) -> dict:
    return next(d for d in docs(files, path) if d["kind"] == kind and (name is None or d["metadata"]["name"] == name))


def write(directory: Path, files: dict[str, str]) -> None:
    for path, text in files.items():
        target = directory / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def checkout() -> dict[str, str]:
    return render(case_text("checkout"), "tests/golden_k8s/checkout/blueprint.yaml")


@pytest.fixture(scope="module", params=CASES)
def every_case(request) -> dict[str, str]:
    return render(case_text(request.param), f"tests/golden_k8s/{request.param}/blueprint.yaml")


def pods(files: dict[str, str]) -> list[tuple[str, dict]]:
    """(path, pod spec) of every collector workload, sidecars included."""
    found = []
    for path in files:
        if not path.endswith(".yaml") or "/collector/" in path:
            continue
        for doc in docs(files, path):
            if doc.get("kind") in ("DaemonSet", "Deployment", "StatefulSet"):
                found.append((path, doc["spec"]["template"]["spec"]))
    return found


def collector_containers(files: dict[str, str]) -> list[dict]:
    return [c for _, spec in pods(files) for c in spec.get("containers", []) + spec.get("initContainers", [])
            if c["name"].startswith("otel-")]


# --------------------------------------------------------------------------- real consumers

def test_core_objects_validate_strictly_against_kubernetes_openapi(every_case):
    checked = 0
    for path, text in every_case.items():
        if not path.endswith(".yaml") or "/collector/" in path or path.endswith("kustomization.yaml"):
            continue
        if path.endswith("/otel-env.yaml") or path.endswith("istiod-values.yaml"):
            continue   # a patch (checked through its component) and Helm values (e2e)
        for doc in yaml.safe_load_all(text):
            if "." in doc["apiVersion"].split("/")[0] and not doc["apiVersion"].startswith(
                    ("apps/", "rbac.", "policy/", "autoscaling/", "networking.k8s.io/", "admissionregistration.",
                     "scheduling.k8s.io/")):
                continue   # custom resources: e2e, against their CRDs
            assert validate_core(doc) == [], f"{path}: {doc['kind']}/{doc['metadata']['name']}"
            checked += 1
    assert checked >= 8


def test_strict_validation_rejects_an_unknown_field():
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x"},
               "spec": {"ports": [{"port": 4317, "hostPort": 4317}]}}
    assert any("hostPort" in p for p in validate_core(service))


@needs_kubectl
def test_kubectl_kustomize_builds_every_environment(every_case, tmp_path):
    write(tmp_path, every_case)
    environments = sorted({p.split("/")[0] for p in every_case if "/kubernetes/" in p})
    assert environments
    for env in environments:
        result = subprocess.run([KUBECTL, "kustomize", str(tmp_path / env / "kubernetes")],
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        built = [d for d in yaml.safe_load_all(result.stdout) if d]
        kinds = {d["kind"] for d in built}
        assert {"Namespace", "ServiceAccount", "ClusterRole", "ConfigMap", "Service"} <= kinds
        for doc in built:
            if doc["apiVersion"].split("/")[0] in ("v1", "apps", "policy", "autoscaling") or \
                    doc["apiVersion"].startswith(("rbac.", "networking.k8s.io/", "admissionregistration.",
                                                  "scheduling.k8s.io/")):
                assert validate_core(doc) == [], f"{env}: {doc['kind']}/{doc['metadata']['name']}"


@needs_kubectl
def test_app_components_apply_to_a_deployment(every_case, tmp_path):
    write(tmp_path, every_case)
    components = sorted({p.rsplit("/", 1)[0] for p in every_case if "/kubernetes/apps/" in p})
    assert components
    for component in components:
        ok, detail = check_component(tmp_path / component, component.rsplit("/", 1)[1])
        assert ok, f"{component}: {detail}"


# --------------------------------------------------------------------------- collector pods

def test_every_collector_pod_is_restricted(every_case):
    for path, spec in pods(every_case):
        security = spec.get("securityContext", {})
        for container in spec.get("containers", []) + spec.get("initContainers", []):
            if not container["name"].startswith("otel-"):
                continue
            ctx = container["securityContext"]
            assert ctx["allowPrivilegeEscalation"] is False, path
            assert ctx["readOnlyRootFilesystem"] is True, path
            assert ctx["capabilities"] == {"drop": ["ALL"]}, path
            assert ctx.get("runAsNonRoot", security.get("runAsNonRoot")) is True, path
            assert (ctx.get("runAsUser") or security.get("runAsUser")) not in (None, 0), path


def test_image_is_pinned_to_the_collector_version(checkout):
    images = {c["image"] for c in collector_containers(checkout)}
    assert images == {f"{versions.COLLECTOR_IMAGE}:{versions.COLLECTOR_VERSION}"}


def test_probes_hit_the_health_check_port(checkout):
    agent_config = yaml.safe_load(checkout["prod/collector/agent-kubernetes.yaml"])
    health = int(agent_config["extensions"]["health_check"]["endpoint"].rsplit(":", 1)[1])
    for container in collector_containers(checkout):
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        for probe in ("livenessProbe", "readinessProbe"):
            assert ports[container[probe]["httpGet"]["port"]] == health


def test_requests_and_limits_match_what_memory_limiter_is_sized_from(checkout):
    gateway = find(checkout, "prod/kubernetes/gateway.yaml", "StatefulSet")
    container = gateway["spec"]["template"]["spec"]["containers"][0]
    config = yaml.safe_load(checkout["prod/collector/gateway.yaml"])
    limit_mib = config["processors"]["memory_limiter"]["limit_mib"]
    memory = int(container["resources"]["limits"]["memory"].removesuffix("Mi"))
    assert container["resources"]["requests"] == container["resources"]["limits"]
    assert limit_mib == int(memory * 0.8)


def test_config_maps_hold_the_collector_configs_byte_for_byte(checkout):
    agent = find(checkout, "prod/kubernetes/agent.yaml", "ConfigMap")
    gateway = find(checkout, "prod/kubernetes/gateway.yaml", "ConfigMap")
    assert agent["data"]["agent.yaml"] == checkout["prod/collector/agent-kubernetes.yaml"]
    assert gateway["data"]["gateway.yaml"] == checkout["prod/collector/gateway.yaml"]
    assert gateway["data"]["modes-incident.yaml"] == checkout["prod/collector/modes/incident.yaml"]


def _checksums(files: dict[str, str]) -> dict[str, str]:
    return {doc["kind"]: doc["spec"]["template"]["metadata"]["annotations"]["checksum/config"]
            for path in ("prod/kubernetes/agent.yaml", "prod/kubernetes/gateway.yaml")
            for doc in docs(files, path) if doc["kind"] in ("DaemonSet", "StatefulSet")}


def test_a_config_change_changes_the_checksum_that_rolls_the_pods(checkout):
    again = render(case_text("checkout"), "tests/golden_k8s/checkout/blueprint.yaml")
    assert _checksums(again) == _checksums(checkout)

    def more_pii(data):
        data["standards"]["pii"].append({"key": "user.address", "action": "delete"})

    changed = _checksums(render(edited("checkout", more_pii)))
    assert changed["DaemonSet"] != _checksums(checkout)["DaemonSet"]   # the agent strips PII

    def bigger_gateway(data):
        data["topology"]["gateway"]["resources"]["memory_mib"] = 4096

    changed = _checksums(render(edited("checkout", bigger_gateway)))
    assert changed["StatefulSet"] != _checksums(checkout)["StatefulSet"]


def test_gateway_runs_the_active_mode_as_a_second_config(checkout):
    gateway = find(checkout, "prod/kubernetes/gateway.yaml", "StatefulSet")
    container = gateway["spec"]["template"]["spec"]["containers"][0]
    assert container["args"] == ["--config=/conf/gateway.yaml", "--config=/conf/modes/incident.yaml"]
    items = gateway["spec"]["template"]["spec"]["volumes"][0]["configMap"]["items"]
    assert {"key": "modes-incident.yaml", "path": "modes/incident.yaml"} in items


def test_persistent_queue_gets_a_volume(checkout, every_case):
    gateway = find(checkout, "prod/kubernetes/gateway.yaml", "StatefulSet")
    assert gateway["spec"]["volumeClaimTemplates"][0]["metadata"]["name"] == "queue"
    for container in collector_containers(checkout):
        assert {"name": "queue", "mountPath": cc.QUEUE_DIRECTORY} in container["volumeMounts"]


def test_secrets_come_from_a_secret_by_reference_only(checkout):
    gateway = find(checkout, "prod/kubernetes/gateway.yaml", "StatefulSet")
    env = {e["name"]: e for e in gateway["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["HONEYCOMB_API_KEY"]["valueFrom"]["secretKeyRef"] == {
        "name": "otel-collector-secrets", "key": "HONEYCOMB_API_KEY"}
    agent = find(checkout, "prod/kubernetes/agent.yaml", "DaemonSet")
    agent_env = [e["name"] for e in agent["spec"]["template"]["spec"]["containers"][0]["env"]]
    assert "HONEYCOMB_API_KEY" not in agent_env   # agents only balance to the gateways
    assert not any(d.get("kind") == "Secret" for p in checkout if p.endswith(".yaml") and "/collector/" not in p
                   for d in docs(checkout, p))


def test_daemonset_agent_is_node_local_and_knows_its_node(checkout):
    agent = find(checkout, "prod/kubernetes/agent.yaml", "DaemonSet")
    container = agent["spec"]["template"]["spec"]["containers"][0]
    # Node-local through the Service, not hostPorts, so the namespace can enforce `restricted`.
    assert not any("hostPort" in p for p in container["ports"])
    node = next(e for e in container["env"] if e["name"] == "K8S_NODE_NAME")
    assert node["valueFrom"]["fieldRef"]["fieldPath"] == "spec.nodeName"
    service = find(checkout, "prod/kubernetes/agent.yaml", "Service")
    assert service["spec"]["internalTrafficPolicy"] == "Local"
    assert {p["port"] for p in service["spec"]["ports"]} >= {4317, 4318}
    namespace = find(checkout, "prod/kubernetes/namespace.yaml", "Namespace")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


# --------------------------------------------------------------------------- gateway tier

def test_daemonset_agent_stays_on_every_node(checkout):
    agent = find(checkout, "prod/kubernetes/agent.yaml", "DaemonSet")
    spec = agent["spec"]["template"]["spec"]
    assert spec["tolerations"] == [{"operator": "Exists"}]          # every taint, NoExecute included
    priority = find(checkout, "prod/kubernetes/agent.yaml", "PriorityClass")
    assert spec["priorityClassName"] == priority["metadata"]["name"] == "otel-agent-observability"
    assert 0 < priority["value"] < 2_000_000_000 and priority["globalDefault"] is False
    # Surge: a node keeps its old agent until the new one is ready.
    assert agent["spec"]["updateStrategy"] == {"type": "RollingUpdate",
                                               "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}}
    # The queue's emptyDir is requested as ephemeral storage, as large as its sizeLimit.
    queue = next(v for v in spec["volumes"] if v["name"] == "queue")
    container = spec["containers"][0]
    assert container["resources"]["requests"]["ephemeral-storage"] == queue["emptyDir"]["sizeLimit"]


def test_agent_deployments_get_no_priority_class_or_node_tolerations():
    files = render(case_text("namespaces-nginx"))
    kinds = {d["kind"] for d in docs(files, "prod/kubernetes/agent.yaml")}
    assert "PriorityClass" not in kinds and "DaemonSet" not in kinds
    for agent in (d for d in docs(files, "prod/kubernetes/agent.yaml") if d["kind"] == "Deployment"):
        assert "tolerations" not in agent["spec"]["template"]["spec"]


def test_gateways_have_fixed_replicas_zone_spread_pdb_and_both_services(checkout):
    gateway = docs(checkout, "prod/kubernetes/gateway.yaml")
    kinds = {d["kind"] for d in gateway}
    assert {"PodDisruptionBudget", "NetworkPolicy"} <= kinds
    # No autoscaler: every change of the replica count would reshard the agents' trace-ID ring.
    assert "HorizontalPodAutoscaler" not in kinds
    workload = find(checkout, "prod/kubernetes/gateway.yaml", "StatefulSet")
    assert workload["spec"]["replicas"] == 2
    assert find(checkout, "staging/kubernetes/gateway.yaml", "StatefulSet")["spec"]["replicas"] == 1
    spread = workload["spec"]["template"]["spec"]["topologySpreadConstraints"]
    assert [c["topologyKey"] for c in spread] == ["topology.kubernetes.io/zone", "kubernetes.io/hostname"]
    readme = checkout["prod/kubernetes/README.md"]
    assert "## Scaling the gateway" in readme and "topology.gateway.replicas" in readme
    headless = find(checkout, "prod/kubernetes/gateway.yaml", "Service", "otel-gateway-headless")
    assert headless["spec"]["clusterIP"] == "None"
    # The agents' load-balancing exporter resolves exactly this Service.
    agent_config = checkout["prod/collector/agent-kubernetes.yaml"]
    assert "otel-gateway-headless.observability" in agent_config


def test_rbac_is_exactly_get_watch_list_on_pods_namespaces_replicasets(checkout):
    role = find(checkout, "prod/kubernetes/rbac.yaml", "ClusterRole")
    granted = {(group, resource): sorted(rule["verbs"])
               for rule in role["rules"] for group in rule["apiGroups"] for resource in rule["resources"]}
    assert granted == {("", "pods"): ["get", "list", "watch"], ("", "namespaces"): ["get", "list", "watch"],
                       ("apps", "replicasets"): ["get", "list", "watch"]}
    resolver = find(checkout, "prod/kubernetes/rbac.yaml", "Role")
    assert resolver["rules"] == [{"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"],
                                  "verbs": ["get", "watch", "list"]}]


def test_network_policy_admits_agents_and_mesh_ingress_namespaces_only(checkout):
    policy = find(checkout, "prod/kubernetes/gateway.yaml", "NetworkPolicy")
    assert policy["spec"]["policyTypes"] == ["Ingress"]
    rule, _scrape = policy["spec"]["ingress"]
    peers = rule["from"]
    agents = [p for p in peers if "podSelector" in p]
    namespaces = [p for p in peers if "podSelector" not in p]
    assert agents == [{"namespaceSelector": {"matchExpressions": [
        {"key": "kubernetes.io/metadata.name", "operator": "In", "values": ["observability"]}]},
        "podSelector": {"matchLabels": {"app.kubernetes.io/name": "otel-agent"}}}]
    assert namespaces == [{"namespaceSelector": {"matchExpressions": [
        {"key": "kubernetes.io/metadata.name", "operator": "In", "values": ["ingress", "istio-system"]}]}}]
    assert sorted(p["port"] for p in rule["ports"]) == [4317, 4318]


def test_network_policy_admits_prometheus_scrapes_on_the_metrics_ports(checkout):
    policy = find(checkout, "prod/kubernetes/gateway.yaml", "NetworkPolicy")
    _, scrape = policy["spec"]["ingress"]
    # Self-metrics and the derived metrics' Prometheus port, from namespaces with the documented label.
    assert sorted(p["port"] for p in scrape["ports"]) == [8888, 8889]
    assert scrape["from"] == [{"namespaceSelector": {"matchLabels": {"tracing.tracegen.dev/scrape": "true"}}}]
    assert "tracing.tracegen.dev/scrape=true" in checkout["prod/kubernetes/README.md"]

    def named(data):
        data["environments"]["prod"]["platform"]["kubernetes"]["prometheus_namespaces"] = ["monitoring"]

    files = render(edited("checkout", named))
    _, scrape = find(files, "prod/kubernetes/gateway.yaml", "NetworkPolicy")["spec"]["ingress"]
    assert scrape["from"] == [{"namespaceSelector": {"matchExpressions": [
        {"key": "kubernetes.io/metadata.name", "operator": "In", "values": ["monitoring"]}]}}]


# --------------------------------------------------------------------------- apps

def _env(files: dict[str, str], path: str) -> list[dict]:
    patch = docs(files, path)[0]
    return patch["spec"]["template"]["spec"]["containers"][0]["env"]


def test_app_patches_carry_sampler_ratio_and_w3c_propagators(checkout):
    # The collector decides (the default strategy): apps record every trace.
    for env_name in ("prod", "staging"):
        for service in ("checkout", "edge-gateway", "payments"):
            path = f"{env_name}/kubernetes/apps/{service}/otel-env.yaml"
            env = {e["name"]: e.get("value") for e in _env(checkout, path)}
            assert env["OTEL_SERVICE_NAME"] == service
            assert env["OTEL_TRACES_SAMPLER"] == "parentbased_always_on"
            assert env.get("OTEL_TRACES_SAMPLER_ARG") in (None, "1")
            assert env["OTEL_PROPAGATORS"] == "tracecontext,baggage"
            assert f"deployment.environment.name={env_name}" in env["OTEL_RESOURCE_ATTRIBUTES"]
    payments = {e["name"]: e.get("value") for e in _env(checkout, "prod/kubernetes/apps/payments/otel-env.yaml")}
    assert "service.version=2.8.0" in payments["OTEL_RESOURCE_ATTRIBUTES"]
    assert payments["OTEL_EXPORTER_OTLP_PROTOCOL"] == "http/protobuf"   # Java agent 2.x default


def _head_ratio(env: dict) -> str:
    argument = env["OTEL_TRACES_SAMPLER_ARG"]
    if "=" not in argument:
        return argument
    return dict(item.split("=", 1) for item in argument.split(","))["initialSamplingRate"]


def test_per_service_rate_and_edge_rate():
    files = render(case_text("namespaces-nginx"))
    cart = {e["name"]: e.get("value") for e in _env(files, "prod/kubernetes/apps/cart/otel-env.yaml")}
    storefront = {e["name"]: e.get("value") for e in _env(files, "prod/kubernetes/apps/storefront/otel-env.yaml")}
    # edge_head: the head ratio, or the remote sampler's initial rate where the SDK polls the agent
    assert _head_ratio(cart) == "0.05"
    assert _head_ratio(storefront) == "0.25"
    # A comma inside a value would split OTEL_RESOURCE_ATTRIBUTES: it is percent-encoded.
    assert "team.cost_center=retail%2C%20online" in cart["OTEL_RESOURCE_ATTRIBUTES"]


def test_apps_export_to_the_node_local_agent_service(checkout):
    env = {e["name"]: e.get("value") for e in _env(checkout, "prod/kubernetes/apps/checkout/otel-env.yaml")}
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-agent.observability.svc.cluster.local:4317"
    java = {e["name"]: e.get("value") for e in _env(checkout, "prod/kubernetes/apps/payments/otel-env.yaml")}
    assert java["OTEL_EXPORTER_OTLP_ENDPOINT"].endswith(":4318")       # Java agent 2.x: http/protobuf
    assert java["OTEL_EXPORTER_OTLP_PROTOCOL"] == "http/protobuf"


def test_namespace_placement_runs_an_agent_per_namespace_without_a_node_filter():
    files = render(case_text("namespaces-nginx"))
    agents = [d for d in docs(files, "prod/kubernetes/agent.yaml") if d["kind"] == "Deployment"]
    assert sorted(d["metadata"]["namespace"] for d in agents) == ["shop", "shop-edge", "telemetry"]
    for agent in agents:
        env = {e["name"]: e for e in agent["spec"]["template"]["spec"]["containers"][0]["env"]}
        assert env["K8S_NODE_NAME"] == {"name": "K8S_NODE_NAME", "value": ""}
        assert not any("hostPort" in p for p in agent["spec"]["template"]["spec"]["containers"][0]["ports"])
    gateway = find(files, "prod/kubernetes/gateway.yaml", "Deployment")   # no persistent queue
    assert gateway["spec"]["template"]["spec"]["containers"][0]["args"][-1] == "--config=/conf/modes/incident.yaml"
    cart = {e["name"]: e.get("value") for e in _env(files, "prod/kubernetes/apps/cart/otel-env.yaml")}
    assert cart["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-agent:4317"
    namespace = find(files, "prod/kubernetes/namespace.yaml", "Namespace")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_sidecar_placement_adds_a_native_sidecar_agent():
    files = render(case_text("sidecar-istio"))
    patch = docs(files, "prod/kubernetes/apps/ledger-api/otel-env.yaml")[0]
    (sidecar,) = patch["spec"]["template"]["spec"]["initContainers"]
    assert sidecar["restartPolicy"] == "Always" and sidecar["name"] == "otel-agent"
    env = {e["name"]: e.get("value") for e in patch["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://localhost:4317"
    config = find(files, "prod/kubernetes/apps/ledger-api/otel-agent-config.yaml", "ConfigMap")
    assert config["metadata"]["namespace"] == "ledger"
    binding = find(files, "prod/kubernetes/rbac.yaml", "ClusterRoleBinding")
    assert {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io",
            "name": "system:serviceaccounts:ledger"} in binding["subjects"]


# --------------------------------------------------------------------------- admission policy

def test_admission_policy_rejects_b3_and_missing_service_name_outside_the_edge(checkout):
    policy = find(checkout, "prod/kubernetes/admission-policy.yaml", "ValidatingAdmissionPolicy")
    expressions = " ".join(v["expression"] for v in policy["spec"]["validations"])
    assert "OTEL_PROPAGATORS" in expressions and "'b3'" in expressions
    assert "OTEL_SERVICE_NAME" in expressions
    binding = find(checkout, "prod/kubernetes/admission-policy.yaml", "ValidatingAdmissionPolicyBinding")
    assert binding["spec"]["validationActions"] == ["Deny"]
    # Only workloads that opted in, with the label the app components put on them.
    assert binding["spec"]["matchResources"]["objectSelector"] == {
        "matchLabels": {"tracing.tracegen.dev/enabled": "true"}}
    patch = docs(checkout, "prod/kubernetes/apps/checkout/otel-env.yaml")[0]
    assert patch["metadata"]["labels"] == {"tracing.tracegen.dev/enabled": "true"}
    assert policy["spec"]["failurePolicy"] == "Fail"
    selector = binding["spec"]["matchResources"]["namespaceSelector"]["matchExpressions"]
    assert {"key": "kubernetes.io/metadata.name", "operator": "In", "values": ["shop"]} in selector
    assert {"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": ["edge"]} in selector


def test_admission_policy_binds_only_declared_app_namespaces():
    files = render((ROOT / "blueprints" / "minimal.yaml").read_text(encoding="utf-8"))
    assert "prod/kubernetes/apps/hello/otel-env.yaml" in files
    assert "prod/kubernetes/admission-policy.yaml" not in files   # never `default` by inference


def test_admission_policy_cel_behaves(checkout):
    celpy = pytest.importorskip("celpy")
    spec = find(checkout, "prod/kubernetes/admission-policy.yaml", "ValidatingAdmissionPolicy")["spec"]
    env = celpy.Environment()

    def evaluate(expression, activation):
        return bool(env.program(env.compile(expression)).evaluate(activation))

    def admitted(container_env, kind="Deployment"):
        template = {"spec": {"containers": [{"name": "app", "image": "app:1", "env": container_env}]}}
        obj = celpy.json_to_cel({"kind": kind, "spec": {"jobTemplate": {"spec": {"template": template}}}
                                 if kind == "CronJob" else {"template": template}})
        variables = celpy.celtypes.MapType({})
        for variable in spec["variables"]:   # in order: each may use the ones before it
            value = env.program(env.compile(variable["expression"])).evaluate({"object": obj, "variables": variables})
            variables = celpy.celtypes.MapType({**variables, celpy.celtypes.StringType(variable["name"]): value})
        return all(evaluate(v["expression"], {"object": obj, "variables": variables}) for v in spec["validations"])

    named = {"name": "OTEL_SERVICE_NAME", "value": "checkout"}
    assert admitted([named, {"name": "OTEL_PROPAGATORS", "value": "tracecontext,baggage"}])
    assert not admitted([named, {"name": "OTEL_PROPAGATORS", "value": "tracecontext,b3multi"}])
    assert not admitted([{"name": "OTEL_PROPAGATORS", "value": "tracecontext"}])
    # A CronJob's pod template sits in its jobTemplate.
    assert admitted([named], "CronJob") and not admitted([named, {"name": "OTEL_PROPAGATORS", "value": "b3"}], "CronJob")
    # What the app components set is admitted.
    component_env = [e for e in _env(checkout, "prod/kubernetes/apps/checkout/otel-env.yaml") if "value" in e]
    assert admitted(component_env)
    # Containers without env, or env from a Secret (no value), evaluate without error.
    assert not admitted([{"name": "OTEL_PROPAGATORS", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}])


def test_admission_policy_skips_workloads_that_did_not_opt_in(checkout):
    celpy = pytest.importorskip("celpy")
    spec = find(checkout, "prod/kubernetes/admission-policy.yaml", "ValidatingAdmissionPolicy")["spec"]
    (condition,) = spec["matchConditions"]
    env = celpy.Environment()
    program = env.program(env.compile(condition["expression"]))

    def matched(metadata):
        return bool(program.evaluate({"object": celpy.json_to_cel({"metadata": metadata, "spec": {}})}))

    assert not matched({"name": "redis"})                                   # third party, no labels
    assert not matched({"name": "kafka", "labels": {"app": "kafka"}})
    assert not matched({"name": "x", "labels": {"tracing.tracegen.dev/enabled": "false"}})
    patch = docs(checkout, "prod/kubernetes/apps/checkout/otel-env.yaml")[0]
    assert matched(patch["metadata"])                                       # what the component sets


# --------------------------------------------------------------------------- mesh, ingress, gitops

def test_telemetry_references_the_provider_by_name_and_never_an_address(checkout):
    telemetry = docs(checkout, "prod/istio/telemetry.yaml")[0]
    assert telemetry["apiVersion"] == "telemetry.istio.io/v1"
    assert telemetry["spec"] == {"tracing": [{"providers": [{"name": "otel-tracing"}],
                                              "randomSamplingPercentage": 100.0}]}
    text = checkout["prod/istio/telemetry.yaml"]
    assert "otel-agent" not in text and "4317" not in text and "service:" not in text
    values = yaml.safe_load(checkout["prod/istio/istiod-values.yaml"])
    assert values["meshConfig"]["extensionProviders"] == [{"name": "otel-tracing", "opentelemetry": {
        "service": "otel-agent.observability.svc.cluster.local", "port": 4317}}]


def test_the_provider_is_installed_before_the_telemetry_names_it_with_gitops(checkout):
    """Argo CD: one Application renders istiod's chart with the generated values, then syncs the
    Telemetry in a later wave; the tracing Application leaves ../istio to it."""
    app = docs(checkout, "prod/argocd/istiod.yaml")[0]
    chart, values, istio = app["spec"]["sources"]
    assert chart["chart"] == "istiod" and chart["targetRevision"] == versions.ISTIO_API_VERSION.removeprefix("v")
    assert chart["helm"]["valueFiles"] == ["$values/output/checkout/prod/istio/istiod-values.yaml"]
    assert values == {"repoURL": "https://git.example.com/platform/tracing-config.git", "targetRevision": "main",
                      "ref": "values"}
    assert istio["path"] == "output/checkout/prod/istio"
    assert app["spec"]["destination"] == {"name": "prod-eu1", "namespace": "istio-system"}
    assert "finalizers" not in app["metadata"]          # deleting the Application leaves istiod running
    telemetry = docs(checkout, "prod/istio/telemetry.yaml")[0]
    assert int(telemetry["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]) > 0   # after istiod (0)
    assert "../istio" not in checkout["prod/kubernetes/kustomization.yaml"]   # one owner for the Telemetry
    readme = checkout["prod/istio/README.md"]
    assert "prod/argocd/istiod.yaml" in readme and "helm upgrade istiod" in readme


def test_the_telemetry_names_only_providers_the_values_install(every_case):
    for path in [p for p in every_case if p.endswith("/istio/telemetry.yaml")]:
        values = yaml.safe_load(every_case[path.replace("telemetry.yaml", "istiod-values.yaml")])
        installed = {p["name"] for p in values["meshConfig"]["extensionProviders"]}
        named = {p["name"] for t in docs(every_case, path) for rule in t["spec"]["tracing"] for p in rule["providers"]}
        assert named and named <= installed, path


def test_without_gitops_the_readme_installs_the_provider_first():
    files = render(case_text("sidecar-istio"))
    assert "../istio" in files["prod/kubernetes/kustomization.yaml"]
    assert not [p for p in files if "/argocd/" in p]
    readme = files["prod/istio/README.md"]
    install = readme.index("helm upgrade istiod")
    assert "-f prod/istio/istiod-values.yaml" in readme[install:]
    assert install < readme.index("kubectl kustomize prod/kubernetes")    # provider first, then the Telemetry
    assert "prod/istio/README.md" in files["prod/kubernetes/README.md"]


def test_mesh_sampling_that_starves_tail_sampling_is_an_error():
    def starve(data):
        # Without an ingress deciding first, Istio's sidecars make the head decision for every trace.
        data.pop("ingress")
        data["mesh"]["istio"]["sampling_percentage"] = 1

    loaded = load_text(edited("checkout", starve), "blueprint.yaml")
    codes = [f.code for f in standards_check(loaded).active]
    assert "TG302" in codes


def test_envoy_gateway_traces_to_the_agent_at_the_edge_rate(checkout):
    proxy = docs(checkout, "staging/ingress/envoyproxy.yaml")[0]
    tracing = proxy["spec"]["telemetry"]["tracing"]
    assert tracing["provider"] == {"type": "OpenTelemetry", "backendRefs": [
        {"name": "otel-agent", "namespace": "observability", "port": 4317}]}
    assert tracing["samplingFraction"] == {"numerator": 1, "denominator": 1}   # the collector decides
    gateway_class = docs(checkout, "prod/ingress/gatewayclass.yaml")[0]
    assert gateway_class["spec"]["parametersRef"] == {
        "group": "gateway.envoyproxy.io", "kind": "EnvoyProxy", "name": "otel-tracing", "namespace": "ingress"}


def test_ingress_nginx_gets_its_opentelemetry_keys():
    files = render(case_text("namespaces-nginx"))
    config = docs(files, "prod/ingress/ingress-nginx.yaml")[0]
    assert config["metadata"] == {"name": "ingress-nginx-controller", "namespace": "ingress-nginx",
                                  "labels": {"app.kubernetes.io/managed-by": "tracegen"}}
    data = config["data"]
    assert set(data) == {"enable-opentelemetry", "otlp-collector-host", "otlp-collector-port", "otel-service-name",
                         "otel-sampler", "otel-sampler-ratio", "otel-sampler-parent-based",
                         "opentelemetry-trust-incoming-span"}
    assert data["otlp-collector-host"] == "otel-agent.telemetry.svc.cluster.local"
    assert data["otel-sampler-ratio"] == "0.25"


def test_istio_ingress_is_covered_by_the_mesh_telemetry():
    files = render(case_text("sidecar-istio"))
    assert not any(p.startswith("prod/ingress/") for p in files)
    assert "prod/istio/telemetry.yaml" in files


def test_argocd_application_points_at_the_environment_directory(checkout):
    for env in ("prod", "staging"):
        app = docs(checkout, f"{env}/argocd/application.yaml")[0]
        assert app["spec"]["source"]["path"] == f"output/checkout/{env}/kubernetes"
        assert app["spec"]["source"]["repoURL"] == "https://git.example.com/platform/tracing-config.git"
        assert app["spec"]["source"]["targetRevision"] == "main"
        assert app["spec"]["destination"]["name"] == {"prod": "prod-eu1", "staging": "staging-eu1"}[env]


def test_no_argocd_application_without_a_gitops_repository():
    files = render(case_text("namespaces-nginx"))
    assert not [p for p in files if "/argocd/" in p]


def test_environments_without_kubernetes_emit_nothing():
    files = render((ROOT / "blueprints" / "vm-fleet.yaml").read_text(encoding="utf-8"))
    assert not [p for p in files if "/kubernetes/" in p or "/istio/" in p or "/ingress/" in p or "/argocd/" in p]


def test_output_is_deterministic_and_free_of_machine_paths(checkout):
    again = render(case_text("checkout"), "tests/golden_k8s/checkout/blueprint.yaml")
    assert again == checkout
    for path, text in checkout.items():
        assert str(ROOT) not in text and "/root/" not in text and "/home/" not in text, path


def test_targets_are_registered():
    plan = build_plan(load_text(case_text("checkout"), "blueprint.yaml"))
    paths = {a.path: a.kind for a in build_all(plan)}
    assert paths["prod/kubernetes/kustomization.yaml"] == "kubernetes-manifest"
    assert paths["prod/istio/telemetry.yaml"] == "istio"
    assert paths["prod/ingress/envoyproxy.yaml"] == "ingress"
    assert paths["prod/argocd/application.yaml"] == "kubernetes-manifest"


# --------------------------------------------------------------------------- goldens

def _tree(directory: Path) -> dict[str, str]:
    return {p.relative_to(directory).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted(directory.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("case", CASES)
def test_golden(case):
    name = f"tests/golden_k8s/{case}/blueprint.yaml"
    plan = build_plan(load_text(case_text(case), name))
    actual = {a.path: a.content for build in TARGETS[1:] for a in build(plan)}
    expected_dir = GOLDEN / case / "expected"
    if UPDATE:
        if expected_dir.exists():
            shutil.rmtree(expected_dir)
        write(expected_dir, actual)
    assert expected_dir.is_dir(), f"no expected/ for {case}: run with TRACEGEN_UPDATE_GOLDEN=1"
    expected = _tree(expected_dir)
    assert sorted(actual) == sorted(expected), "the set of files differs"
    for path in sorted(expected):
        assert actual[path] == expected[path], f"{case}/expected/{path} differs"

