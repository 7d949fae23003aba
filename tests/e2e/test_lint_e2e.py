"""The real collector has the last word on lint and import: `--fix` output and the configs built from
imported blueprints pass `otelcol validate` on a collector built by tracegen's toolchain (cached under
~/.cache/tracegen; the first run builds it with the Collector Builder). Nothing here binds a port."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tracegen.toolchain.collector import build_test_distribution, validate_config
from tracegen.validators.collector import RUNTIME_ENV

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "lint"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tracegen", *args], cwd=ROOT, capture_output=True, text=True,
                          env=os.environ.copy(), timeout=900)


@pytest.fixture(scope="module")
def otelcol() -> Path:
    return build_test_distribution()


def test_fix_output_passes_otelcol_validate(tmp_path, otelcol):
    target = tmp_path / "gateway.yaml"
    shutil.copy(FIXTURES / "renamed-gateway.yaml", target)
    result = run("lint", "--fix", "--validate", str(target))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok    otelcol validate" in result.stderr and "TL103" not in result.stdout
    direct = validate_config(otelcol, [target])
    assert direct.ok, direct.output
    assert "deprecated" not in direct.output.lower()


def test_the_collector_rejects_what_lint_calls_removed(tmp_path, otelcol):
    """TL102 is right about the playbook: the real collector refuses its jaeger exporter, even after
    --fix renamed what can be renamed."""
    target = tmp_path / "playbook.yaml"
    shutil.copy(FIXTURES / "playbook-configmap.yaml", target)
    result = run("lint", "--fix", "--validate", str(target))
    assert result.returncode == 1
    # The collector refuses both removed exporters; which one it names varies from run to run (Go map order).
    assert re.search(r'unknown type: "jaeger"|the logging exporter has been deprecated', result.stderr), result.stderr
    assert "otlp_grpc/honeycomb" in target.read_text()


@pytest.mark.parametrize("fixture", ["playbook-configmap.yaml", "real-world-gateway.yaml"])
def test_imported_blueprints_build_configs_the_collector_accepts(tmp_path, otelcol, fixture):
    blueprint = tmp_path / "imported.yaml"
    result = run("import", str(FIXTURES / fixture), "-o", str(blueprint))
    assert result.returncode == 0, result.stderr
    out = tmp_path / "out"
    result = run("build", str(blueprint), "-o", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    manifest = yaml.safe_load((out / "tracegen-manifest.json").read_text())
    configs = [e["path"] for e in manifest["artifacts"] if e["kind"] == "collector-config"]
    assert any(p.endswith("gateway.yaml") for p in configs) and any("agent-" in p for p in configs)
    for path in configs:
        checked = validate_config(otelcol, [out / path], env=RUNTIME_ENV)
        assert checked.ok, f"{path}:\n{checked.output}"


def test_the_opentelemetry_demos_config_imports_into_configs_the_collector_accepts(tmp_path, otelcol):
    """The demo's real two-layer config: import, give the Jaeger exporter the TLS `check` asks for (TG504),
    build, and the real collector accepts every config built."""
    demo = FIXTURES / "otel-demo"
    blueprint = tmp_path / "imported.yaml"
    result = run("import", str(demo / "otelcol-config.yml"), str(demo / "otelcol-config-observability.yml"),
                 "-o", str(blueprint))
    assert result.returncode == 0, result.stderr
    data = yaml.safe_load(blueprint.read_text())
    data["backends"]["jaeger"]["tls"] = {"ca_file": "/etc/otelcol/tls/ca.crt"}
    blueprint.write_text(yaml.safe_dump(data, sort_keys=False))
    out = tmp_path / "out"
    result = run("build", str(blueprint), "-o", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    manifest = yaml.safe_load((out / "tracegen-manifest.json").read_text())
    configs = [e["path"] for e in manifest["artifacts"] if e["kind"] == "collector-config"]
    assert configs
    for path in configs:
        checked = validate_config(otelcol, [out / path], env=RUNTIME_ENV)
        assert checked.ok, f"{path}:\n{checked.output}"
