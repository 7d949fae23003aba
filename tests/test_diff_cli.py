"""`tracegen diff` as a user runs it: exit codes like `kubectl diff` (0 same, 1 changed, 2 bad input,
never a traceback), `--format json`, and `BLUEPRINT --against DIR` against a real build."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tracegen", "diff", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """blueprints/checkout.yaml copied and built into a directory, as a team commits it."""
    work = tmp_path_factory.mktemp("diff")
    shutil.copy(ROOT / "blueprints" / "checkout.yaml", work / "checkout.yaml")
    result = subprocess.run([sys.executable, "-m", "tracegen", "build", "checkout.yaml", "-o", "committed"],
                            cwd=work, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return work


def test_an_unchanged_blueprint_against_its_build_is_exit_0(built):
    result = run("checkout.yaml", "--against", "committed", cwd=built)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == "tracegen diff: committed -> checkout.yaml\nNo changes: the two builds are the same.\n"
    assert run("committed", "committed", cwd=built).returncode == 0


def test_a_sampling_edit_shows_exactly_that_change_flagged(built, tmp_path):
    edited = tmp_path / "checkout.yaml"
    text = (built / "checkout.yaml").read_text()
    assert "{name: healthy-share, type: probabilistic, percentage: 10}" in text
    edited.write_text(text.replace("{name: healthy-share, type: probabilistic, percentage: 10}",
                                   "{name: healthy-share, type: probabilistic, percentage: 5}"))
    result = run(str(edited), "--against", str(built / "committed"), "--format", "json", cwd=built)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    share = "processors.tail_sampling.policies[healthy-share].and.and_sub_policy[healthy-share-share]" \
            ".probabilistic.sampling_percentage"
    lowered = sorted((f["path"], f["where"]) for f in report["data_loss"] if f["where"].endswith("sampling_percentage"))
    configmap = 'v1/ConfigMap/observability/otel-gateway-config.data'
    assert lowered == sorted(
        [(f"{env}/collector/{name}.yaml", share) for env in ("prod", "staging")
         for name in ("gateway", "modes/baseline", "modes/canary")]
        + [(f"{env}/kubernetes/gateway.yaml", f'{configmap}["{name}.yaml"].{share}') for env in ("prod", "staging")
           for name in ("gateway", "modes-baseline", "modes-canary")])
    reasons = {f["reason"] for f in report["data_loss"]}
    assert "sampling tightened: sampling_percentage lowered from 10.0 to 5.0" in reasons
    # the only other flag is the healthy share's rate cap, which the planner lowers with it
    assert all(r.startswith("sampling tightened: spans_per_second lowered") for r in reasons
               if "sampling_percentage" not in r)
    # --env narrows the report to one environment's artifacts
    staging = run(str(edited), "--against", str(built / "committed"), "--env", "staging", "--format", "json",
                  cwd=built)
    assert staging.returncode == 1
    assert {f["environment"] for f in json.loads(staging.stdout)["files"]} == {"staging"}
    # the incident mode keeps 100 %: not a change
    assert not any("incident" in f["path"] or "incident" in f["where"] for f in report["data_loss"])
    # nothing but the gateways' sampling, their config checksum and the docs changed
    assert set(report["summary"]) == {"collector-config", "docs", "kubernetes-manifest"}
    assert report["totals"]["added"] == report["totals"]["removed"] == 0


def test_json_shape(built, tmp_path):
    new = tmp_path / "new"
    shutil.copytree(built / "committed", new)
    gateway = new / "prod" / "collector" / "gateway.yaml"
    config = yaml.safe_load(gateway.read_text())
    exporter = next(name for name in sorted(config["exporters"]) if "honeycomb" in name)
    del config["exporters"][exporter]
    gateway.write_text(yaml.safe_dump(config))
    result = run(str(built / "committed"), str(new), "--format", "json", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert set(report) == {"version", "old", "new", "changed", "summary", "totals", "data_loss", "files", "notes"}
    assert (report["version"], report["changed"], report["notes"]) == (1, True, [])
    assert report["summary"] == {"collector-config": {"added": 0, "changed": 1, "removed": 0}}
    [file] = report["files"]
    assert {k: file[k] for k in ("path", "kind", "status", "environment", "service", "text_diff")} == {
        "path": "prod/collector/gateway.yaml", "kind": "collector-config", "status": "changed",
        "environment": "prod", "service": None, "text_diff": None}
    removed = [c for c in file["changes"] if c["path"] == ["exporters", exporter]]
    assert removed and removed[0]["op"] == "removed" and removed[0]["new"] is None
    assert removed[0]["data_loss"] == f"exporter {exporter} removed"
    assert removed[0]["old"]["headers"]["x-honeycomb-team"] == "<redacted>"     # a reference, redacted too


@pytest.mark.parametrize("args, message", [
    (("missing-dir", "committed"), "missing-dir is not a directory"),
    (("committed",), "name two build directories"),
    (("checkout.yaml", "committed"), "checkout.yaml is a file, not a build directory"),
    (("checkout.yaml", "committed", "--against", "committed"), "not both"),
    (("committed", "--against", "committed"), "committed is not a blueprint file"),
    (("checkout.yaml", "--against", "checkout.yaml"), "checkout.yaml is not a directory"),
    ((".", "committed"), "has no tracegen-manifest.json"),
])
def test_bad_input_is_exit_2_with_one_line(built, args, message):
    result = run(*args, cwd=built)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_bad_input_under_json_is_a_failure_document(built):
    result = run("missing-dir", "committed", "--format", "json", cwd=built)
    assert result.returncode == 2
    assert json.loads(result.stdout)["error"]["exit_code"] == 2


def test_a_broken_blueprint_is_exit_2_at_its_position(built, tmp_path):
    broken = tmp_path / "bp.yaml"
    broken.write_text("schema_version: 1\nname: [\n")
    result = run(str(broken), "--against", str(built / "committed"), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(f"{broken}:") and "Traceback" not in result.stderr


def test_output_is_terminal_safe(built, tmp_path):
    old, new = tmp_path / "old", tmp_path / "new"
    for side, value in ((old, "plain"), (new, "evil\x1b[2J\rline")):
        side.mkdir()
        (side / "a.yaml").write_text(yaml.safe_dump({"note": value}))
        (side / "tracegen-manifest.json").write_text(json.dumps(
            {"artifacts": [{"path": "a.yaml", "kind": "docs", "environment": None, "sha256": "x"}]}))
    for fmt in ("text", "json"):
        result = run(str(old), str(new), "--format", fmt, cwd=tmp_path)
        assert result.returncode == 1
        assert "\x1b" not in result.stdout and "\r" not in result.stdout


def test_a_manifest_path_outside_the_directory_is_refused(tmp_path):
    for side in ("a", "b"):
        (tmp_path / side).mkdir()
        (tmp_path / side / "tracegen-manifest.json").write_text(json.dumps(
            {"artifacts": [{"path": "../secret.txt", "kind": "docs", "sha256": "x"}]}))
    result = run("a", "b", cwd=tmp_path)
    assert result.returncode == 2 and "outside the directory" in result.stderr


def test_a_blueprint_that_would_not_build_is_exit_2_not_a_diff(built, tmp_path):
    blueprint = tmp_path / "hc.yaml"
    blueprint.write_text((ROOT / "blueprints" / "minimal.yaml").read_text()
                         .replace("type: tempo", "type: honeycomb")
                         .replace("tempo-distributor.tempo.svc.cluster.local:4317", "api.honeycomb.io:443"))
    result = run(str(blueprint), "--against", str(built / "committed"), cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    assert "1 blocking finding(s) and would not build" in result.stderr
