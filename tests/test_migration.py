"""Backend migrations: what each phase exports, per-exporter queues, mapping, positioned refusals,
in-place phase edits (advance / rollback), verify's judgement and the runbook."""

from __future__ import annotations

import http.server
import json
import threading
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from tracegen.blueprint.loader import load_text
from tracegen.cli import main
from tracegen.commands import _verify
from tracegen.plan.builder import build_plan
from tracegen.targets import collector, migration_runbook

ROOT = Path(__file__).resolve().parent.parent
JAEGER_TO_OTLP = ROOT / "blueprints" / "migrate-jaeger-to-otlp.yaml"
DATADOG_TO_HONEYCOMB = ROOT / "blueprints" / "migrate-datadog-to-honeycomb.yaml"


def with_phase(path: Path, phase: str) -> str:
    text = path.read_text(encoding="utf-8")
    return text.replace("    phase: dual-write", f"    phase: {phase}", 1)


def gateway(text: str, env: str = "prod") -> dict:
    plan = build_plan(load_text(text, "bp.yaml"))
    [config] = [yaml.safe_load(a.content) for a in collector.build(plan)
                if a.path == f"{env}/collector/gateway.yaml"]
    return config


@pytest.mark.parametrize("phase, exported", [
    ("planned", {"otlp_grpc/jaeger"}),
    ("dual-write", {"otlp_grpc/jaeger", "otlp_grpc/tempo"}),
    ("verify", {"otlp_grpc/jaeger", "otlp_grpc/tempo"}),
    ("cutover", {"otlp_grpc/tempo"}),
    ("done", {"otlp_grpc/tempo"}),
])
def test_each_phase_exports_to_its_backends(phase, exported):
    config = gateway(with_phase(JAEGER_TO_OTLP, phase))
    assert set(config["exporters"]) == exported
    assert set(config["service"]["pipelines"]["traces/sampled"]["exporters"]) == exported


def test_dual_write_gives_each_exporter_its_own_queue_storage_and_retry():
    config = gateway(JAEGER_TO_OTLP.read_text(encoding="utf-8"))
    storages = {name: body["sending_queue"]["storage"] for name, body in config["exporters"].items()}
    assert storages == {"otlp_grpc/jaeger": "file_storage/queue-jaeger", "otlp_grpc/tempo": "file_storage/queue-tempo"}
    directories = {config["extensions"][s]["directory"] for s in storages.values()}
    assert len(directories) == 2
    assert "file_storage/queue" not in config["extensions"]        # no storage left unused
    for body in config["exporters"].values():
        assert body["retry_on_failure"]["enabled"] is True
        assert body["sending_queue"]["enabled"] is True


def test_leaving_datadog_maps_its_resource_names_insert_only():
    config = gateway(DATADOG_TO_HONEYCOMB.read_text(encoding="utf-8"))
    mapping = config["processors"]["resource/migration"]["attributes"]
    assert {(a["key"], a["from_attribute"], a["action"]) for a in mapping} == {
        ("deployment.environment.name", "env", "insert"), ("service.name", "service", "insert"),
        ("service.version", "version", "insert")}
    assert "resource/migration" in config["service"]["pipelines"]["traces/sampled"]["processors"]
    text = DATADOG_TO_HONEYCOMB.read_text(encoding="utf-8").replace("    phase: dual-write", "    phase: planned")
    assert "resource/migration" not in gateway(text).get("processors", {})


BAD = [
    ("    to: tempo\n", "    to: zipkin\n", "unknown backend 'zipkin'"),
    ("    to: tempo\n", "    to: jaeger\n", "from and to are the same"),
    ("    phase: dual-write\n", "    phase: half-way\n", "phase"),
]


@pytest.mark.parametrize("old, new, message", BAD)
def test_bad_migrations_are_positioned_usage_errors(tmp_path, old, new, message):
    text = JAEGER_TO_OTLP.read_text(encoding="utf-8")
    line = text[:text.index(old)].count("\n") + 1
    path = tmp_path / "bp.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code == 2, result.output
    assert f"bp.yaml:{line}:" in result.output and message in result.output


def test_one_migration_per_environment(tmp_path):
    text = JAEGER_TO_OTLP.read_text(encoding="utf-8").replace(
        "\nsuppress:", "\n  - name: again\n    from: jaeger\n    to: tempo\n\nsuppress:", 1)
    path = tmp_path / "bp.yaml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code == 2 and "already moved by migration 'jaeger-to-tempo'" in result.output


def test_advance_and_rollback_edit_only_the_phase_and_build(tmp_path):
    path = tmp_path / "bp.yaml"
    original = JAEGER_TO_OTLP.read_text(encoding="utf-8")
    path.write_text(original, encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(main, ["migrate", "rollback", str(path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert path.read_text(encoding="utf-8") == original.replace("phase: dual-write", "phase: planned")
    built = yaml.safe_load((tmp_path / "out" / "prod" / "collector" / "gateway.yaml").read_text(encoding="utf-8"))
    assert set(built["exporters"]) == {"otlp_grpc/jaeger"}
    assert runner.invoke(main, ["migrate", "rollback", str(path)]).exit_code == 2   # nothing before planned
    for _ in range(4):
        assert runner.invoke(main, ["migrate", "advance", str(path)]).exit_code == 0
    assert "phase: done" in path.read_text(encoding="utf-8")
    assert runner.invoke(main, ["migrate", "advance", str(path)]).exit_code == 2
    assert "# Badger TTL 168h" in path.read_text(encoding="utf-8")                  # comments kept


def test_advance_adds_a_phase_line_when_the_default_was_used(tmp_path):
    path = tmp_path / "bp.yaml"
    path.write_text(JAEGER_TO_OTLP.read_text(encoding="utf-8").replace("    phase: dual-write\n", ""), encoding="utf-8")
    assert CliRunner().invoke(main, ["migrate", "advance", str(path)]).exit_code == 0
    [migration] = yaml.safe_load(path.read_text(encoding="utf-8"))["migrations"]
    assert migration["phase"] == "dual-write"


def test_plan_lists_the_phases(tmp_path):
    result = CliRunner().invoke(main, ["migrate", "plan", str(JAEGER_TO_OTLP), "--format", "json"])
    assert result.exit_code == 0, result.output
    [doc] = json.loads(result.output)["migrations"]
    assert [p["exports"] for p in doc["phases"]] == [["jaeger"], ["jaeger", "tempo"], ["jaeger", "tempo"],
                                                      ["tempo"], ["tempo"]]
    assert doc["phase"] == "dual-write" and doc["next"] == "verify" and doc["previous"] == "planned"


PROM = """# TYPE otelcol_exporter_sent_spans_total counter
otelcol_exporter_sent_spans_total{exporter="otlp_grpc/jaeger",service_name="otelcol"} %d
otelcol_exporter_sent_spans_total{exporter="otlp_grpc/tempo",service_name="otelcol"} %d
otelcol_exporter_send_failed_spans_total{exporter="otlp_grpc/tempo"} %d
"""


class _Quiet(http.server.BaseHTTPRequestHandler):
    def answer(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class _Counters(_Quiet):
    readings: list = []

    def do_GET(self):  # noqa: N802
        old, new, failed = self.readings.pop(0) if len(self.readings) > 1 else self.readings[0]
        self.answer((PROM % (old, new, failed)).encode())


@pytest.fixture
def counters():
    server = http.server.HTTPServer(("127.0.0.1", 0), _Counters)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


@pytest.mark.parametrize("readings, go", [
    ([(100, 100, 0), (1100, 1095, 0)], True),          # -0.5 % within 1 %
    ([(100, 100, 0), (1100, 1000, 0)], False),         # -10 %
    ([(100, 100, 0), (1100, 1100, 3)], False),         # a failed span
    ([(100, 100, 0), (100, 100, 0)], False),           # no traffic: no proof
])
def test_verify_reads_two_scrapes_and_judges(counters, readings, go):
    _Counters.readings = list(readings)
    url = f"http://127.0.0.1:{counters.server_port}/metrics"
    result = CliRunner().invoke(main, ["migrate", "verify", str(JAEGER_TO_OTLP), "--metrics", url,
                                       "--window", "100ms", "--format", "json"])
    assert result.exit_code == (0 if go else 1), result.output
    verdict = json.loads(result.output)
    assert verdict["go"] is go
    assert verdict["exporters"]["old"]["otelcol_exporter_sent_spans"] == readings[-1][0] - readings[0][0]


def test_verify_needs_a_source_and_a_reachable_one():
    runner = CliRunner()
    assert runner.invoke(main, ["migrate", "verify", str(JAEGER_TO_OTLP)]).exit_code == 2
    result = runner.invoke(main, ["migrate", "verify", str(JAEGER_TO_OTLP), "--metrics", "http://127.0.0.1:9/m",
                                  "--window", "1ms"])
    assert result.exit_code == 2 and "cannot read" in result.output


def test_parse_reads_both_counter_spellings():
    counts = _verify.parse('otelcol_exporter_sent_spans{exporter="a"} 5\notelcol_exporter_sent_spans_total{exporter="a"} 2\n'
                           'otelcol_exporter_sent_spans_total{exporter="b"} 7\n', ("a",))
    assert counts["a"][_verify.SENT] == 7


def test_runbook_states_retention_verify_command_and_owner():
    plan = build_plan(load_text(JAEGER_TO_OTLP.read_text(encoding="utf-8"), "blueprints/migrate-jaeger-to-otlp.yaml"))
    [artifact] = migration_runbook.build(plan)
    assert artifact.path == "migrations/jaeger-to-tempo.md"
    text = artifact.content
    assert "7 days after the cutover build is rolled out" in text
    assert "tracegen migrate verify" in text and "tracegen migrate rollback" in text
    assert "observability" in text and "otlp_grpc/tempo" in text
    assert "X-Scope-OrgID" in text
    volume = plan.environments[0].sampling.volumes.exported_spans_per_sec
    assert f"{volume:.0f} spans/s" in text and "two bills" in text        # dual-write's cost, from the plan


def test_datadog_runbook_explains_trace_ids_and_the_receiver_gap():
    plan = build_plan(load_text(DATADOG_TO_HONEYCOMB.read_text(encoding="utf-8"), "bp.yaml"))
    text = next(a.content for a in migration_runbook.build(plan) if a.path.endswith("honeycomb-prod.md"))
    assert "_dd.p.tid" in text and "receiver/datadogreceiver" in text
    assert "15 days after the cutover" in text


def test_each_step_shows_its_diff_and_cutover_flags_the_old_exporter(tmp_path):
    path = tmp_path / "bp.yaml"
    path.write_text(with_phase(JAEGER_TO_OTLP, "verify"), encoding="utf-8")
    preview = CliRunner().invoke(main, ["migrate", "plan", str(path), "--diff"])
    assert preview.exit_code == 0 and "phase: verify" in path.read_text(encoding="utf-8")   # nothing edited
    result = CliRunner().invoke(main, ["migrate", "advance", str(path)])
    assert result.exit_code == 0, result.output
    assert preview.output in result.output                      # the preview is what the step shows
    assert "data loss: exporter otlp_grpc/jaeger removed" in result.output
    # The new backend's queue keeps its storage across the phase change: nothing queued is stranded.
    assert "otlp_grpc/tempo's queue moves" not in result.output


def test_a_backends_queue_storage_is_the_same_in_every_phase():
    storages = {phase: gateway(with_phase(JAEGER_TO_OTLP, phase))["exporters"]["otlp_grpc/tempo"]["sending_queue"]
                ["storage"] for phase in ("dual-write", "cutover", "done")}
    assert set(storages.values()) == {"file_storage/queue-tempo"}


def test_check_reports_the_new_backends_endpoint_before_it_is_exported_to(tmp_path):
    # The new backend serves no environment by its own list; the migration brings it into prod.
    text = JAEGER_TO_OTLP.read_text(encoding="utf-8").replace("    phase: dual-write\n", "    phase: planned\n")
    text = text.replace("    endpoint: tempo-distributor.internal:4317\n",
                        "    endpoint: tempo-distributor.internal:4317/v1/traces\n    environments: [lab]\n")
    text = text.replace("    to: tempo\n", "    to: tempo\n    environments: [prod]\n", 1)
    text += "  lab:\n    platform:\n      local: {}\n"
    path = tmp_path / "bp.yaml"
    path.write_text(text, encoding="utf-8")
    line = text[:text.index("tempo-distributor.internal:4317/v1")].count("\n") + 1
    from tracegen.plan import refusals

    prod = load_text(text, "bp.yaml").environments["prod"]   # tempo's own list does not name prod
    assert [r.path for r in refusals.backend_endpoints(prod)] == [("backends", "tempo", "endpoint")]
    for command in (["check", str(path)], ["build", str(path), "-o", str(tmp_path / "out")]):
        result = CliRunner().invoke(main, command)
        assert result.exit_code in (1, 2), result.output
        assert f"bp.yaml:{line}:" in result.output and "TG509" in result.output


class _Prometheus(_Quiet):
    queries: list = []

    def do_GET(self):  # noqa: N802
        from urllib.parse import parse_qs, urlsplit

        query = parse_qs(urlsplit(self.path).query)["query"][0]
        self.queries.append(query)
        values = {"otlp_grpc/jaeger": 1000, "otlp_grpc/tempo": 998} if "sent_spans" in query else {}
        self.answer(json.dumps({"status": "success", "data": {"resultType": "vector", "result": [
            {"metric": {"exporter": e}, "value": [0, str(v)]} for e, v in values.items()]}}).encode())


def test_verify_from_prometheus_uses_increase_over_the_window():
    server = http.server.HTTPServer(("127.0.0.1", 0), _Prometheus)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        result = CliRunner().invoke(main, ["migrate", "verify", str(JAEGER_TO_OTLP), "--prometheus",
                                           f"http://127.0.0.1:{server.server_port}", "--format", "json"])
    finally:
        server.shutdown()
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["difference"] == pytest.approx(-0.002)
    assert any("increase(" in q and "[900s]" in q and "otelcol_exporter_sent_spans" in q for q in _Prometheus.queries)
