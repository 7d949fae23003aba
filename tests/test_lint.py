"""`tracegen lint`: the playbook's config and a messy gateway lint with the expected findings at the
right lines; --fix renames in place and is idempotent; output formats, explain, bad input."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tracegen.lint import engine, fix, source
from tracegen.lint.rules import LINT_RULES

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "lint"
PLAYBOOK = FIXTURES / "playbook-configmap.yaml"
MESSY = FIXTURES / "messy-gateway.yaml"
RENAMED = FIXTURES / "renamed-gateway.yaml"


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tracegen", *args], cwd=cwd, capture_output=True, text=True,
                          env=os.environ.copy(), timeout=120)


def found(path: Path, *args: str) -> list[tuple[int, str]]:
    result = run("lint", "--format", "json", str(path), *args)
    assert result.returncode in (0, 1), result.stderr
    return [(f["line"], f["code"]) for f in json.loads(result.stdout)]


def test_the_playbooks_config_inside_its_configmap_at_the_manifests_lines():
    assert found(PLAYBOOK, "--deployment", "daemonset") == [
        (17, "TL404"),                              # batch processor: 0.160 batches in the exporters
        (22, "TL202"),                              # tail_sampling on a per-node DaemonSet
        (25, "TL201"), (28, "TL201"), (31, "TL201"),  # three unnamed policies
        (35, "TL103"),                              # otlp/honeycomb: otlp -> otlp_grpc (0.144.0)
        (38, "TL102"),                              # jaeger exporter removed (v0.85.0)
        (41, "TL102"), (41, "TL401"),               # logging removed (v0.111.0), and never used
        (47, "TL101"),                              # no memory_limiter
    ]


def test_messy_gateway_findings_at_their_lines():
    assert found(MESSY, "--deployment", "replicated") == [
        (4, "TL401"), (10, "TL404"), (16, "TL103"), (18, "TL401"), (20, "TL202"), (25, "TL201"),
        (29, "TL103"), (29, "TL202"), (32, "TL103"), (33, "TL302"), (36, "TL103"), (40, "TL303"),
        (42, "TL103"), (43, "TL302"), (45, "TL301"), (54, "TL304"), (58, "TL101"), (59, "TL304"),
        (62, "TL402"),
    ]


def test_text_output_is_file_line_column_and_never_the_secret():
    result = run("lint", str(MESSY))
    assert result.returncode == 1
    assert "tests/fixtures/lint/messy-gateway.yaml:45:7: error TL301 " in result.stdout
    assert "tests/fixtures/lint/messy-gateway.yaml:62:31: error TL402 " in result.stdout
    assert "s3cr3t" not in result.stdout + result.stderr


def test_tail_sampling_is_fine_behind_trace_id_routing_and_unknown_without_evidence():
    assert "TL202" not in [c for _, c in found(MESSY, "--deployment", "gateway")]
    assert "TL202" not in [c for _, c in found(MESSY)]


def test_the_workload_that_mounts_the_configmap_says_how_it_runs(tmp_path):
    daemonset = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "otel-agent"},
                 "spec": {"template": {"spec": {"volumes": [{"name": "c", "configMap": {"name": "otel-collector-config"}}],
                                                "containers": [{"name": "c", "image": "x"}]}}}}
    manifest = tmp_path / "all.yaml"
    manifest.write_text(PLAYBOOK.read_text() + "---\n" + yaml.safe_dump(daemonset))
    result = run("lint", str(manifest))
    assert "TL202 tail_sampling runs in one instance per node (a DaemonSet) (the workload that mounts" in result.stdout


def test_a_node_filter_marks_a_per_node_agent(tmp_path):
    config = tmp_path / "agent.yaml"
    config.write_text("processors:\n  k8s_attributes:\n    filter: {node_from_env_var: K8S_NODE_NAME}\n"
                      "  tail_sampling: {policies: [{name: a, type: always_sample}]}\n"
                      "service: {pipelines: {traces: {processors: [k8s_attributes, tail_sampling]}}}\n")
    assert (4, "TL202") in found(config)


def test_connector_cycle_and_half_used_connector(tmp_path):
    config = tmp_path / "cycle.yaml"
    config.write_text("""receivers: {otlp: {protocols: {grpc: {}}}}
processors: {memory_limiter: {check_interval: 1s, limit_percentage: 80, spike_limit_percentage: 20}}
connectors: {forward/a: {}, forward/b: {}, forward/c: {}}
exporters: {debug: {}}
service:
  pipelines:
    traces/in: {receivers: [otlp, forward/b], processors: [memory_limiter], exporters: [forward/a]}
    traces/out: {receivers: [forward/a], exporters: [forward/b, forward/c]}
""")
    codes = found(config)
    assert (7, "TL403") in codes and (3, "TL401") in codes   # forward/c is only ever an exporter
    assert [c for _, c in codes].count("TL403") == 1


def test_renames_follow_the_target_version(tmp_path):
    config = tmp_path / "new.yaml"
    config.write_text("exporters:\n  otlp_grpc/x: {endpoint: 'localhost:4317'}\n")
    result = run("lint", "--collector-version", "0.140.0", str(config))
    assert "'otlp_grpc' loads only from collector 0.144.0; at 0.140.0 write 'otlp/x'" in result.stdout
    assert "TL103" not in run("lint", str(config)).stdout


def test_fix_renames_in_place_keeps_every_other_byte_and_is_idempotent(tmp_path):
    target = tmp_path / "gateway.yaml"
    shutil.copy(RENAMED, target)
    before = target.read_text()
    result = run("lint", "--fix", str(target))
    assert result.returncode == 0, result.stdout + result.stderr
    after = target.read_text()
    assert "TL103" not in result.stdout
    assert "# the receiver keeps its name" in after and after.count("\n") == before.count("\n")
    changed = [(a, b) for a, b in zip(before.splitlines(), after.splitlines()) if a != b]
    assert ("      exporters: [otlp/jaeger, \"otlphttp/vendor\"]",
            "      exporters: [otlp_grpc/jaeger, \"otlp_http/vendor\"]") in changed
    assert ("  receivers: [spanmetrics, servicegraph]" not in after)
    assert len(changed) == 12          # 7 definitions, 5 pipeline lists
    for a, b in changed:   # only names changed: removing underscores and prefixes gives the old line back
        for new, old in (("otlp_grpc", "otlp"), ("otlp_http", "otlphttp"), ("k8s_attributes", "k8sattributes"),
                         ("resource_detection", "resourcedetection"), ("span_metrics", "spanmetrics"),
                         ("service_graph", "servicegraph"), ("prometheus_remote_write", "prometheusremotewrite")):
            b = b.replace(new, old)
        assert a == b
    assert yaml.safe_load(after)["receivers"] == yaml.safe_load(before)["receivers"]   # otlp receiver kept
    run("lint", "--fix", str(target))
    assert target.read_text() == after


def test_fix_inside_a_configmap(tmp_path):
    target = tmp_path / "cm.yaml"
    shutil.copy(PLAYBOOK, target)
    run("lint", "--fix", str(target))
    text = target.read_text()
    assert "      otlp_grpc/honeycomb:\n" in text and "exporters: [jaeger, otlp_grpc/honeycomb]" in text
    assert len(text) == len(PLAYBOOK.read_text()) + 2 * len("_grpc")


def test_fix_skips_a_name_not_where_the_parser_said():
    edit = fix.Edit(1, 3, "otlp", "otlp_grpc")
    text, skipped = fix.apply("a:\n  otlpx: {}\n", [edit])
    assert skipped == [edit] and text == "a:\n  otlpx: {}\n"


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_machine_formats(fmt):
    result = run("lint", "--format", fmt, str(MESSY))
    data = json.loads(result.stdout)
    if fmt == "sarif":
        run_ = data["runs"][0]
        assert {r["id"] for r in run_["tool"]["driver"]["rules"]} == set(LINT_RULES)
        first = run_["results"][0]
        assert first["ruleId"] == "TL401"
        assert first["locations"][0]["physicalLocation"]["region"] == {"startLine": 4, "startColumn": 3}
    else:
        assert data[0]["code"] == "TL401" and data[0]["line"] == 4


def test_explain_prints_a_lint_rules_documentation():
    result = run("explain", "TL201")
    assert result.returncode == 0 and "Bad:" in result.stdout and "Good:" in result.stdout
    assert "TL404" in run("explain").stdout


def test_every_rule_documents_a_bad_and_a_good_example():
    for code, rule in LINT_RULES.items():
        doc = rule.__doc__ or ""
        assert doc.startswith(f"{code} {rule.NAME} ({rule.SEVERITY.value})"), code
        assert "Bad" in doc and "Good" in doc, code


@pytest.mark.parametrize("text, where", [
    ("receivers: [\n", ":2:1: invalid YAML"),
    ("a: &x [*x]\n", ":1:4: values nest deeper"),
    ("b: !!python/object:os.system {}\n", ":1:4: tag"),
    ("- 1\n", ":1:1: a collector config is a mapping"),
    ("", ": the file is empty"),
])
def test_bad_input_is_one_positioned_line_exit_2(tmp_path, text, where):
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    result = run("lint", str(bad))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert where in result.stderr, result.stderr


def test_a_broken_config_inside_a_configmap_is_reported_at_the_manifest_line(tmp_path):
    bad = tmp_path / "cm.yaml"
    bad.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  config.yaml: |\n"
                   "    receivers:\n      otlp: [\n")
    result = run("lint", str(bad))
    assert result.returncode == 2 and "cm.yaml:8:" in result.stderr, result.stderr


def test_unknown_rule_and_version_are_usage_errors():
    assert run("lint", "--ignore", "TL999", str(MESSY)).returncode == 2
    assert run("lint", "--collector-version", "0.50.0", str(MESSY)).returncode == 2
    assert "TL304" not in run("lint", "--ignore", "tl304", str(MESSY)).stdout


def test_validate_without_a_toolchain_is_a_skip_naming_what_to_install(tmp_path, monkeypatch):
    from tracegen.errors import ToolError
    from tracegen.toolchain import collector

    def missing(*args, **kwargs):
        raise ToolError("go is not installed")

    monkeypatch.setattr(collector, "build_test_distribution", missing)
    from click.testing import CliRunner
    from tracegen.cli import main

    result = CliRunner().invoke(main, ["lint", "--validate", "--ignore", "TL103", str(RENAMED)])
    assert result.exit_code == 0, result.output
    assert "skip  otelcol validate: go is not installed; install Go >= 1.26" in result.output


def test_engine_api_positions_are_file_positions():
    configs = source.read(str(PLAYBOOK))
    assert configs[0].origin == "ConfigMap otel-collector-config:otelcol.yaml"
    findings = engine.lint(configs, engine.options("0.160.0", None))
    assert {f.code for f in findings} >= {"TL101", "TL102", "TL201"}


def test_pre_commit_hooks_run_check_per_blueprint_and_lint_on_all_files(tmp_path):
    import re
    import shlex

    hooks = {hook["id"]: hook for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"tracegen-check", "tracegen-lint"}
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}

    def hook(name: str, *files: Path) -> int:
        # pre-commit runs `entry` + args + the staged file names, as a command (no shell of its own).
        command = shlex.split(hooks[name]["entry"]) + [str(f) for f in files]
        return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300).returncode

    good, broken = ROOT / "blueprints" / "minimal.yaml", tmp_path / "blueprint.yaml"
    broken.write_text("schema_version: 1\nname: x\n")
    assert hook("tracegen-check", good) == 0
    assert hook("tracegen-check", good, broken) == 1 and hook("tracegen-check", broken, good) == 1
    assert hook("tracegen-lint", RENAMED) == 0 and hook("tracegen-lint", RENAMED, MESSY) == 1
    assert re.search(hooks["tracegen-check"]["files"], "deploy/tracegen.yaml")
    assert re.search(hooks["tracegen-lint"]["files"], "deploy/otel-collector-gateway.yaml")


def test_init_writes_the_schema_modeline(tmp_path):
    assert run("init", "tracegen.yaml", cwd=tmp_path).returncode == 0
    first = (tmp_path / "tracegen.yaml").read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=./tracegen.schema.json"
    schema = run("schema")
    assert schema.returncode == 0 and json.loads(schema.stdout)["title"] == "tracegen blueprint"
    assert run("check", "tracegen.yaml", cwd=tmp_path).returncode == 0


def test_sarif_is_valid_against_the_official_schema_and_carries_rule_help():
    import jsonschema

    schema = json.loads((ROOT / "tests" / "fixtures" / "sarif" / "sarif-schema-2.1.0.json").read_text())
    data = json.loads(run("lint", "--format", "sarif", str(MESSY), str(PLAYBOOK)).stdout)
    jsonschema.validate(data, schema)
    for descriptor in data["runs"][0]["tool"]["driver"]["rules"]:
        assert descriptor["help"]["markdown"].count("```yaml") >= 2, descriptor["id"]   # bad and good fragment
    results = data["runs"][0]["results"]
    embedded = [r for r in results if "ConfigMap" in r["message"]["text"]]
    assert embedded and all(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                            == "tests/fixtures/lint/playbook-configmap.yaml" for r in embedded)


def test_readme_lists_every_lint_rule():
    readme = (ROOT / "README.md").read_text()
    for code in LINT_RULES:
        assert f"| {code} " in readme or f" {code} /" in readme or f"/ {code} |" in readme, code


def test_a_file_without_a_collector_config_is_said_so(tmp_path):
    manifest = tmp_path / "svc.yaml"
    manifest.write_text("apiVersion: v1\nkind: Service\nmetadata: {name: x}\n")
    result = run("lint", str(manifest), str(manifest))
    assert result.returncode == 0 and "no collector config found" in result.stderr
    assert result.stderr.count("no collector config found") == 1


def test_secret_rule_flags_values_not_where_secrets_live(tmp_path):
    config = tmp_path / "auth.yaml"
    config.write_text("""extensions:
  basicauth/client:
    client_auth: {username: svc, password: hunter2-literal}
  bearertokenauth/file: {filename: /var/run/token}
  oauth2client: {client_id: tracing, client_secret: "${env:OAUTH_SECRET}", client_secret_file: /etc/secret}
receivers:
  otlp: {protocols: {grpc: {tls: {key_file: /etc/tls/key.pem, password_file: /etc/tls/pass}}}}
exporters:
  otlp_grpc/a: {endpoint: "localhost:4317", headers: {x-tenant: team-a, authorization: "Bearer ${env:TOKEN}"}}
""")
    codes = [(line, code) for line, code in found(config) if code == "TL301"]
    assert codes == [(3, "TL301")]
    assert "hunter2" not in run("lint", str(config)).stdout
