"""TG511 topology.vm-gateway-unexposed (error)

A VM service exports to its host's agent, and the VM agents route every trace to the gateway tier.
When the gateways run on Kubernetes, their Services have cluster-internal names that do not resolve
on the VMs: without an exposure the agents queue, retry and finally drop every span, and the
rollout's pre-check (wait for the gateways) fails on the first host. Declare how the VMs reach the
gateways: a LoadBalancer (its DNS name) or a NodePort (a name resolving to the nodes and the
nodePort). tracegen then gives the gateways a receiver of their own for these agents, mutual TLS
only, behind that Service. The planner refuses the environment otherwise, so this finding cannot
be suppressed.

Bad:

    environments:
      prod:
        platform:
          kubernetes: {cluster: prod}
          vm:
            cidrs: [10.40.0.0/16]
            groups:
              legacy: {hosts: [ledger-1], services: [frontend]}

Good:

    environments:
      prod:
        platform:
          kubernetes:
            cluster: prod
            gateway_exposure: {type: LoadBalancer, address: otel-gateway.prod.example.net}
          vm:
            cidrs: [10.40.0.0/16]
            groups:
              legacy: {hosts: [ledger-1], services: [frontend]}
"""

from __future__ import annotations

from collections.abc import Iterator

from tracegen.blueprint.loader import LoadedBlueprint
from tracegen.plan.builder import refusals
from tracegen.standards.finding import Hit, Severity

NAME = "topology.vm-gateway-unexposed"
SEVERITY = Severity.ERROR
SUPPRESSIBLE = False  # the planner refuses it (tracegen/plan/refusals.py), so check must too


def check(loaded: LoadedBlueprint) -> Iterator[Hit]:
    for refusal in refusals(loaded, "TG511"):
        yield Hit(refusal.path, refusal.message, environment=refusal.environment)
