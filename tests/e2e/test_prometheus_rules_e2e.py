"""The generated Prometheus rules against the real promtool (Debian's `prometheus` package, installed
by scripts/install-test-services.sh): `promtool check rules` accepts the rule file and the
PrometheusRule's groups, and `promtool test rules` fires each alert in the situation it describes
(and not on healthy input), with its annotations rendered as an on-call engineer reads them.

The input series use the metric and label names a 0.160.0 collector serves (tracegen/plan/self_metrics.py
and plan/collectors.py say how they were read).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml


from tracegen.targets import prometheus_rules as pr

PROMTOOL = shutil.which("promtool")
# Where scripts/install-test-services.sh can install it (CI, as root, with apt-get), a missing promtool
# is a broken install step: fail there rather than skip.
REQUIRED = bool(os.environ.get("CI")) and os.geteuid() == 0 and shutil.which("apt-get") is not None
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(PROMTOOL is None and not REQUIRED,
                       reason="needs promtool: scripts/install-test-services.sh (run by scripts/test.sh) installs "
                              "Debian's prometheus package, and could not here (no apt-get, or not root)"),
]
REPO = Path(__file__).resolve().parents[2]
BLUEPRINT = REPO / "blueprints" / "checkout.yaml"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    assert PROMTOOL is not None, "promtool is missing: scripts/install-test-services.sh did not install it"
    out = tmp_path_factory.mktemp("rules-build")
    run = subprocess.run(["tracegen", "build", str(BLUEPRINT), "-o", str(out)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return out


def _rules(built: Path) -> dict:
    return yaml.safe_load((built / "prod" / pr.DIRECTORY / pr.RULES_FILE).read_text())


def _annotations(rules: dict, alert: str, service: str | None, values: dict[str, str]) -> dict[str, str]:
    """The alert's annotations as Prometheus renders them: the templates with $labels and $value filled."""
    rule = next(r for g in rules["groups"] for r in g["rules"] if r.get("alert") == alert
                and (service is None or r["labels"].get("service_name") == service))

    def render(text: str) -> str:
        return re.sub(r"\{\{ *\$(value|labels\.\w+)[^}]*\}\}", lambda m: values[m.group(1)], text)
    return {key: render(text) for key, text in rule["annotations"].items()}


def _promtool_test(tmp_path: Path, rule_file: Path, tests: list[dict]) -> subprocess.CompletedProcess:
    spec = tmp_path / "tests.yaml"
    spec.write_text(yaml.safe_dump({"rule_files": [str(rule_file)], "evaluation_interval": "1m", "tests": tests}))
    return subprocess.run([PROMTOOL, "test", "rules", str(spec)], capture_output=True, text=True, timeout=300)


def test_promtool_accepts_the_rule_file_and_the_prometheus_rule(built, tmp_path):
    for env in ("prod", "staging"):
        rule_file = built / env / pr.DIRECTORY / pr.RULES_FILE
        run = subprocess.run([PROMTOOL, "check", "rules", str(rule_file)], capture_output=True, text=True)
        assert run.returncode == 0, run.stdout + run.stderr
        resource = yaml.safe_load((built / env / pr.DIRECTORY / pr.OPERATOR_FILE).read_text())
        assert resource["kind"] == "PrometheusRule" and resource["apiVersion"] == "monitoring.coreos.com/v1"
        extracted = tmp_path / f"{env}-operator-groups.yaml"
        extracted.write_text(yaml.safe_dump({"groups": resource["spec"]["groups"]}))
        run = subprocess.run([PROMTOOL, "check", "rules", str(extracted)], capture_output=True, text=True)
        assert run.returncode == 0, run.stdout + run.stderr
        assert resource["spec"]["groups"] == yaml.safe_load(rule_file.read_text())["groups"]


CALLS = "traces_span_metrics_duration_milliseconds_count"   # as the rules count calls
SERVER = 'span_kind="SPAN_KIND_SERVER"'


def _slo_series() -> list[dict]:
    """checkout: 2 % errors (its budget is 0.1 %) and half its requests slower than 800 ms;
    edge-gateway: no errors, every request under 400 ms."""
    bucket = "traces_span_metrics_duration_milliseconds_bucket"
    return [
        {"series": f'{CALLS}{{service_name="checkout", {SERVER}, status_code="STATUS_CODE_ERROR"}}', "values": "0+2x300"},
        {"series": f'{CALLS}{{service_name="checkout", {SERVER}, status_code="STATUS_CODE_UNSET"}}', "values": "0+98x300"},
        {"series": f'{bucket}{{service_name="checkout", {SERVER}, status_code="STATUS_CODE_UNSET", le="800"}}',
         "values": "0+50x300"},
        {"series": f'{CALLS}{{service_name="edge-gateway", {SERVER}, status_code="STATUS_CODE_UNSET"}}',
         "values": "0+100x300"},
        {"series": f'{bucket}{{service_name="edge-gateway", {SERVER}, status_code="STATUS_CODE_UNSET", le="400"}}',
         "values": "0+100x300"},
    ]


def test_slo_burn_alerts_page_for_the_burning_service_only(built, tmp_path):
    rules = _rules(built)
    labels = {"severity": "page", "service_name": "checkout", "team": "checkout"}
    tests = [{"interval": "1m", "input_series": _slo_series(), "alert_rule_test": [
        {"eval_time": "70m", "alertname": "TracegenErrorBudgetBurnFast", "exp_alerts": [
            {"exp_labels": {**labels, "slo": "errors"},
             "exp_annotations": _annotations(rules, "TracegenErrorBudgetBurnFast", "checkout", {"value": "2%"})}]},
        {"eval_time": "70m", "alertname": "TracegenLatencyBudgetBurnFast", "exp_alerts": [
            {"exp_labels": {**labels, "slo": "latency"},
             "exp_annotations": _annotations(rules, "TracegenLatencyBudgetBurnFast", "checkout", {"value": "50%"})}]},
    ]}, {"interval": "1m", "input_series": [   # 0.5 % errors: 5x the budget, a ticket and no page
        {"series": f'{CALLS}{{service_name="checkout", {SERVER}, status_code="STATUS_CODE_ERROR"}}', "values": "0+1x300"},
        {"series": f'{CALLS}{{service_name="checkout", {SERVER}, status_code="STATUS_CODE_UNSET"}}', "values": "0+199x300"},
    ], "alert_rule_test": [
        {"eval_time": "4h", "alertname": "TracegenErrorBudgetBurnFast", "exp_alerts": []},
        {"eval_time": "4h", "alertname": "TracegenErrorBudgetBurnSlow", "exp_alerts": [
            {"exp_labels": {**labels, "severity": "ticket", "slo": "errors"},
             "exp_annotations": _annotations(rules, "TracegenErrorBudgetBurnSlow", "checkout", {"value": "0.5%"})}]},
    ]}]
    run = _promtool_test(tmp_path, built / "prod" / pr.DIRECTORY / pr.RULES_FILE, tests)
    assert run.returncode == 0, run.stdout + run.stderr


def test_propagation_alert_names_the_service_and_its_callers(built, tmp_path):
    rules = _rules(built)
    graph = "traces_service_graph_request_total"
    series = [
        # 5 % of payments' requests arrive without trace context (roots from the virtual user node).
        {"series": f'{graph}{{client="user", connection_type="virtual_node", server="payments", failed="false"}}',
         "values": "0+5x120"},
        {"series": f'{graph}{{client="checkout", connection_type="", server="payments", failed="false"}}',
         "values": "0+95x120"},
        # inventory: every call arrives with its context.
        {"series": f'{graph}{{client="checkout", connection_type="", server="inventory", failed="false"}}',
         "values": "0+50x120"},
        # edge-gateway starts traces by design: no alert however many.
        {"series": f'{graph}{{client="user", connection_type="virtual_node", server="edge-gateway", failed="false"}}',
         "values": "0+100x120"},
    ]
    description = _annotations(rules, "TracegenPropagationBroken", "payments", {"value": "5%"})
    assert "checkout -> payments" in description["description"]
    tests = [{"interval": "1m", "input_series": series, "alert_rule_test": [
        {"eval_time": "90m", "alertname": "TracegenPropagationBroken", "exp_alerts": [
            {"exp_labels": {"severity": "ticket", "service_name": "payments", "team": "payments", "server": "payments"},
             "exp_annotations": description}]},
    ]}]
    run = _promtool_test(tmp_path, built / "prod" / pr.DIRECTORY / pr.RULES_FILE, tests)
    assert run.returncode == 0, run.stdout + run.stderr


def test_collector_checkpoint_alerts(built, tmp_path):
    rules = _rules(built)
    instance = {"instance": "gateway-0:8888"}
    series = [
        {"series": 'otelcol_receiver_refused_spans{instance="gateway-0:8888", receiver="otlp", transport="grpc"}',
         "values": "0+600x60"},
        {"series": 'otelcol_receiver_accepted_spans{instance="gateway-0:8888", receiver="otlp", transport="grpc"}',
         "values": "0+6000x60"},
        {"series": 'otelcol_exporter_sent_spans{instance="gateway-0:8888", exporter="otlp_grpc/jaeger"}',
         "values": "0+540x60"},
        {"series": 'otelcol_exporter_send_failed_spans{instance="gateway-0:8888", exporter="otlp_grpc/jaeger", '
                   'error_type="Unavailable", error_permanent="false"}', "values": "0+60x60"},
        {"series": 'otelcol_exporter_queue_size{instance="gateway-0:8888", exporter="otlp_grpc/jaeger", '
                   'data_type="traces"}', "values": "900x60"},
        {"series": 'otelcol_exporter_queue_capacity{instance="gateway-0:8888", exporter="otlp_grpc/jaeger", '
                   'data_type="traces"}', "values": "1000x60"},
        {"series": 'otelcol_processor_tail_sampling_sampling_trace_dropped_too_early{instance="gateway-0:8888"}',
         "values": "0+60x60"},
        {"series": 'otelcol_processor_tail_sampling_sampling_late_span_age_count{instance="gateway-0:8888"}',
         "values": "0+300x60"},
    ]
    exporter = {**instance, "exporter": "otlp_grpc/jaeger"}
    expected = {
        "TracegenCollectorRefusingSpans": (instance, "10"),
        "TracegenExporterSendFailures": (exporter, "10%"),
        "TracegenExporterQueueFilling": (exporter, "90%"),
        "TracegenTailSamplingDroppedTooEarly": (instance, "1"),
        "TracegenTailSamplingLateSpans": (instance, "5%"),
    }
    checks = []
    for alert, (labels, value) in expected.items():
        values = {"value": value, **{f"labels.{k}": v for k, v in labels.items()}}
        checks.append({"eval_time": "40m", "alertname": alert, "exp_alerts": [
            {"exp_labels": {"severity": "ticket", **labels},
             "exp_annotations": _annotations(rules, alert, None, values)}]})
    healthy = [s for s in series if "sent_spans" in s["series"] or "accepted" in s["series"]]
    tests = [{"interval": "1m", "input_series": series, "alert_rule_test": checks},
             {"interval": "1m", "input_series": healthy, "alert_rule_test": [
                 {"eval_time": "40m", "alertname": alert, "exp_alerts": []} for alert in expected]}]
    run = _promtool_test(tmp_path, built / "prod" / pr.DIRECTORY / pr.RULES_FILE, tests)
    assert run.returncode == 0, run.stdout + run.stderr


def test_tracegen_validate_runs_promtool_on_the_rules_and_names_a_broken_file(built, tmp_path):
    built = Path(shutil.copytree(built, tmp_path / "copy"))     # the module's build stays intact
    run = subprocess.run(["tracegen", "validate", str(built), "--only", "monitoring"], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "ok    prod/prometheus/rules.yaml  [monitoring]" in run.stdout
    broken = built / "prod" / pr.DIRECTORY / pr.RULES_FILE
    broken.write_text(broken.read_text().replace("sum by (service_name) (rate(", "sum by (service_name) (rate((", 1))
    run = subprocess.run(["tracegen", "validate", str(built), "--only", "monitoring"], capture_output=True, text=True)
    assert run.returncode == 1
    assert any(line.startswith("fail") and "prod/prometheus/rules.yaml" in line for line in run.stdout.splitlines())
