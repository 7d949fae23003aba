"""Mixed Kubernetes + VM estates and the TLS between tiers, as the planner decides them once and the
targets write them (blueprints/mixed-estate.yaml, plus small variations)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tracegen.blueprint.loader import load, load_text
from tracegen.plan.builder import build_plan
from tracegen.plan.refusals import PlanRefused
from tracegen.targets import build_all

ROOT = Path(__file__).resolve().parent.parent
MIXED = ROOT / "blueprints" / "mixed-estate.yaml"


@pytest.fixture(scope="module")
def built():
    plan = build_plan(load(MIXED), "blueprints/mixed-estate.yaml")
    return plan, {a.path: a.content for a in build_all(plan)}


def _docs(text: str) -> list[dict]:
    return [d for d in yaml.safe_load_all(text) if d]


def _env(plan, name: str):
    return next(e for e in plan.environments if e.name == name)


def test_vm_services_export_to_their_hosts_agent_and_get_no_component(built):
    plan, files = built
    prod = _env(plan, "prod")
    where = {s.name: (s.platform, s.otlp_endpoint) for s in prod.services}
    assert where["ledger"] == ("vm", "http://127.0.0.1:4318")          # Java: http/protobuf
    assert where["settlement"] == ("vm", "http://127.0.0.1:4318")
    assert where["orders"][0] == "kubernetes" and "otel-agent.observability.svc" in where["orders"][1]
    assert "OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318" in files["prod/ansible/files/otel-env/ledger.env"]
    components = {path.split("/")[3] for path in files if path.startswith("prod/kubernetes/apps/")}
    assert components == {"orders", "storefront"}
    # staging is Kubernetes only: every service there is a Kubernetes service.
    assert {s.platform for s in _env(plan, "staging").services} == {"kubernetes"}
    assert not any(path.startswith("staging/ansible/") for path in files)


def test_vm_agents_listen_on_loopback_and_send_over_mutual_tls_to_the_exposure(built):
    _, files = built
    agent = yaml.safe_load(files["prod/collector/agent-vm.yaml"])
    protocols = agent["receivers"]["otlp"]["protocols"]
    assert protocols["grpc"]["endpoint"] == "127.0.0.1:4317" and protocols["http"]["endpoint"] == "127.0.0.1:4318"
    balancer = agent["exporters"]["load_balancing"]
    assert balancer["resolver"] == {"static": {"hostnames": ["otel-gateway.prod.example.net:4319"]}}
    assert balancer["protocol"]["otlp"]["tls"] == {
        "insecure": False, "cert_file": "/etc/otelcol/tls/collector.crt",
        "key_file": "/etc/otelcol/tls/collector.key", "ca_file": "/etc/otelcol/tls/ca.crt"}
    group_vars = yaml.safe_load(files["prod/ansible/inventory/group_vars/otel_agents/tracegen.yml"])
    assert group_vars["otel_collector_tls_files"] == ["ca.crt", "collector.crt", "collector.key"]
    assert group_vars["tracegen_gateway_endpoints"] == ["otel-gateway.prod.example.net:4319"]
    # The Kubernetes agents stay on the pod network to the in-cluster receiver.
    k8s_agent = yaml.safe_load(files["prod/collector/agent-kubernetes.yaml"])
    assert k8s_agent["exporters"]["load_balancing"]["protocol"]["otlp"]["tls"] == {"insecure": True}


def test_the_gateway_has_a_mutual_tls_receiver_for_the_vms_fed_into_every_pipeline(built):
    _, files = built
    gateway = yaml.safe_load(files["prod/collector/gateway.yaml"])
    external = gateway["receivers"]["otlp/external"]["protocols"]
    assert set(external) == {"grpc"}
    assert external["grpc"]["endpoint"] == "0.0.0.0:4319"
    assert external["grpc"]["tls"] == {
        "cert_file": "/etc/otelcol/certs/tls.crt", "key_file": "/etc/otelcol/certs/tls.key",
        "client_ca_file": "/etc/otelcol/certs/ca.crt", "reload_interval": "1h", "client_ca_file_reload": True}
    assert "tls" not in gateway["receivers"]["otlp"]["protocols"]["grpc"]     # in-cluster: the pod network
    # What the VMs send goes on by trace ID over the gateway pods, the ring the Kubernetes agents route
    # by (dns on the headless Service yields the pods' ip:port, as their k8s resolver does).
    assert gateway["service"]["pipelines"]["traces/external"] == {
        "receivers": ["otlp/external"], "processors": ["memory_limiter"], "exporters": ["load_balancing"]}
    ring = gateway["exporters"]["load_balancing"]
    assert ring["resolver"] == {"dns": {"hostname": "otel-gateway-headless.observability.svc.cluster.local",
                                        "port": "4317"}}
    assert ring["routing_key"] == "traceID"
    agent_ring = yaml.safe_load(files["prod/collector/agent-kubernetes.yaml"])["exporters"]["load_balancing"]
    assert agent_ring["resolver"]["k8s"] == {"service": "otel-gateway-headless.observability", "ports": [4317]}
    for name, pipeline in gateway["service"]["pipelines"].items():
        if name != "traces/external":
            assert "otlp/external" not in pipeline["receivers"], name
    # staging has no VMs: no external receiver, no exposure.
    assert "otlp/external" not in yaml.safe_load(files["staging/collector/gateway.yaml"])["receivers"]


def test_kubernetes_objects_certificate_exposure_and_network_policy(built):
    _, files = built
    docs = _docs(files["prod/kubernetes/gateway.yaml"])
    kinds = {(d["kind"], d["metadata"]["name"]): d for d in docs}
    certificate = kinds[("Certificate", "otel-gateway-tls")]["spec"]
    assert certificate["issuerRef"] == {"name": "tracing-ca", "kind": "ClusterIssuer", "group": "cert-manager.io"}
    assert "otel-gateway.prod.example.net" in certificate["dnsNames"]
    assert "otel-gateway.observability.svc" in certificate["dnsNames"]
    assert {"server auth", "client auth"} <= set(certificate["usages"])
    service = kinds[("Service", "otel-gateway-external")]
    assert service["spec"]["type"] == "LoadBalancer" and service["spec"]["externalTrafficPolicy"] == "Local"
    assert service["spec"]["ports"] == [{"name": "otlp-external", "port": 4319, "targetPort": 4319, "protocol": "TCP"}]
    assert service["metadata"]["annotations"] == {"service.beta.kubernetes.io/aws-load-balancer-scheme": "internal"}
    pod = kinds[("StatefulSet", "otel-gateway")]["spec"]["template"]["spec"]
    assert {"name": "certs", "secret": {"secretName": "otel-gateway-tls", "defaultMode": 0o440}} in pod["volumes"]
    assert {"name": "certs", "mountPath": "/etc/otelcol/certs", "readOnly": True} in \
        pod["containers"][0]["volumeMounts"]
    rules = kinds[("NetworkPolicy", "otel-gateway")]["spec"]["ingress"]
    assert {"from": [{"ipBlock": {"cidr": "10.40.0.0/16"}}], "ports": [{"protocol": "TCP", "port": 4319}]} in rules
    assert all("ipBlock" not in peer for rule in rules if rule is not rules[1] for peer in rule["from"])
    assert {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "otel-gateway"}}} in rules[0]["from"]
    # No agent Certificate: the Kubernetes agents' hop stays inside the cluster.
    assert not any(d["kind"] == "Certificate" for d in _docs(files["prod/kubernetes/agent.yaml"]))
    staging = _docs(files["staging/kubernetes/gateway.yaml"])
    assert not any(d["kind"] == "Certificate" or d["metadata"]["name"] == "otel-gateway-external" for d in staging)


def _variant(old: str, new: str) -> str:
    text = MIXED.read_text()
    assert old in text
    return text.replace(old, new, 1)


def test_mode_always_gives_the_kubernetes_agents_certificates_too():
    text = _variant("    mode: network ", "    mode: always ")
    plan = build_plan(load_text(text, "mixed.yaml"))
    files = {a.path: a.content for a in build_all(plan)}
    agent = yaml.safe_load(files["staging/collector/agent-kubernetes.yaml"])
    tls = agent["exporters"]["load_balancing"]["protocol"]["otlp"]["tls"]
    assert tls["cert_file"] == "/etc/otelcol/certs/tls.crt" and tls["insecure"] is False
    # The agents dial gateway pod IPs (k8s resolver): they verify the Service's name, which the
    # gateway's Certificate carries.
    assert tls["server_name_override"] == "otel-gateway.observability.svc"
    gateway = yaml.safe_load(files["staging/collector/gateway.yaml"])
    assert gateway["receivers"]["otlp"]["protocols"]["grpc"]["tls"]["client_ca_file"] == "/etc/otelcol/certs/ca.crt"
    certificates = [d for d in _docs(files["staging/kubernetes/agent.yaml"]) if d["kind"] == "Certificate"]
    assert [c["metadata"]["name"] for c in certificates] == ["otel-agent-tls"]


def test_vm_gateways_with_kubernetes_agents_need_an_issuer_and_get_agent_certificates():
    text = _variant("        cidrs: [10.40.0.0/16]\n", "        cidrs: [10.40.0.0/16]\n        gateways: [gw-1.prod.example.net]\n")
    plan = build_plan(load_text(text, "mixed.yaml"))
    prod = _env(plan, "prod")
    assert prod.gateway.platform == "vm" and prod.transport.exposure is None
    assert prod.transport.client("kubernetes") is not None and prod.transport.client("vm") is not None
    without_issuer = text.replace("    issuer: {name: tracing-ca, kind: ClusterIssuer}\n", "")
    with pytest.raises(PlanRefused) as refused:
        build_plan(load_text(without_issuer, "mixed.yaml"))
    assert any("topology.tls.issuer" in r.message and r.path[-1] == "kubernetes" for r in refused.value.refusals)


def _without_exposure() -> str:
    lines = MIXED.read_text().splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if "gateway_exposure:" in line)
    end = next(i for i in range(start + 1, len(lines)) if lines[i] == "      vm:\n")
    return "".join(lines[:start] + lines[end:])


@pytest.mark.parametrize("text, code", [
    (_without_exposure(), "TG511"),                                    # nothing exposes the gateways
    (_variant("        cidrs: [10.40.0.0/16]\n", ""), "TG513"),        # the NetworkPolicy would deny the VMs
], ids=["no-exposure", "no-vm-cidrs"])
def test_refusals_for_vm_agents_that_could_not_reach_kubernetes_gateways(text, code):
    with pytest.raises(PlanRefused) as refused:
        build_plan(load_text(text, "mixed.yaml"))
    assert [r.code for r in refused.value.refusals] == [code]
    assert refused.value.refusals[0].environment == "prod"
