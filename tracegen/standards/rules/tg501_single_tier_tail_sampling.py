"""TG501 topology.single-tier-tail-sampling (error)

Tail sampling, span metrics and the service graph judge whole traces, so every span of a trace
must reach the same collector instance. With several agents (a per-node DaemonSet, per-namespace
or sidecar collectors, a VM fleet) the spans of one trace land on different agents, each decides
on a fragment, and traces come out half kept. That takes two tiers: agents that route by trace
ID (the load-balancing exporter) to a gateway tier that samples. Do not switch the gateway off,
and on VMs name the gateway hosts.

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
from tracegen.blueprint.model import Platform
from tracegen.standards.finding import Hit, Severity
from tracegen.standards.rules._common import tail_on

NAME = "topology.single-tier-tail-sampling"
SEVERITY = Severity.ERROR


def agent_instances(platform: Platform) -> int:
    """How many agents may receive spans of one trace (Kubernetes agents always count as many)."""
    count = 0
    if platform.kubernetes:
        count += 2
    if platform.vm:
        count += len({host.name for group in platform.vm.groups.values() for host in group.hosts})
    if platform.local:
        count += 1
    return count


def check(loaded: LoadedBlueprint) -> Iterator[Hit]:
    for env, view in loaded.environments.items():
        bp, platform = view.blueprint, view.platform
        metrics = bp.topology.derived_metrics
        needs = [what for what, on in (("tail sampling", tail_on(bp.sampling)),
                                       ("span metrics", metrics.span_metrics),
                                       ("the service graph", metrics.service_graph)) if on]
        if not needs or agent_instances(platform) < 2:
            continue
        what = " and ".join(needs) + (" judges" if len(needs) == 1 else " judge")
        if bp.topology.gateway.enabled is False:
            yield Hit(("topology", "gateway", "enabled"),
                      f"{what} whole traces, but with several agents and no gateway tier the spans of "
                      "one trace are judged apart: set topology.gateway.enabled: true (agents then route by "
                      "trace ID to the gateways)", environment=env)
        elif platform.vm and not platform.vm.gateways and not platform.kubernetes and not platform.local:
            yield Hit(("environments", env, "platform", "vm"),
                      f"{what} whole traces, so this VM fleet needs a gateway tier, but it names no "
                      "gateway hosts: list them in platform.vm.gateways", environment=env)
