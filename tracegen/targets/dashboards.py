"""Grafana dashboards per environment, built with grafana-foundation-sdk (Grafana's typed builders):

- `<env>/grafana/dashboards/red.json`: rate, errors and duration per service (SERVER and CONSUMER
  spans, span metrics before sampling), latency with exemplars (a point links to its trace in the
  environment's trace backend when the Prometheus data source maps exemplars to it), hot paths (the
  endpoints that add the most latency: rate x mean duration) and errors by service over time;
- `service-graph.json`: calls and failures per edge, server latency per edge, and calls that
  started a new trace in a service (lost context), from the service_graph connector;
- `collector.json`: spans accepted and refused, memory_limiter refusals, spans sent and failed and
  queue fill per exporter, tail-sampling decisions, traces dropped too early and late spans.

Provisioned as ConfigMaps labelled `grafana_dashboard: "1"` (the Grafana Helm chart's sidecar
default) on Kubernetes (`configmaps.yaml`, in the collector namespace), and for Grafana on VMs as
a dashboards provider file (`provisioning/tracegen.yaml`) reading `/var/lib/grafana/dashboards/tracegen`.
Every panel picks its Prometheus data source from the `datasource` variable. Only metrics the
pinned collector serves are referenced (plan/collectors.py, plan/self_metrics.py).
"""

from __future__ import annotations

import json

from grafana_foundation_sdk.builders import dashboard as gd
from grafana_foundation_sdk.builders import prometheus as gp
from grafana_foundation_sdk.builders import timeseries as gt
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import dashboard as gm

from tracegen.plan import collector_common as cc
from tracegen.plan import model as pm
from tracegen.plan import self_metrics as sm
from tracegen.plan.collectors import CONNECTOR_METRICS
from tracegen.targets import kubernetes_common as kc
from tracegen.targets.artifact import Artifact
from tracegen.targets.serialize import to_yaml_documents, to_yaml

KIND = "grafana-dashboard"
DIRECTORY = "grafana"
SIDECAR_LABEL = "grafana_dashboard"          # the Grafana Helm chart's sidecar.dashboards.label
VM_PATH = "/var/lib/grafana/dashboards/tracegen"
DATASOURCE = gm.DataSourceRef(type_val="prometheus", uid="${datasource}")


def _metric(connector: str, suffix: str) -> str:
    return next(m.prometheus for m in CONNECTOR_METRICS[connector] if m.name.endswith(suffix))


DURATION = _metric(cc.SPAN_METRICS, ".duration")
CALLS = f"{DURATION}_count"      # the calls counter read 0 at 0.160.0 (targets/prometheus_rules.py)
GRAPH_REQUESTS = _metric(cc.SERVICE_GRAPH, "request_total")
GRAPH_FAILED = _metric(cc.SERVICE_GRAPH, "request_failed_total")
GRAPH_SERVER = _metric(cc.SERVICE_GRAPH, "request_server")
INBOUND = f'span_kind=~"{sm.SPAN_KIND_SERVER}|{sm.SPAN_KIND_CONSUMER}"'
SERVICE = 'service_name=~"$service"'


def _query(expr: str, legend: str, ref: str, exemplar: bool = False) -> gp.Dataquery:
    query = gp.Dataquery().expr(expr).legend_format(legend).ref_id(ref).datasource(DATASOURCE)
    return query.exemplar(True) if exemplar else query


def panel(title: str, unit: str, queries: list[tuple[str, str]], width: int = 12, exemplar: bool = False,
          description: str = "") -> gt.Panel:
    built = gt.Panel().title(title).unit(unit).span(width).height(8).datasource(DATASOURCE)
    if description:
        built = built.description(description)
    for i, (expr, legend) in enumerate(queries):
        built = built.with_target(_query(expr, legend, chr(ord("A") + i), exemplar))
    return built


def _board(env: pm.EnvironmentPlan, slug: str, title: str) -> gd.Dashboard:
    return (gd.Dashboard(f"{title} ({env.blueprint_name} / {env.name})")
            .uid(f"tracegen-{env.blueprint_name}-{env.name}-{slug}"[:40])
            .tags(["tracegen", env.blueprint_name, env.name]).time("now-6h", "now").refresh("1m")
            .with_variable(gd.DatasourceVariable("datasource").label("Prometheus").type("prometheus")))


def red(env: pm.EnvironmentPlan) -> gd.Dashboard:
    services = gd.QueryVariable("service").label("Service").datasource(DATASOURCE).multi(True).include_all(True) \
        .query(f"label_values({CALLS}, service_name)").refresh(gm.VariableRefresh.ON_TIME_RANGE_CHANGED)
    inbound = f"{SERVICE}, {INBOUND}"
    return (_board(env, "red", "Tracing: RED per service").with_variable(services)
            .with_row(gd.Row("Rate, errors, duration"))
            .with_panel(panel("Requests/s", "reqps", [
                (f"sum by (service_name) (rate({CALLS}{{{inbound}}}[$__rate_interval]))", "{{service_name}}")]))
            .with_panel(panel("Error ratio", "percentunit", [
                (f'sum by (service_name) (rate({CALLS}{{{inbound}, status_code="{sm.STATUS_ERROR}"}}[$__rate_interval]))'
                 f" / sum by (service_name) (rate({CALLS}{{{inbound}}}[$__rate_interval]))", "{{service_name}}")]))
            .with_panel(panel("Latency p50 / p99 (exemplars link to traces)", "ms", [
                (f"histogram_quantile(0.5, sum by (le, service_name) "
                 f"(rate({DURATION}_bucket{{{inbound}}}[$__rate_interval])))", "{{service_name}} p50"),
                (f"histogram_quantile(0.99, sum by (le, service_name) "
                 f"(rate({DURATION}_bucket{{{inbound}}}[$__rate_interval])))", "{{service_name}} p99")],
                width=24, exemplar=True))
            .with_row(gd.Row("Hot paths and errors"))
            .with_panel(panel("Hot paths: latency contribution (calls/s x mean ms), top 10", "ms", [
                (f"topk(10, sum by (service_name, span_name) (rate({DURATION}_sum{{{inbound}}}[$__rate_interval])))",
                 "{{service_name}} {{span_name}}")],
                description="The endpoints whose calls add up to the most time: fix these first."))
            .with_panel(panel("Errors by service (calls/s)", "reqps", [
                (f'sum by (service_name) (rate({CALLS}{{{SERVICE}, status_code="{sm.STATUS_ERROR}"}}'
                 f"[$__rate_interval]))", "{{service_name}}")])))


def service_graph(env: pm.EnvironmentPlan) -> gd.Dashboard:
    root = f'client="{sm.SERVICE_GRAPH_ROOT_CLIENT}", connection_type="{sm.SERVICE_GRAPH_VIRTUAL_NODE}"'
    return (_board(env, "service-graph", "Tracing: service graph")
            .with_panel(panel("Calls/s per edge", "reqps", [
                (f"sum by (client, server) (rate({GRAPH_REQUESTS}[$__rate_interval]))", "{{client}} -> {{server}}")]))
            .with_panel(panel("Failed calls/s per edge", "reqps", [
                (f"sum by (client, server) (rate({GRAPH_FAILED}[$__rate_interval]))", "{{client}} -> {{server}}")]))
            .with_panel(panel("Server latency p99 per edge", "s", [
                (f"histogram_quantile(0.99, sum by (le, client, server) "
                 f"(rate({GRAPH_SERVER}_bucket[$__rate_interval])))", "{{client}} -> {{server}}")]))
            .with_panel(panel("Calls that started a new trace (lost context)", "reqps", [
                (f"sum by (server) (rate({GRAPH_REQUESTS}{{{root}}}[$__rate_interval]))", "{{server}}")],
                description="Expected only at edge services; anywhere else a caller's trace context was lost.")))


def collector(env: pm.EnvironmentPlan) -> gd.Dashboard:
    board = (_board(env, "collector", "Tracing: collector health")
             .with_panel(panel("Spans accepted / refused per instance", "short", [
                 (f"sum by (instance) (rate({sm.RECEIVER_ACCEPTED}[$__rate_interval]))", "{{instance}} accepted"),
                 (f"sum by (instance) (rate({sm.RECEIVER_REFUSED}[$__rate_interval]))", "{{instance}} refused"),
                 (f"sum by (instance) (rate({sm.MEMORY_LIMITER_REFUSED}[$__rate_interval]))",
                  "{{instance}} memory_limiter refused")]))
             .with_panel(panel("Spans sent / failed per exporter", "short", [
                 (f"sum by (exporter) (rate({sm.EXPORTER_SENT}[$__rate_interval]))", "{{exporter}} sent"),
                 (f"sum by (exporter) (rate({sm.EXPORTER_SEND_FAILED}[$__rate_interval]))", "{{exporter}} failed")]))
             .with_panel(panel("Exporter queue fill", "percentunit", [
                 (f"max by (instance, exporter) ({sm.EXPORTER_QUEUE_SIZE} / {sm.EXPORTER_QUEUE_CAPACITY})",
                  "{{instance}} {{exporter}}")])))
    if env.tail_sampling is not None:
        board = (board
                 .with_panel(panel("Tail-sampling decisions per policy", "short", [
                     (f"sum by (policy, decision) (rate({sm.TAIL_TRACES_SAMPLED}[$__rate_interval]))",
                      "{{policy}} {{decision}}")]))
                 .with_panel(panel("Traces dropped too early / late spans", "short", [
                     (f"sum by (instance) (rate({sm.TAIL_DROPPED_TOO_EARLY}[$__rate_interval]))",
                      "{{instance}} dropped too early"),
                     (f"sum by (instance) (rate({sm.TAIL_LATE_SPAN_AGE}_count[$__rate_interval]))",
                      "{{instance}} late spans")])))
    return board


def dashboards(env: pm.EnvironmentPlan) -> dict[str, dict]:
    """Dashboard file stem -> the dashboard's JSON model (as Grafana stores it)."""
    chosen = {"collector": collector}
    if env.derived_metrics.span_metrics:
        chosen["red"] = red
    if env.derived_metrics.service_graph:
        chosen["service-graph"] = service_graph
    return {stem: json.loads(json.dumps(build(env).build(), cls=JSONEncoder)) for stem, build in sorted(chosen.items())}


def _config_maps(env: pm.EnvironmentPlan, boards: dict[str, dict]) -> list[dict]:
    return [{"apiVersion": "v1", "kind": "ConfigMap",
             "metadata": kc.meta(f"tracegen-dashboard-{stem}", kc.collector_namespace(env),
                                 {**kc.labels("tracegen-dashboards", "dashboards", env), SIDECAR_LABEL: "1"}),
             "data": {f"{stem}.json": json.dumps(board, indent=2, sort_keys=True) + "\n"}}
            for stem, board in boards.items()]


def _provider(env: pm.EnvironmentPlan) -> dict:
    return {"apiVersion": 1, "providers": [{
        "name": f"tracegen-{env.name}", "folder": f"Tracing ({env.name})", "type": "file",
        "disableDeletion": False, "allowUiUpdates": False, "options": {"path": VM_PATH}}]}


def build(plan: pm.Plan) -> list[Artifact]:
    artifacts = []
    for env in plan.environments:
        boards = dashboards(env)
        base = f"{env.name}/{DIRECTORY}"
        for stem, board in boards.items():
            artifacts.append(Artifact(f"{base}/dashboards/{stem}.json", KIND,
                                      json.dumps(board, indent=2, sort_keys=True) + "\n", environment=env.name))
        artifacts.append(Artifact(f"{base}/provisioning/tracegen.yaml", KIND,
                                  to_yaml(_provider(env), source=plan.source_file), environment=env.name))
        if kc.is_kubernetes(env):
            artifacts.append(Artifact(f"{base}/configmaps.yaml", KIND,
                                      to_yaml_documents(_config_maps(env, boards), source=plan.source_file),
                                      environment=env.name))
    return artifacts
