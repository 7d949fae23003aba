"""TG512 tls.plaintext-across-network (error)

Agents forward every span of every trace to the gateways: URLs, queries, user data before the
gateways' own processing, and on a hop that leaves a host or the cluster (a VM agent to any
gateway, a Kubernetes agent to VM gateways) anyone on the path can read or inject them. tracegen
makes these hops mutual TLS by default (`topology.tls.mode: network`): the gateways accept only
agents presenting a certificate from your CA. `mode: off` sends them in plaintext (`insecure:
true`); only an isolated test network justifies that, with a written suppression.

Bad:

    topology:
      tls: {mode: "off"}
    environments:
      prod:
        platform:
          vm:
            gateways: [gw-1]
            groups:
              web: {hosts: [web-1], services: [frontend]}

Good:

    topology:
      tls:
        mode: network
        vm: {cert_file: /etc/otelcol/tls/collector.crt, key_file: /etc/otelcol/tls/collector.key,
             ca_file: /etc/otelcol/tls/ca.crt}
"""

from __future__ import annotations

from collections.abc import Iterator

from tracegen.blueprint.loader import LoadedBlueprint
from tracegen.standards.finding import Hit, Severity
from tracegen.standards.rules._common import planned

NAME = "tls.plaintext-across-network"
SEVERITY = Severity.ERROR


def check(loaded: LoadedBlueprint) -> Iterator[Hit]:
    for env in planned(loaded):
        for hop in env.transport.plaintext_hops:
            yield Hit(("topology", "tls", "mode"),
                      f"{hop} cross the network in plaintext (topology.tls.mode: off): use mode network "
                      "(mutual TLS, the default)", environment=env.name)
