"""TG514 topology.traces-split-by-load-balancer (warning)

VM agents reach Kubernetes gateways through the exposure's load balancer, which spreads
connections, not traces: each VM agent's spans land on the gateway pod its connection reached,
while the Kubernetes agents route by trace ID over the gateway pods. A trace whose spans come from
several VM hosts, or from VMs and pods (a VM service calling or called by another service, or
sharing a topic with one), can then be judged by two tail samplers and kept in parts; span metrics
and the service graph count it twice as separate pieces. Run the gateways on VMs
(`platform.vm.gateways`: every agent routes by trace ID to them, the Kubernetes agents over mutual
TLS too), or accept it for traffic that seldom crosses hosts.

Bad:

    services:
      frontend: {version: 2.3.1, language: node, calls: [ledger]}
      ledger: {version: 1.0.0, language: java}
    topology:
      tls: {issuer: {name: tracing-ca}}
    environments:
      prod:
        platform:
          kubernetes:
            cluster: prod
            gateway_exposure: {address: otel-gateway.prod.example.net}
          vm:
            cidrs: [10.40.0.0/16]
            groups:
              legacy: {hosts: [ledger-1], services: [ledger]}

Good:

    services:
      frontend: {version: 2.3.1, language: node, calls: [ledger]}
      ledger: {version: 1.0.0, language: java}
    topology:
      tls: {issuer: {name: tracing-ca}}
    environments:
      prod:
        platform:
          kubernetes: {cluster: prod}
          vm:
            gateways: [otel-gw-1, otel-gw-2]
            groups:
              legacy: {hosts: [ledger-1], services: [ledger]}
"""

from __future__ import annotations

from collections.abc import Iterator

from tracegen.blueprint.loader import LoadedBlueprint
from tracegen.standards.finding import Hit, Severity
from tracegen.standards.rules._common import planned

NAME = "topology.traces-split-by-load-balancer"
SEVERITY = Severity.WARNING


def _where(service) -> tuple:
    return (service.platform, service.hosts)


def _crosses(a, b) -> bool:
    """Spans of one trace from a and b may leave from different agents, one of them on a VM."""
    if "vm" not in (a.platform, b.platform):
        return False
    return _where(a) != _where(b) or len(a.hosts) > 1


def check(loaded: LoadedBlueprint) -> Iterator[Hit]:
    for env in planned(loaded):
        if env.transport.exposure is None:
            continue
        services = {s.name: s for s in env.services}
        pairs = {(s.name, callee) for s in env.services for callee in s.calls if callee in services}
        for s in env.services:
            for system, topic in s.produces:
                pairs |= {(s.name, c.name) for c in env.services if (system, topic) in c.consumes}
        crossing = sorted(f"{a} -> {b}" for a, b in pairs if _crosses(services[a], services[b]))
        if crossing:
            yield Hit(("environments", env.name, "platform", "kubernetes", "gateway_exposure"),
                      f"traces cross VM hosts ({', '.join(crossing)}): the exposure's load balancer spreads "
                      "connections, not traces, so the Kubernetes gateways may tail-sample them in parts; run "
                      "the gateways on VMs (platform.vm.gateways) for such traffic", environment=env.name)
