"""TL202 tail-sampling.needs-trace-routing (error)

Tail sampling, span metrics and the service graph need every span of a trace in one collector
instance. A config that runs as several instances which receive straight from applications (a
per-node DaemonSet, a scaled Deployment behind a plain Service) sees a different part of each trace
in each instance: tail sampling keeps a trace's error span and drops the rest, and the service graph
misses edges. Run agents that route by trace ID (`load_balancing` exporter, `routing_key: traceID`,
`k8s`/`dns`/`static` resolver) in front of a gateway tier that alone does this.

How lint knows how a config runs: `--deployment daemonset|replicated|gateway|single` says it; without
it, a DaemonSet or a Deployment/StatefulSet with more than one replica in the linted manifests that
mounts the config's ConfigMap says it; without either, a `k8sattributes` processor filtering by node
(`filter.node_from_env_var`) or a node-local receiver (`hostmetrics`, `kubeletstats`) marks a per-node
agent. `gateway` means "behind trace-ID load balancing" and never fires; so does `single`.

Bad (the playbook's per-node DaemonSet):

    processors:
      tail_sampling:
        policies: [{name: keep-errors, type: status_code, status_code: {status_codes: [ERROR]}}]

Good (agents, per node):

    exporters:
      load_balancing:
        routing_key: traceID
        protocol: {otlp: {tls: {insecure: true}}}
        resolver: {k8s: {service: otel-gateway-headless.observability}}

and `tail_sampling` only in the gateways' config.
"""

from __future__ import annotations

from collections.abc import Iterator

from tracegen.lint.config import CollectorConfig
from tracegen.lint.rules._common import TRACE_COMPLETE
from tracegen.standards.finding import Hit, Severity

NAME = "tail-sampling.needs-trace-routing"
SEVERITY = Severity.ERROR
NODE_LOCAL_RECEIVERS = ("hostmetrics", "kubeletstats")
HOW = {"daemonset": "one instance per node (a DaemonSet)",
       "replicated": "several replicas behind a plain Service"}


def deployment(config: CollectorConfig) -> tuple[str | None, str]:
    """How the config runs and how lint knows it."""
    given = config.options.get("deployment")
    if given:
        return given, f"--deployment {given}"
    if config.deployment:
        return config.deployment, "the workload that mounts its ConfigMap"
    for component_id, type_name, settings in config.components("processors"):
        node_filter = (settings.get("filter") or {}) if isinstance(settings.get("filter"), dict) else {}
        if type_name in ("k8sattributes", "k8s_attributes") and node_filter.get("node_from_env_var"):
            return "daemonset", f"processor {component_id} filters by node"
    for component_id, type_name, _ in config.components("receivers"):
        if type_name in NODE_LOCAL_RECEIVERS:
            return "daemonset", f"receiver {component_id} reads its node"
    return None, ""


def check(config: CollectorConfig) -> Iterator[Hit]:
    how, evidence = deployment(config)
    if how not in HOW:
        return
    used = {item for _, pipeline in config.pipelines() for role in pipeline.values() for item in role}
    for type_name, section in TRACE_COMPLETE.items():
        for component_id, found, _ in config.components(section):
            if found == type_name and component_id in used:
                yield Hit((section, component_id),
                          f"{component_id} runs in {HOW[how]} ({evidence}) with no trace-ID load balancing in "
                          "front: each instance sees part of a trace. Route by trace ID (load_balancing "
                          "exporter, routing_key: traceID) to a gateway tier and run it there")
