"""TG501 topology.single-tier-tail-sampling (error)

Tail sampling, span metrics and the service graph judge whole traces, so every span of a trace
must reach the same collector instance. With several agents (a per-node DaemonSet, per-namespace
or sidecar collectors, a VM fleet) the spans of one trace land on different agents, each decides
on a fragment, and traces come out half kept. That takes two tiers: agents that route by trace
ID (the load-balancing exporter) to a gateway tier that samples. Do not switch the gateway off,
and on VMs name the gateway hosts. The planner refuses to
build it, so this finding cannot be suppressed.

Bad:

    topology:
      agent: {placement: daemonset}
      gateway: {enabled: false}
    sampling:
      tail:
        policies:
          - {name: keep-errors, type: errors}

Good:

    topology:
      agent: {placement: daemonset}
      gateway: {enabled: true, replicas: 2}
    sampling:
      tail:
        policies:
          - {name: keep-errors, type: errors}
"""

from __future__ import annotations

from collections.abc import Iterator

from tracegen.blueprint.loader import LoadedBlueprint
from tracegen.plan.builder import refusals
from tracegen.standards.finding import Hit, Severity

NAME = "topology.single-tier-tail-sampling"
SEVERITY = Severity.ERROR
SUPPRESSIBLE = False  # the planner refuses to emit it (tracegen/plan/builder.py), so check must too


def check(loaded: LoadedBlueprint) -> Iterator[Hit]:
    for refusal in refusals(loaded, "TG501"):
        yield Hit(refusal.path, refusal.message, environment=refusal.environment)
