"""The migration runbook: `migrations/<name>.md`, one page per backend migration of the blueprint,
for the team that moves production from one trace backend to another.

It gives the phases with what each exports to, the commands that move between them (each phase is
a complete build rolled out the usual way: GitOps sync, the canary-first playbook, or the local
processes), the gateways' own counters to watch and the `tracegen migrate verify` command that
judges them, go/no-go criteria, rollback triggers and who decides, the observation period, until
when the old backend stays queryable after cutover (its hot retention), and what differs between
the two backend types beyond the exporter (tracegen/backends).
"""

from __future__ import annotations

from dataclasses import dataclass

from tracegen import encoding
from tracegen.plan import model as pm
from tracegen.plan.migration_model import MigrationPlan
from tracegen.targets import templating
from tracegen.targets.artifact import Artifact

TEMPLATE_FILE_PATH = "migration_runbook/migration.md.j2"
DIRECTORY = "migrations"


@dataclass(frozen=True)
class Telemetry:
    environment: str
    platform: str
    urls: tuple[str, ...]          # the exporting tier's telemetry endpoints, where tracegen knows them
    port: int                      # the telemetry port on every instance


def _telemetry(env: pm.EnvironmentPlan) -> Telemetry:
    tier = env.gateway or env.agents[0]
    port = tier.instances[0].ports.metrics if tier.platform == "local" and tier.instances else tier.ports.metrics
    urls = tuple(f"http://{encoding.host_port(i.host, i.ports.metrics)}/metrics" for i in tier.instances
                 if tier.platform == "local") if tier.platform == "local" else ()
    return Telemetry(env.name, tier.platform, urls, port)


@dataclass(frozen=True)
class Volume:
    environment: str
    spans_per_sec: float           # exported to each backend at the declared peak (the plan's model)
    spans_per_day: float
    gb_per_day: float


def _volume(env: pm.EnvironmentPlan) -> Volume | None:
    if env.sampling is None:
        return None
    volumes = env.sampling.volumes
    gb = volumes.backends[0].gb_per_day if volumes.backends else 0.0
    return Volume(env.name, volumes.exported_spans_per_sec, volumes.exported_spans_per_sec * 86400, gb)


def _percent(value: float) -> str:
    return f"{value * 100:g} %"


def runbook(plan: pm.Plan, migration: MigrationPlan) -> str:
    envs = [env for env in plan.environments if env.name in migration.environments]
    phases = migration.phase_exports
    jinja = templating.environment((("sh", encoding.shell_word), ("percent", _percent)))
    return jinja.get_template(TEMPLATE_FILE_PATH).render(
        m=migration, plan=plan, phases=phases, telemetry=[_telemetry(env) for env in envs],
        volumes=[v for v in map(_volume, envs) if v is not None],
        gitops=any(env.gitops for env in envs), vm=any(env.vm_groups for env in envs),
        kubernetes=any(env.kubernetes_cluster for env in envs), local=any(
            t.platform == "local" for env in envs for t in env.tiers))


def build(plan: pm.Plan) -> list[Artifact]:
    return [Artifact(path=f"{DIRECTORY}/{m.name}.md", kind="docs", content=runbook(plan, m)) for m in plan.migrations]
