"""Each attack of issue 11 ("Why"), reproduced on a small edit of minimal.yaml: every one now ends as
one line `file:line:col: ...` with exit 2 (or a TG503 finding that cannot be suppressed), or as
output its consumer reads as plain data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

import injection_consumers as consumers
from tracegen import secrets
from tracegen.blueprint.loader import load
from tracegen.cli import main
from tracegen.errors import BlueprintError
from tracegen.plan import collector_common as cc
from tracegen.plan import collector_exporters as ex
from tracegen.plan import model as pm
from tracegen.plan.builder import build_plan
from tracegen.standards.engine import check
from tracegen.targets import build_all

MINIMAL = """\
schema_version: 1
name: minimal
services:
  hello:
    version: 1.0.0
    language: {language}
    owner: {{team: platform, oncall: "pagerduty:platform"}}
    edge: true
    peak_rps: 50
    inbound: [http]
{service_extra}
backends:
  tempo:
    type: tempo
    endpoint: tempo-distributor.tempo.svc.cluster.local:4317
    retention: {{hot_days: 7, cold_days: 30}}
{backend_extra}
sampling:
  tail:
    policies:
      - {{name: keep-errors, type: errors}}
      - {{name: keep-slow, type: latency, threshold_ms: 1000}}
      - {{name: baseline, type: probabilistic, percentage: 10}}
environments:
  prod:
    platform:
{platform}
{tail}
"""
KUBERNETES = "      kubernetes: {cluster: prod}"
VM = "      vm:\n        gateways: [gw-1]\n        groups:\n          shop: {hosts: [app-1], services: [hello]}"


def blueprint(tmp_path: Path, language="node", service_extra="", backend_extra="", platform=KUBERNETES, tail="",
              name="minimal.yaml") -> Path:
    path = tmp_path / name
    path.write_text(MINIMAL.format(language=language, service_extra=service_extra, backend_extra=backend_extra,
                                   platform=platform, tail=tail))
    return path


def refused(path: Path, *secret: str) -> BlueprintError:
    """`tracegen check` exits 2 with one positioned line naming no secret; so does the loader."""
    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code == 2, result.output
    line = result.output.strip().splitlines()[0]
    file, row, column, _ = line.split(":", 3)
    assert file == str(path) and row.isdigit() and column.isdigit(), line
    for text in secret:
        assert text not in result.output
    with pytest.raises(BlueprintError) as error:
        load(path)
    return error.value


def built(path: Path, source: str = "minimal.yaml") -> dict[str, str]:
    loaded = load(path)
    assert not check(loaded).blocking()
    return {a.path: a.content for a in build_all(build_plan(loaded, source))}


# ------------------------------------------------------------------ code injection
@pytest.mark.parametrize("topic", ["orders\nrequire('child_process').execSync('id')",
                                   "orders\u2028require('child_process').execSync('id')",
                                   'orders """\nimport os; os.system("id")\n"""'])
@pytest.mark.parametrize("language", ["node", "python"])
def test_topic_cannot_leave_its_comment_or_docstring(tmp_path, topic, language):
    extra = "    messaging: {produces: [{system: kafka, topic: %s}]}" % yaml.safe_dump(topic).strip().removesuffix("...").strip()
    refused(blueprint(tmp_path, language=language, service_extra=extra))


def test_propagator_cannot_close_the_javadoc(tmp_path):
    evil = "tracecontext */ class Evil { static { System.exit(3); } } /*"
    refused(blueprint(tmp_path, language="java", service_extra=f"    propagators: [{yaml.safe_dump(evil).strip()}]"))


@pytest.mark.parametrize("extra", [
    '    propagators: ["tracecontext\\nJAVA_TOOL_OPTIONS=-javaagent:/tmp/evil.jar"]',
    '    export_endpoint: "http://localhost:4317\\nLD_PRELOAD=/tmp/evil.so"',
])
def test_no_new_line_reaches_env_files_or_properties(tmp_path, extra):
    refused(blueprint(tmp_path, language="java", service_extra=extra, platform=VM))


def test_resource_attributes_are_inert_when_otel_env_is_sourced(tmp_path):
    marker = tmp_path / "ran"
    value = f"a;touch {marker}; `touch {marker}` $(touch {marker}) ${{HOME}} \"q\" 'q'"
    extra = f"    resource_attributes:\n      app.note: {json.dumps(value)}"
    files = built(blueprint(tmp_path, service_extra=extra, platform=VM))
    for name in ("prod/sdk/hello/otel.env", "prod/ansible/files/otel-env/hello.env"):
        env = tmp_path / name.replace("/", "_")
        env.write_text(files[name])
        [shell] = consumers.sh_env([env])
        assert not marker.exists(), f"sourcing {name} ran a command"
        assert shell == consumers.systemd_env(files[name])
        assert consumers.resource_attributes(shell["OTEL_RESOURCE_ATTRIBUTES"])["app.note"] == value


@pytest.mark.parametrize("field", ["address", "dns"])
def test_ansible_never_sees_jinja_from_the_blueprint(tmp_path, field):
    lookup = "{{ lookup('pipe', 'touch /tmp/pwned') }}"
    if field == "address":
        platform = VM.replace("gateways: [gw-1]", f"gateways: [{{name: gw-1, address: \"{lookup}\"}}]")
    else:
        platform = VM + f"\n        resolver: dns\n        dns_name: \"{lookup}\""
    refused(blueprint(tmp_path, platform=platform))


def test_collector_never_expands_blueprint_text(tmp_path):
    extra = "    headers: {x-note: '${file:/etc/passwd} ${env:HOME} $$'}"
    files = built(blueprint(tmp_path, backend_extra=extra))
    gateway = yaml.safe_load(files["prod/collector/gateway.yaml"])
    header = next(e["headers"]["x-note"] for e in gateway["exporters"].values() if "headers" in e)
    assert header == "$${file:/etc/passwd} $${env:HOME} $$$$"
    assert consumers.resolve_dollars(header) == "${file:/etc/passwd} ${env:HOME} $$"


def test_collector_expands_a_secret_reference(tmp_path):
    files = built(blueprint(tmp_path, backend_extra="    headers: {authorization: 'Bearer ${env:TEMPO_TOKEN}'}"))
    gateway = yaml.safe_load(files["prod/collector/gateway.yaml"])
    header = next(e["headers"]["authorization"] for e in gateway["exporters"].values() if "headers" in e)
    assert header == "Bearer ${env:TEMPO_TOKEN}"


def test_dataset_is_never_a_reference(tmp_path):
    refused(blueprint(tmp_path, backend_extra="    dataset: ${env:AWS_SECRET_ACCESS_KEY}"))


def test_declarative_config_does_not_substitute_attribute_values(tmp_path):
    files = built(blueprint(tmp_path, service_extra="    resource_attributes: {app.note: '${HOME} ${env:PATH}'}"))
    config = yaml.safe_load(files["sdk/hello/otel-config.yaml"])
    note = next(a["value"] for a in config["resource"]["attributes"] if a["name"] == "app.note")
    assert consumers.resolve_dollars(note) == "${HOME} ${env:PATH}"


def test_the_blueprint_file_name_cannot_add_lines(tmp_path):
    name = "evil\nOTEL_TRACES_EXPORTER=none\n# x\u2028y.yaml"
    files = built(blueprint(tmp_path, platform=VM), source=name)
    env = consumers.systemd_env(files["prod/sdk/hello/otel.env"])
    assert "OTEL_TRACES_EXPORTER" not in env
    for path, text in files.items():
        assert "\nOTEL_TRACES_EXPORTER=none" not in text, path
        if path.endswith((".yaml", ".yml")):
            yaml.safe_load_all(text)


# ------------------------------------------------------------------ secrets
def test_api_key_in_the_query_string_is_refused_unprinted(tmp_path):
    endpoint = "https://otlp.example.net/v1/traces?api_key=abcdef0123456789"
    extra = f"  vendor:\n    type: otlp\n    protocol: http\n    endpoint: {endpoint}\n    retention: {{hot_days: 7, cold_days: 30}}"
    refused(blueprint(tmp_path, backend_extra=extra), "abcdef0123456789")


def test_password_in_userinfo_is_refused_unprinted(tmp_path):
    refused(blueprint(tmp_path, service_extra="    export_endpoint: http://app:hunter2@localhost:4318"), "hunter2")


def _tg503_suppressed(tmp_path: Path, backend_extra: str) -> Path:
    text = blueprint(tmp_path, backend_extra=backend_extra).read_text()
    path = tmp_path / "suppressed.yaml"
    path.write_text(text + "suppress:\n  - {rule: TG503, reason: the vendor key is test-only}\n")
    return path


@pytest.mark.parametrize("header", ["uptrace-dsn: https://s3cr3tt0ken@api.uptrace.dev/1",
                                    "api-key: NRAK-S3CR3TS3CR3TS3CR3T", "x-ingest: NRAK-S3CR3TS3CR3TS3CR3T"])
def test_credential_headers_are_refused_even_with_tg503_suppressed(tmp_path, header):
    secret = header.split(": ", 1)[1]
    plain = blueprint(tmp_path, backend_extra=f"    headers: {{{header}}}")
    result = CliRunner().invoke(main, ["check", str(plain)])
    assert result.exit_code == 1 and "TG503" in result.output and secret not in result.output
    suppressed = _tg503_suppressed(tmp_path, f"    headers: {{{header}}}")
    result = CliRunner().invoke(main, ["check", str(suppressed)])
    assert result.exit_code == 2 and secret not in result.output, result.output
    # The planner refuses the literal by itself, with its position (an API caller skipping check).
    with pytest.raises(BlueprintError) as error:
        build_plan(load(suppressed), "suppressed.yaml")
    assert error.value.line and secret not in str(error.value)


def test_secret_looking_resource_attribute_is_refused_by_the_planner(tmp_path):
    path = blueprint(tmp_path, service_extra="    resource_attributes: {db.password: hunter2hunter2}")
    assert any(f.code == "TG503" for f in check(load(path)).active)
    with pytest.raises(BlueprintError) as error:
        build_plan(load(path), "minimal.yaml")
    assert error.value.line and "hunter2" not in str(error.value)


def test_build_guard_applies_the_same_policy():
    exporter = pm.Exporter(name="uptrace", backend_type="otlp", protocol="grpc", endpoint="api.uptrace.dev:4317",
                           headers=(("uptrace-dsn", "https://token@api.uptrace.dev/1"),))
    with pytest.raises(ex.SecretInConfig) as error:
        ex.backend(cc.Components("0.160.0"), exporter, {})
    assert "token@" not in str(error.value)
    assert secrets.secret_name("uptrace-dsn") and secrets.secret_value("NRAK-0123456789ABCDEF")


# ------------------------------------------------------------------ names, regexes, terminals
@pytest.mark.parametrize("section", [
    "ingress: {kind: envoy_gateway, namespace: ../ingress}",
    "mesh: {istio: {root_namespace: Istio System}}",
    "standards: {pii_value_patterns: ['(unclosed']}",
    "standards: {pii_value_patterns: ['(?<=card )\\d+']}",
])
def test_names_and_regexes_are_validated(tmp_path, section):
    path = blueprint(tmp_path)
    path.write_text(path.read_text() + section + "\n")
    refused(path)


def test_ansi_escapes_in_input_never_reach_the_terminal(tmp_path):
    path = tmp_path / "bad\x1b[2J.yaml"
    path.write_text(blueprint(tmp_path).read_text() + '"\\e[31mred\\e]0;title\\a": 1\n')
    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code == 2
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "\\x1b" in result.output


def test_generated_files_hold_no_raw_control_characters(tmp_path):
    files = built(blueprint(tmp_path, platform=VM))
    assert {path for path, text in files.items() if consumers.unsafe_in(text)} == set()
