"""Prometheus alerting and recording rules, per environment: `<env>/prometheus/rules.yaml` (a plain
rule file for a Prometheus on VMs: `rule_files:`) and, on Kubernetes, the same groups as a
`monitoring.coreos.com/v1` PrometheusRule in the collector namespace (`prometheusrule.yaml`, for the
Prometheus Operator; not in the kustomization, which must apply without its CRD).

They read only what the environment's collectors emit (the plan's metric names, checked against a
running collector of the pinned version) and assume one Prometheus per environment:

- SLOs (`services.<name>.slo`): error-rate and latency objectives from the span metrics of the
  service's SERVER and CONSUMER spans (counted before tail sampling). Multi-window, multi-burn-rate
  alerts as in the Google SRE workbook ("Alerting on SLOs", recipe 6): page when 2 % of a 30-day
  budget burns in 1 h (burn rate 14.4, with a 5 m window confirming it is still burning) or 5 % in
  6 h (6, 30 m); ticket at 10 % in 1 d (3, 2 h) or 3 d (1, 6 h). Generated directly as Python data
  (the recipe is four expressions; Sloth would add a Go build and its own label scheme).
- Propagation: a service only other services call should never start a trace. The service graph
  draws a root SERVER/CONSUMER span as an edge from its virtual `user` node; its share of the
  service's inbound edges is the share of calls whose trace context was lost on the way in
  (`standards.sampling_targets.propagation`).
- Collector health (the playbook's checkpoints): spans refused (memory_limiter), export failures
  and queues filling per exporter, tail-sampling traces dropped before their decision (num_traces
  too small) and spans arriving after it (decision_wait too short).

`promtool check rules` accepts every file and `promtool test rules` fires each alert in the test
suite's scenarios (tests/e2e/test_prometheus_rules_e2e.py).
"""

from __future__ import annotations

from collections.abc import Iterator

from tracegen.encoding import prometheus_template_text
from tracegen.plan import collector_common as cc
from tracegen.plan import model as pm
from tracegen.plan import self_metrics as sm
from tracegen.plan.collectors import CONNECTOR_METRICS
from tracegen.targets import kubernetes_common as kc
from tracegen.targets.artifact import Artifact
from tracegen.targets.serialize import to_yaml

KIND = "prometheus-rules"
DIRECTORY = "prometheus"
RULES_FILE = "rules.yaml"
OPERATOR_FILE = "prometheusrule.yaml"
SLO_PERIOD_DAYS = 30
# (severity, [(long window, short window, burn rate)]): the SRE workbook's recommended parameters.
BURN_ALERTS = (
    ("page", "Fast", (("1h", "5m", 14.4), ("6h", "30m", 6.0))),
    ("ticket", "Slow", (("1d", "2h", 3.0), ("3d", "6h", 1.0))),
)
WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
PROPAGATION_WINDOWS = ("5m", "1h")
INBOUND_KINDS = f"{sm.SPAN_KIND_SERVER}|{sm.SPAN_KIND_CONSUMER}"


def _metric(connector: str, otel_name_suffix: str) -> str:
    return next(m.prometheus for m in CONNECTOR_METRICS[connector] if m.name.endswith(otel_name_suffix))


DURATION = _metric(cc.SPAN_METRICS, ".duration")
# Calls are counted with the duration histogram's _count, not the calls counter: a 0.160.0 collector's
# prometheus exporter served traces_span_metrics_calls_total as 0 for every series while the histogram
# counted each span (scraped 2026-11-29, tests/e2e/test_verify_e2e.py's setup); the counts are equal
# by construction (one observation per span).
CALLS = f"{DURATION}_count"
GRAPH_REQUESTS = _metric(cc.SERVICE_GRAPH, "request_total")


def _number(value: float) -> str:
    return f"{value:.6g}"


def _le(ms: float) -> str:
    # Prometheus 2 keeps the exposition's "200"; Prometheus 3 normalises it to "200.0".
    return f'{_number(ms)}(\\\\.0)?'


# --------------------------------------------------------------------------- SLOs
def error_ratio(window: str) -> str:
    inbound = f'span_kind=~"{INBOUND_KINDS}"'
    return (f'sum by (service_name) (rate({CALLS}{{{inbound}, status_code="{sm.STATUS_ERROR}"}}[{window}]))\n'
            f'/\nsum by (service_name) (rate({CALLS}{{{inbound}}}[{window}]))')


def latency_ratio(service: str, ms: float, window: str) -> str:
    selector = f'service_name="{service}", span_kind=~"{INBOUND_KINDS}"'
    return (f'1 - (\n  sum(rate({DURATION}_bucket{{{selector}, le=~"{_le(ms)}"}}[{window}]))\n'
            f'  /\n  sum(rate({DURATION}_count{{{selector}}}[{window}]))\n)')


def _record(kind: str, window: str) -> str:
    return f"tracegen:slo_{kind}:ratio_rate{window}"


def _slo_recording(env: pm.EnvironmentPlan) -> list[dict]:
    rules = [{"record": _record("errors", w), "expr": error_ratio(w)} for w in WINDOWS]
    for service in env.services:
        if service.slo and service.slo.latency_ms:
            rules += [{"record": _record("latency", w), "expr": latency_ratio(service.name, service.slo.latency_ms, w),
                       "labels": {"service_name": service.name}} for w in WINDOWS]
    return rules


def _owner_labels(service: pm.ServicePlan) -> dict:
    return {"team": prometheus_template_text(service.owner_team)} if service.owner_team else {}


def burn_alert(kind: str, service: pm.ServicePlan, objective: float, severity: str, speed: str,
               windows: tuple[tuple[str, str, float], ...], what: str) -> dict:
    budget = 1 - objective
    selector = f'{{service_name="{service.name}"}}'
    terms = [f"(\n  {_record(kind, long)}{selector} > ({_number(rate)} * {_number(budget)})\n"
             f"  and\n  {_record(kind, short)}{selector} > ({_number(rate)} * {_number(budget)})\n)"
             for long, short, rate in windows]
    name = f"Tracegen{'Error' if kind == 'errors' else 'Latency'}BudgetBurn{speed}"
    return {
        "alert": name,
        "expr": "\nor\n".join(terms),
        "for": "2m" if severity == "page" else "15m",
        "labels": {"severity": severity, "service_name": service.name, "slo": kind, **_owner_labels(service)},
        "annotations": {
            "summary": f"{service.name} is burning its {what} error budget ({severity})",
            "description": (f"{service.name}: {what} objective {objective:.5g} over {SLO_PERIOD_DAYS} days; "
                            f"the error ratio is {{{{ $value | humanizePercentage }}}} of requests, more than "
                            f"{' or '.join(_number(r) for _, _, r in windows)} times the budget of "
                            f"{_number(budget)}. Open the slow or failing hop from the trace exemplars of "
                            f"{DURATION}."),
        },
    }


def _slo_alerts(env: pm.EnvironmentPlan) -> list[dict]:
    alerts = []
    for service in env.services:
        slo = service.slo
        if slo is None:
            continue
        for severity, speed, windows in BURN_ALERTS:
            alerts.append(burn_alert("errors", service, slo.availability, severity, speed, windows, "availability"))
            if slo.latency_ms:
                alerts.append(burn_alert("latency", service, slo.latency_objective, severity, speed, windows,
                                         f"latency (< {_number(slo.latency_ms)} ms)"))
    return alerts


# --------------------------------------------------------------------------- propagation
def unparented_ratio(window: str) -> str:
    roots = f'client="{sm.SERVICE_GRAPH_ROOT_CLIENT}", connection_type="{sm.SERVICE_GRAPH_VIRTUAL_NODE}"'
    return (f"sum by (server) (rate({GRAPH_REQUESTS}{{{roots}}}[{window}]))\n"
            f"/\nsum by (server) (rate({GRAPH_REQUESTS}[{window}]))")


def callers(env: pm.EnvironmentPlan, service: pm.ServicePlan) -> list[str]:
    """Services of the environment that call `service` or produce to a topic it consumes."""
    return caller_index(env).get(service.name, [])


def caller_index(env: pm.EnvironmentPlan) -> dict[str, list[str]]:
    """callers() of every service at once, in one pass over calls and topics (asking each service
    about every other was quadratic in services)."""
    found: dict[str, set[str]] = {}
    producers: dict[tuple[str, str], set[str]] = {}
    for s in env.services:
        for callee in s.calls:
            found.setdefault(callee, set()).add(s.name)
        for topic in s.produces:
            producers.setdefault(topic, set()).add(s.name)
    for s in env.services:
        for topic in s.consumes:
            found.setdefault(s.name, set()).update(producers.get(topic, ()))
    return {name: sorted(names - {name}) for name, names in found.items()}


def _propagation(env: pm.EnvironmentPlan) -> tuple[list[dict], list[dict]]:
    target = env.sampling.targets.propagation if env.sampling else 0.99
    records = [{"record": f"tracegen:propagation_unparented:ratio_rate{w}", "expr": unparented_ratio(w)}
               for w in PROPAGATION_WINDOWS]
    alerts = []
    index = caller_index(env)
    for service in env.services:
        upstream = index.get(service.name, [])
        if service.edge or not upstream:
            continue
        selector = f'{{server="{service.name}"}}'
        limit = _number(1 - target)
        alerts.append({
            "alert": "TracegenPropagationBroken",
            "expr": (f"tracegen:propagation_unparented:ratio_rate1h{selector} > {limit}\n"
                     f"and\ntracegen:propagation_unparented:ratio_rate5m{selector} > {limit}"),
            "for": "10m",
            "labels": {"severity": "ticket", "service_name": service.name, **_owner_labels(service)},
            "annotations": {
                "summary": f"Trace context is lost on calls into {service.name}",
                "description": (f"{{{{ $value | humanizePercentage }}}} of the requests {service.name} served "
                                f"started a new trace, though only {_some(upstream)} call it: propagation "
                                f"success is below {target:.4g}. Check the hops "
                                f"{_some([f'{u} -> {service.name}' for u in upstream])} (propagators, a proxy "
                                "stripping traceparent, a client without instrumentation)."),
            },
        })
    return records, alerts


NAMED_CALLERS = 8    # an alert names this many callers at most: its text stays small with many producers


def _some(names: list[str]) -> str:
    """The first callers (or hops) by name and how many more, so an alert's size does not grow with
    the estate (a topic with thousands of producers made the rule file quadratic in services)."""
    shown = ", ".join(names[:NAMED_CALLERS])
    return shown if len(names) <= NAMED_CALLERS else f"{shown} and {len(names) - NAMED_CALLERS} more"


# --------------------------------------------------------------------------- collector health
def _collector_alerts(env: pm.EnvironmentPlan) -> list[dict]:
    def alert(name: str, expr: str, wait: str, summary: str, description: str) -> dict:
        return {"alert": name, "expr": expr, "for": wait, "labels": {"severity": "ticket"},
                "annotations": {"summary": summary, "description": description}}

    rules = [
        alert("TracegenCollectorRefusingSpans",
              f"sum by (instance) (rate({sm.RECEIVER_REFUSED}[5m])) > 0", "5m",
              "A collector refuses spans",
              "{{ $labels.instance }} refuses {{ $value | humanize }} spans/s: its memory_limiter is over the "
              "limit (or a queue is full). Senders retry, then drop. Give it memory or replicas."),
        alert("TracegenExporterSendFailures",
              f"sum by (instance, exporter) (rate({sm.EXPORTER_SEND_FAILED}[5m]))\n/\n"
              f"(\n  sum by (instance, exporter) (rate({sm.EXPORTER_SENT}[5m]))\n  +\n"
              f"  sum by (instance, exporter) (rate({sm.EXPORTER_SEND_FAILED}[5m]))\n) > 0.01", "10m",
              "Spans fail to reach a backend",
              "{{ $labels.instance }}: exporter {{ $labels.exporter }} fails to send "
              "{{ $value | humanizePercentage }} of its spans (after retries): they are lost."),
        alert("TracegenExporterQueueFilling",
              f"max by (instance, exporter) ({sm.EXPORTER_QUEUE_SIZE} / {sm.EXPORTER_QUEUE_CAPACITY}) > 0.8",
              "10m", "An exporter's queue is nearly full",
              "{{ $labels.instance }}: exporter {{ $labels.exporter }}'s queue is "
              "{{ $value | humanizePercentage }} full; when full, new spans are dropped."),
    ]
    if env.tail_sampling is not None:
        rules += [
            alert("TracegenTailSamplingDroppedTooEarly",
                  f"sum by (instance) (rate({sm.TAIL_DROPPED_TOO_EARLY}[5m])) > 0", "5m",
                  "Tail sampling drops traces before deciding",
                  "{{ $labels.instance }} evicts {{ $value | humanize }} traces/s before their decision: "
                  "num_traces is too small for the traffic (errors among them are lost). Raise "
                  "sampling.tail.num_traces or add gateway replicas."),
            alert("TracegenTailSamplingLateSpans",
                  f"sum by (instance) (rate({sm.TAIL_LATE_SPAN_AGE}_count[10m]))\n/\n"
                  f"sum by (instance) (rate({sm.RECEIVER_ACCEPTED}[10m])) > 0.01", "15m",
                  "Spans arrive after their trace's sampling decision",
                  "{{ $labels.instance }}: {{ $value | humanizePercentage }} of spans arrive after the decision "
                  "(decision_wait is shorter than the traces): kept traces miss them. Raise "
                  "sampling.tail.decision_wait."),
        ]
    return rules


# --------------------------------------------------------------------------- files
def groups(env: pm.EnvironmentPlan) -> list[dict]:
    """The environment's rule groups (recording rules before the alerts that read them)."""
    metrics = env.derived_metrics
    prefix = f"tracegen-{env.name}"
    result = []
    if metrics.span_metrics and any(s.slo for s in env.services):
        result.append({"name": f"{prefix}-slo-recording", "rules": _slo_recording(env)})
        result.append({"name": f"{prefix}-slo-alerts", "rules": _slo_alerts(env)})
    if metrics.service_graph:
        records, alerts = _propagation(env)
        result.append({"name": f"{prefix}-propagation", "rules": records + alerts})
    result.append({"name": f"{prefix}-collector", "rules": _collector_alerts(env)})
    return result


def prometheus_rule(env: pm.EnvironmentPlan, rule_groups: list[dict]) -> dict:
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": kc.meta(f"tracegen-{env.name}", kc.collector_namespace(env),
                            kc.labels("tracegen-rules", "rules", env)),
        "spec": {"groups": rule_groups},
    }


def build(plan: pm.Plan) -> Iterator[Artifact]:
    """One file at a time: a large estate's rules files are tens of megabytes each."""
    for env in plan.environments:
        rule_groups = groups(env)
        base = f"{env.name}/{DIRECTORY}"
        yield Artifact(f"{base}/{RULES_FILE}", KIND,
                       to_yaml({"groups": rule_groups}, source=plan.source_file, sort_keys=False),
                       environment=env.name)
        if kc.is_kubernetes(env):
            yield Artifact(f"{base}/{OPERATOR_FILE}", KIND,
                           to_yaml(prometheus_rule(env, rule_groups), source=plan.source_file,
                                   sort_keys=False), environment=env.name)
