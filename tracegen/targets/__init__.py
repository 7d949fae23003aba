"""Targets: one module per artifact family, each `build(plan)` giving its artifacts, registered here.

`stream` yields them target by target without holding them (a build writes each as it comes, so its
memory does not grow with the output); `build_all` is the sorted list, for code that needs them all."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from tracegen.plan.model import Plan
from tracegen.targets import (ansible, collector, distribution, gitops, ingress, istio, kubernetes,
                              dashboards, migration_runbook, prometheus_rules, remote_sampling, runbook, sdk)
from tracegen.targets import operator
from tracegen.targets.artifact import Artifact

TARGETS: dict[str, Callable[[Plan], Iterable[Artifact]]] = {
    "collector": collector.build,
    "distribution": distribution.build,
    "kubernetes": kubernetes.build,
    "istio": istio.build,
    "ingress": ingress.build,
    "gitops": gitops.build,
    "ansible": ansible.build,
    "sdk": sdk.build,
    "remote_sampling": remote_sampling.build,
    "migration_runbook": migration_runbook.build,
    "runbook": runbook.build,
    "operator": operator.build,
    "prometheus_rules": prometheus_rules.build,
    "dashboards": dashboards.build,
}


def stream(plan: Plan, only: set[str] | None = None) -> Iterator[Artifact]:
    """Every artifact of the selected targets, once each, in generation order."""
    seen: set[str] = set()
    for name, build in TARGETS.items():
        if only and name not in only:
            continue
        for artifact in build(plan):
            if artifact.path in seen:
                raise ValueError(f"two artifacts claim {artifact.path}")
            seen.add(artifact.path)
            yield artifact


def build_all(plan: Plan, only: set[str] | None = None) -> list[Artifact]:
    return sorted(stream(plan, only), key=lambda a: a.path)
