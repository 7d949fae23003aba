"""How the agents reach the gateways, decided once per environment: which hop is mutual TLS, which
certificates each collector presents, and how VM agents reach Kubernetes gateways.

The rule: a hop that leaves a host or the cluster is mutual TLS (`topology.tls.mode: network`, the
default); `always` also encrypts agent -> gateway inside the cluster; `off` sends plaintext (TG512
refuses that across the network unless suppressed with a reason). Loopback (the local platform, an
app to its own host's agent) is never encrypted.

- VM agents -> VM gateways, VM agents -> Kubernetes gateways (through the exposure), Kubernetes
  agents -> VM gateways: mutual TLS.
- Kubernetes agents -> Kubernetes gateways: the pod network; mutual TLS only with `always`.

Certificates are referenced, never made: on VMs the files `topology.tls.vm` names (one certificate
per host serves as its client and server certificate, `ca_file` signs them all); on Kubernetes
cert-manager `Certificate`s from `topology.tls.issuer`, whose Secrets (tls.crt, tls.key, ca.crt) are
mounted at CERT_DIRECTORY and re-read when cert-manager rotates them.
"""

from __future__ import annotations

from tracegen.encoding import host_port
from tracegen.plan import model as pm

# `view` below is the planner's blueprint.loader.EnvironmentView: not imported, because the targets
# read this module's constants and may not depend on the blueprint (import contracts).

# Kubernetes: the cert-manager Certificates and their Secrets, mounted here (apart from
# /etc/otelcol/tls, where a backend's CA from the operator's own otel-collector-tls Secret goes).
CERT_DIRECTORY = "/etc/otelcol/certs"
GATEWAY_CERTIFICATE = "otel-gateway-tls"
AGENT_CERTIFICATE = "otel-agent-tls"
# The gateways' receiver for traffic from outside the cluster (gRPC only: the agents' load balancer).
EXTERNAL_PORT = 4319
# How often a collector re-reads certificate files that rotate in place.
RELOAD_INTERVAL = "1h"


def kubernetes_files() -> pm.TlsFiles:
    """The files of a cert-manager Secret as the collector container sees them."""
    return pm.TlsFiles(f"{CERT_DIRECTORY}/tls.crt", f"{CERT_DIRECTORY}/tls.key", f"{CERT_DIRECTORY}/ca.crt",
                       reload=True)


def _vm_files(view) -> pm.TlsFiles:
    files = view.blueprint.topology.tls.vm
    return pm.TlsFiles(files.cert_file, files.key_file, files.ca_file)


def decide(view, agents: tuple[pm.Tier, ...], gateway: pm.Tier | None) -> pm.Transport:
    tls = view.blueprint.topology.tls
    issuer = pm.Issuer(tls.issuer.name, tls.issuer.kind, tls.issuer.group) if tls.issuer else None
    if gateway is None:
        return pm.Transport(issuer=issuer)
    platforms = {a.platform for a in agents}
    on = tls.mode != "off"
    always = tls.mode == "always"
    files = {"vm": _vm_files(view), "kubernetes": kubernetes_files()}
    client: dict[str, pm.TlsFiles] = {}
    plaintext: list[str] = []
    for platform in sorted(platforms - {"local"}):
        crosses = platform == "vm" or gateway.platform == "vm"
        if crosses and not on:
            plaintext.append(f"{platform} agents -> {gateway.platform} gateways")
        if on and (crosses or always):
            client[platform] = files[platform]
    gateway_tls = None
    if gateway.platform == "vm" and on:
        gateway_tls = files["vm"]
    elif gateway.platform == "kubernetes" and always:
        gateway_tls = files["kubernetes"]
    exposure = external_tls = None
    k8s = view.platform.kubernetes
    if gateway.platform == "kubernetes" and "vm" in platforms and k8s and k8s.gateway_exposure:
        declared = k8s.gateway_exposure
        vm = view.platform.vm
        # The dns resolver on the headless Service yields the pods' "ip:port", as the agents' k8s resolver does.
        ring = pm.Resolver("dns", pm.OTLP_GRPC_PORT,
                           hostname=f"{pm.GATEWAY_HEADLESS}.{gateway.namespace}.svc.cluster.local")
        exposure = pm.Exposure(declared.type, declared.address, declared.port, EXTERNAL_PORT,
                               tuple(vm.cidrs) if vm else (), tuple(sorted(declared.annotations.items())), ring)
        external_tls = files["kubernetes"] if on else None
    # Agents in the cluster dial gateway pod IPs (k8s resolver): they verify the Service's name instead.
    server_name = (f"{pm.GATEWAY_SERVICE}.{gateway.namespace}.svc"
                   if gateway.platform == "kubernetes" and "kubernetes" in client else None)
    return pm.Transport(client_tls=tuple(sorted(client.items())), server_name=server_name, gateway_tls=gateway_tls,
                        exposure=exposure, external_tls=external_tls, issuer=issuer,
                        plaintext_hops=tuple(plaintext))


def exposed_endpoint(view) -> tuple[str, ...]:
    """What VM agents dial to reach Kubernetes gateways (none when nothing exposes them: TG511)."""
    k8s = view.platform.kubernetes
    exposure = k8s.gateway_exposure if k8s else None
    return (host_port(exposure.address, exposure.port),) if exposure else ()


def needs_certificates(env: pm.EnvironmentPlan) -> tuple[str, ...]:
    """Which Kubernetes collectors need a cert-manager Certificate: 'gateway', 'agent'."""
    t = env.transport
    kubernetes = kubernetes_files()
    needs = []
    if t.external_tls == kubernetes or t.gateway_tls == kubernetes:
        needs.append("gateway")
    if t.client("kubernetes") is not None:
        needs.append("agent")
    return tuple(needs)
