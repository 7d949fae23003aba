"""The Prometheus rules target, read from the plan (promtool runs them in
tests/e2e/test_prometheus_rules_e2e.py)."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

import yaml

from tracegen.blueprint.loader import load_text
from tracegen.plan.builder import build_plan
from tracegen.encoding import prometheus_template_text
from tracegen.targets import prometheus_rules as pr

ROOT = Path(__file__).resolve().parents[1]


def _checkout(edit=None):
    data = yaml.safe_load((ROOT / "blueprints" / "checkout.yaml").read_text(encoding="utf-8"))
    if edit:
        edit(data)
    return data


def _plan(data):
    return build_plan(load_text(yaml.safe_dump(data, sort_keys=False), "checkout.yaml"))


def _alerts(env) -> list[dict]:
    return [r for g in pr.groups(env) for r in g["rules"] if "alert" in r]


def _env(plan, name="prod"):
    return next(e for e in plan.environments if e.name == name)


def test_burn_alerts_only_for_services_with_an_slo_and_latency_only_with_a_threshold():
    env = _env(_plan(_checkout()))
    burning = {(a["alert"], a["labels"]["service_name"]) for a in _alerts(env) if "BudgetBurn" in a["alert"]}
    assert burning == {(f"Tracegen{k}BudgetBurn{s}", svc) for k in ("Error", "Latency") for s in ("Fast", "Slow")
                       for svc in ("edge-gateway", "checkout")}
    fast = next(a for a in _alerts(env) if a["alert"] == "TracegenErrorBudgetBurnFast"
                and a["labels"]["service_name"] == "checkout")
    # The SRE workbook's pairs: 1 h with 5 m at 14.4x, 6 h with 30 m at 6x the 0.1 % budget.
    assert 'tracegen:slo_errors:ratio_rate1h{service_name="checkout"} > (14.4 * 0.001)' in fast["expr"]
    assert 'tracegen:slo_errors:ratio_rate5m{service_name="checkout"} > (14.4 * 0.001)' in fast["expr"]
    assert 'tracegen:slo_errors:ratio_rate30m{service_name="checkout"} > (6 * 0.001)' in fast["expr"]
    assert fast["labels"] == {"severity": "page", "service_name": "checkout", "slo": "errors", "team": "checkout"}
    latency = [r for g in pr.groups(env) for r in g["rules"] if r.get("record", "").startswith("tracegen:slo_latency")
               and r["labels"]["service_name"] == "checkout"]
    assert len(latency) == len(pr.WINDOWS) and all('le=~"800(\\\\.0)?"' in r["expr"] for r in latency)


def test_no_slo_no_slo_groups_but_collector_health_always():
    def drop(data):
        for service in data["services"].values():
            service.pop("slo", None)
    env = _env(_plan(_checkout(drop)))
    names = [g["name"] for g in pr.groups(env)]
    assert names == ["tracegen-prod-propagation", "tracegen-prod-collector"]


def test_propagation_alerts_for_called_services_never_for_the_edge():
    env = _env(_plan(_checkout()))
    watched = {a["labels"]["service_name"]: a for a in _alerts(env) if a["alert"] == "TracegenPropagationBroken"}
    assert "edge-gateway" not in watched
    assert "checkout -> payments" in watched["payments"]["annotations"]["description"]
    assert "> 0.01" in watched["payments"]["expr"]     # standards.sampling_targets.propagation 0.99


def test_propagation_target_comes_from_the_standards():
    def stricter(data):
        data.setdefault("standards", {}).setdefault("sampling_targets", {})["propagation"] = 0.999
    env = _env(_plan(_checkout(stricter)))
    alert = next(a for a in _alerts(env) if a["alert"] == "TracegenPropagationBroken")
    assert "> 0.001" in alert["expr"]


def test_tail_sampling_alerts_only_where_the_environment_tail_samples():
    env = _env(_plan(_checkout()))
    tail = {"TracegenTailSamplingDroppedTooEarly", "TracegenTailSamplingLateSpans"}
    assert tail <= {a["alert"] for a in _alerts(env)}
    assert not tail & {a["alert"] for a in _alerts(replace(env, tail_sampling=None))}


def test_build_writes_the_rule_file_and_the_prometheus_rule_with_the_same_groups():
    plan = _plan(_checkout())
    artifacts = {a.path: a for a in pr.build(plan)}
    rules = yaml.safe_load(artifacts["prod/prometheus/rules.yaml"].content)
    resource = yaml.safe_load(artifacts["prod/prometheus/prometheusrule.yaml"].content)
    assert resource["spec"]["groups"] == rules["groups"]
    assert resource["metadata"]["namespace"] and all(a.kind == "prometheus-rules" for a in artifacts.values())


def test_a_latency_threshold_between_buckets_is_a_positioned_error(tmp_path):
    text = (ROOT / "blueprints" / "checkout.yaml").read_text(encoding="utf-8").replace(
        "latency_ms: 800}", "latency_ms: 750}")
    path = tmp_path / "checkout.yaml"
    path.write_text(text)
    run = subprocess.run(["tracegen", "check", str(path)], capture_output=True, text=True)
    assert run.returncode == 2
    line = next(i for i, l in enumerate(text.splitlines(), 1) if "latency_ms: 750" in l)
    assert run.stderr.startswith(f"{path}:{line}:") and "bucket boundary" in run.stderr
    assert "Traceback" not in run.stderr


def test_a_team_name_with_template_braces_stays_literal():
    assert prometheus_template_text("core {{ $value }} team}}") == 'core {{ "{{" }} $value {{ "}}" }} team{{ "}}" }}'

    def braces(data):
        data["services"]["checkout"]["owner"]["team"] = "ops {{x}}"
    env = _env(_plan(_checkout(braces)))
    alert = next(a for a in _alerts(env) if a["labels"]["service_name"] == "checkout")
    assert alert["labels"]["team"] == 'ops {{ "{{" }}x{{ "}}" }}'


def test_a_propagation_alert_names_a_few_callers_not_every_producer():
    def many_producers(data):
        for n in range(20):
            data["services"][f"producer-{n:02d}"] = {
                "version": "1.0.0", "language": "go", "messaging": {"produces": [{"system": "kafka", "topic": "fan-in"}]}}
        data["services"]["payments"].setdefault("messaging", {}).setdefault("consumes", []).append(
            {"system": "kafka", "topic": "fan-in"})
    env = _env(_plan(_checkout(many_producers)))
    alert = next(a for a in _alerts(env) if a["alert"] == "TracegenPropagationBroken"
                 and a["labels"]["service_name"] == "payments")
    text = alert["annotations"]["description"]
    assert f"and {21 - pr.NAMED_CALLERS} more" in text          # checkout plus 20 producers
    assert "producer-00 -> payments" in text and "producer-19" not in text
