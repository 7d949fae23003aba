"""Sampling strategies for the collector agents' `jaegerremotesampling` extension (edge_head only).

Per environment where remote sampling is in play (plan/remote_sampling.py decides: strategy
`edge_head`, a head sampler that drops, a service whose SDK can poll), under
`<env>/collector/sampling-strategies/`:

- `<mode>.json` for the default mode and every sampling mode: Jaeger's strategies document, one
  probabilistic strategy per polling service at its head ratio in that mode;
- `active.json`: the mode the collectors start in (`sampling.active_mode`, else default). The
  agents' extension reads this file and re-reads it every few seconds: switching a live mode is
  replacing it with another mode's file (`cp incident.json active.json`, or the ConfigMap key), and
  the SDKs pick the new rate up at their next poll, with no restart of apps or collectors.
"""

from __future__ import annotations

from tracegen.plan import model as pm
from tracegen.plan import remote_sampling as rs
from tracegen.targets.artifact import Artifact

KIND = "sampling-strategies"


def files(env: pm.EnvironmentPlan) -> list[Artifact]:
    folder = f"{env.name}/collector/{rs.STRATEGIES_DIRECTORY}"
    return [Artifact(path=f"{folder}/{name}", kind=KIND, content=text, environment=env.name, role="agent")
            for name, text in rs.documents(env).items()]


def build(plan: pm.Plan) -> list[Artifact]:
    return [artifact for env in plan.environments for artifact in files(env)]
