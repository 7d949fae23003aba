"""Targets: one module per artifact family, each `build(plan) -> list[Artifact]`, registered here."""

from __future__ import annotations

from collections.abc import Callable

from tracegen.plan.model import Plan
from tracegen.targets import (ansible, collector, distribution, gitops, ingress, istio, kubernetes,
                              dashboards, migration_runbook, prometheus_rules, remote_sampling, runbook, sdk)
from tracegen.targets import operator
from tracegen.targets.artifact import Artifact

TARGETS: dict[str, Callable[[Plan], list[Artifact]]] = {
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


def build_all(plan: Plan, only: set[str] | None = None) -> list[Artifact]:
    artifacts: list[Artifact] = []
    for name, build in TARGETS.items():
        if only and name not in only:
            continue
        artifacts.extend(build(plan))
    seen: set[str] = set()
    for artifact in artifacts:
        if artifact.path in seen:
            raise ValueError(f"two artifacts claim {artifact.path}")
        seen.add(artifact.path)
    return sorted(artifacts, key=lambda a: a.path)
