"""The collector distribution: per environment, `<env>/collector/otelcol-builder.yaml`, the
OpenTelemetry Collector Builder (ocb) manifest that lists exactly the components the environment's
collector configs use, at the plan's collector version.

Build it with `builder --config otelcol-builder.yaml`; the binary then loads every config in the
same directory (check with `otelcol validate --config=FILE`). A smaller binary than the contrib
distribution, with nothing in it that the configs do not name.
"""

from __future__ import annotations

from tracegen.plan import model as pm
from tracegen.targets.artifact import Artifact
from tracegen.targets.serialize import to_yaml
from tracegen.toolchain.collector import builder_manifest


def distribution_name(env: pm.EnvironmentPlan) -> str:
    return f"otelcol-{env.blueprint_name}-{env.name}"


def build(plan: pm.Plan) -> list[Artifact]:
    artifacts = []
    for env in plan.environments:
        assert env.collectors is not None, "the planner computes every environment's collectors"
        manifest = builder_manifest(sorted(env.collectors.components), env.collector_version, distribution_name(env))
        artifacts.append(Artifact(path=f"{env.name}/collector/otelcol-builder.yaml", kind="collector-distribution",
                                  content=to_yaml(manifest, source=plan.source_file, sort_keys=False),
                                  environment=env.name))
    return artifacts
