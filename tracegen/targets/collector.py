"""OpenTelemetry Collector configs, per environment.

- `<env>/collector/agent-<platform>.yaml`: the agent tier of each platform (a DaemonSet on
  Kubernetes, a service on every VM, one process on the local platform). It enriches spans, strips
  PII and SQL literals, and either balances traces by trace ID over the gateways or, without a
  gateway tier, exports straight to the backends.
- `<env>/collector/gateway.yaml` (`gateway-<i>.yaml` per process on the local platform, whose
  ports differ): tail sampling, RED and service-graph metrics, export to every backend.
- `<env>/collector/modes/<mode>.yaml`: a sampling mode, passed as a second `--config` to the
  gateway; it replaces the tail sampler's policy list.
- `<env>/collector/README.md`: the above for the people who run it.

Every pipeline starts with memory_limiter. Component names follow the plan's collector version.
"""

from __future__ import annotations

from tracegen.plan import collector_common as cc
from tracegen.plan import collector_exporters as ex
from tracegen.plan import collector_privacy as privacy
from tracegen.plan import collector_sampling as sampling
from tracegen.plan import model as pm
from tracegen.plan.collectors import CollectorSet
from tracegen.targets import templating
from tracegen.targets.artifact import Artifact

TEMPLATE_FILE_PATH = "collector/README.md.j2"


def _readme(env: pm.EnvironmentPlan, collectors: CollectorSet) -> str:
    jinja = templating.environment()
    platforms = {tier.platform for tier in env.tiers}
    metrics = env.derived_metrics
    gateway_work = ["tail sampling"] if env.tail_sampling else []
    derived = [what for on, what in ((metrics.span_metrics, "RED metrics with exemplars"),
                                     (metrics.service_graph, "the service graph")) if on]
    if derived:
        several = env.gateway is not None and env.gateway.platform == "local" and len(env.gateway.instances) > 1
        port = f"port {metrics.prometheus_port}" + (" + the instance's index" if several else "")
        before = ", before sampling" if env.tail_sampling else ""
        gateway_work.append(f"{' and '.join(derived)} from every span{before} (Prometheus {port})")
    gateway_work.append("export to the backends")
    scrub = env.privacy
    scrubs = [what for on, what in ((scrub.delete_keys or scrub.hash_keys or scrub.mask_keys, "PII"),
                                    (scrub.blocked_value_patterns, "secret-looking values"),
                                    (scrub.sanitize_sql, "SQL literals"),
                                    (scrub.drop_keys, "high-cardinality keys")) if on]
    gateways = [c.path for c in collectors.gateways]
    return jinja.get_template(TEMPLATE_FILE_PATH).render(
        env=env, gateways=gateways, sampler_tier="gateway" if gateways else "agent",
        samplers=gateways or [c.path for c in collectors.configs if c.role == "agent" and not c.is_overlay],
        sampler_args=next((c.args for c in collectors.configs if c.role == ("gateway" if gateways else "agent")
                           and not c.is_overlay), ()),
        gateway_work=gateway_work, scrubs=scrubs,
        secrets=list(collectors.secrets), metrics=collectors.metrics,
        modes=[c.mode for c in collectors.overlays],
        start_mode=env.tail_sampling.active_mode if env.tail_sampling else None,
        baseline=sampling.BASELINE_MODE, kubernetes="kubernetes" in {t.platform for t in env.agents},
        local="local" in platforms, remote=bool(platforms - {"local"}),
        state_env=cc.STATE_DIR_ENV, state_default=cc.STATE_DIR_DEFAULT, queue_directory=cc.QUEUE_DIRECTORY,
        node_env=privacy.K8S_NODE_ENV, tls_directory=ex.TLS_DIRECTORY)


def build(plan: pm.Plan) -> list[Artifact]:
    artifacts: list[Artifact] = []
    for env in plan.environments:
        collectors = env.collectors
        assert collectors is not None, "the planner computes every environment's collectors"
        for config in collectors.configs:
            artifacts.append(Artifact(path=f"{env.name}/collector/{config.path}", kind="collector-config",
                                      content=config.text, environment=env.name, role=config.role))
        artifacts.append(Artifact(path=f"{env.name}/collector/README.md", kind="docs",
                                  content=_readme(env, collectors), environment=env.name))
    return artifacts
