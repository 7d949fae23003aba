"""TG513 topology.vm-cidrs-missing (error)

The Kubernetes gateways' NetworkPolicy admits exactly the sources the blueprint declares: the agent
pods, Prometheus, and the networks the VM agents send from. Without those networks the policy
denies every VM agent (a CNI that enforces NetworkPolicy drops their connections silently). List
them in `platform.vm.cidrs`; tracegen writes them as ipBlocks on the gateways' external port, and
the exposure's Service keeps the clients' source addresses (externalTrafficPolicy Local) so they
match. The planner refuses the environment otherwise, so this finding cannot be suppressed.

Bad:

    environments:
      prod:
        platform:
          kubernetes:
            cluster: prod
            gateway_exposure: {type: LoadBalancer, address: otel-gateway.prod.example.net}
          vm:
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

NAME = "topology.vm-cidrs-missing"
SEVERITY = Severity.ERROR
SUPPRESSIBLE = False  # the planner refuses it (tracegen/plan/refusals.py), so check must too


def check(loaded: LoadedBlueprint) -> Iterator[Hit]:
    for refusal in refusals(loaded, "TG513"):
        yield Hit(refusal.path, refusal.message, environment=refusal.environment)
