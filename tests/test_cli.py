"""The CLI as a user meets it: exit codes, messages without tracebacks, atomic deterministic output."""

from __future__ import annotations

import json
import re
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "blueprints" / "checkout.yaml"
BAD = ROOT / "tests" / "fixtures" / "bad"


def run(*args: str, cwd: Path = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tracegen", *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=120)


def tree(directory: Path) -> dict[str, bytes]:
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def test_check_passes_the_example_and_build_writes_a_manifest(tmp_path):
    assert run("check", str(EXAMPLE)).returncode == 0
    out = tmp_path / "out"
    result = run("build", str(EXAMPLE), "-o", str(out))
    assert result.returncode == 0, result.stderr
    manifest = json.loads((out / "tracegen-manifest.json").read_text())
    assert manifest["generator"] == "tracegen" and manifest["artifacts"]
    files = tree(out)
    for entry in manifest["artifacts"]:
        assert {"path", "kind", "environment", "sha256"} <= set(entry)
        import hashlib
        assert hashlib.sha256(files[entry["path"]]).hexdigest() == entry["sha256"]
        if entry["kind"] == "collector-config":
            assert entry["role"] in ("agent", "gateway")
    assert set(files) == {e["path"] for e in manifest["artifacts"]} | {"tracegen-manifest.json"}


def test_build_is_byte_identical_on_rebuild_and_from_another_directory(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    assert run("build", str(EXAMPLE), "-o", str(first)).returncode == 0
    assert run("build", str(EXAMPLE), "-o", str(first)).returncode == 0
    shutil.copy(EXAMPLE, tmp_path / "checkout.yaml")
    assert run("build", "checkout.yaml", "-o", str(second), cwd=tmp_path).returncode == 0
    a, b = tree(first), tree(second)
    assert a.keys() == b.keys()
    differing = [k for k in a if a[k] != b[k]]
    # Only the recorded blueprint path may differ (it is relative to where the build ran).
    assert all(b"checkout.yaml" in a[k] for k in differing)


@pytest.mark.parametrize("name", sorted(p.name for p in BAD.iterdir()))
def test_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path, name):
    out = tmp_path / "out"
    result = run("build", str(BAD / name), "-o", str(out))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(str(BAD / name))
    assert len(result.stderr.strip().splitlines()) == 1
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_missing_file_and_usage_errors_exit_2(tmp_path):
    result = run("check", str(tmp_path / "nope.yaml"))
    assert result.returncode == 2 and "no such file" in result.stderr
    assert run("build", str(EXAMPLE)).returncode == 2          # -o missing
    assert run("explain", "TG999").returncode == 2


def test_error_findings_exit_1_and_block_emission(tmp_path):
    text = EXAMPLE.read_text().replace("api_key: ${env:HONEYCOMB_API_KEY}", "api_key: hc-live-0123456789abcdef")
    blueprint = tmp_path / "leaky.yaml"
    blueprint.write_text(text)
    out = tmp_path / "out"
    result = run("build", str(blueprint), "-o", str(out))
    assert result.returncode == 1
    assert "TG503" in result.stderr and not out.exists()
    assert "hc-live-0123456789abcdef" not in result.stderr + result.stdout


def test_warnings_block_only_with_strict(tmp_path):
    text = EXAMPLE.read_text().replace("oncall: \"pagerduty:logistics\"", "oncall: null")
    blueprint = tmp_path / "no-oncall.yaml"
    blueprint.write_text(text)
    assert run("check", str(blueprint)).returncode == 0
    strict = run("check", "--strict", str(blueprint))
    assert strict.returncode == 1 and "TG602" in strict.stdout


def test_findings_formats(tmp_path):
    text = EXAMPLE.read_text().replace("oncall: \"pagerduty:logistics\"", "oncall: null")
    blueprint = tmp_path / "no-oncall.yaml"
    blueprint.write_text(text)
    as_json = json.loads(run("check", "--format", "json", str(blueprint)).stdout)
    assert any(f["code"] == "TG602" and f["line"] for f in as_json)
    sarif = json.loads(run("check", "--format", "sarif", str(blueprint)).stdout)
    assert sarif["version"] == "2.1.0"


def test_hand_edited_output_is_not_overwritten_without_force(tmp_path):
    out = tmp_path / "out"
    assert run("build", str(EXAMPLE), "-o", str(out)).returncode == 0
    manifest = json.loads((out / "tracegen-manifest.json").read_text())
    edited = out / manifest["artifacts"][0]["path"]
    edited.write_text(edited.read_text() + "# my local tweak\n")
    result = run("build", str(EXAMPLE), "-o", str(out))
    assert result.returncode == 3 and "edited by hand" in result.stderr
    assert edited.read_text().endswith("# my local tweak\n")
    assert run("build", str(EXAMPLE), "-o", str(out), "--force").returncode == 0
    assert not edited.read_text().endswith("# my local tweak\n")


def test_building_into_a_foreign_directory_keeps_its_files(tmp_path):
    (tmp_path / "precious.txt").write_text("keep me")
    result = run("build", str(EXAMPLE), "-o", str(tmp_path))
    assert result.returncode == 0 and (tmp_path / "precious.txt").read_text() == "keep me"
    assert "precious.txt" not in (tmp_path / "tracegen-manifest.json").read_text()


def test_unwritable_output_exits_3_and_leaves_nothing_behind(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")          # works as root too, unlike permission bits
    result = run("build", str(EXAMPLE), "-o", str(blocker / "out"))
    assert result.returncode == 3 and "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not-a-dir"]


def test_failed_rebuild_keeps_the_previous_output(tmp_path):
    out = tmp_path / "out"
    assert run("build", str(EXAMPLE), "-o", str(out)).returncode == 0
    before = tree(out)
    broken = tmp_path / "broken.yaml"
    broken.write_text(EXAMPLE.read_text().replace("language: go", "language: cobol"))
    assert run("build", str(broken), "-o", str(out)).returncode == 2
    assert tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.yaml", "out"]


def test_output_path_that_is_a_file_exits_3(tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    result = run("build", str(EXAMPLE), "-o", str(target))
    assert result.returncode == 3 and target.read_text() == "x"


def test_explain_prints_rule_documentation():
    listing = run("explain")
    assert listing.returncode == 0 and "TG101" in listing.stdout
    doc = run("explain", "TG101")
    assert doc.returncode == 0 and "Bad" in doc.stdout and "Good" in doc.stdout


def test_schema_is_json_schema_that_accepts_the_examples():
    import jsonschema
    import yaml

    schema = json.loads(run("schema").stdout)
    for example in sorted((ROOT / "blueprints").glob("*.yaml")):
        jsonschema.validate(yaml.safe_load(example.read_text()), schema)


def test_init_writes_a_blueprint_that_checks_clean(tmp_path):
    assert run("init", "bp.yaml", cwd=tmp_path).returncode == 0
    assert run("check", "--strict", str(tmp_path / "bp.yaml")).returncode == 0
    assert run("init", "bp.yaml", cwd=tmp_path).returncode == 3


def test_secrets_never_reach_output(tmp_path):
    out = tmp_path / "out"
    result = run("build", str(EXAMPLE), "-o", str(out), env={"HONEYCOMB_API_KEY": "hc-secret-value-42"})
    assert result.returncode == 0
    for content in tree(out).values():
        assert b"hc-secret-value-42" not in content
    assert any(b"${env:HONEYCOMB_API_KEY}" in c for c in tree(out).values())


# ------------------------------------------------------------------ error paths for machines
@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_check_prints_a_failure_document_on_exit_2(tmp_path, fmt):
    bad = BAD / "old-collector.yaml"
    result = run("check", "--format", fmt, str(bad))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    doc = json.loads(result.stdout)
    if fmt == "json":
        (problem,) = doc["error"]["problems"]
        assert doc["error"]["exit_code"] == 2 and problem["file"] == str(bad)
        assert problem["line"] == 22 and problem["column"] == 3 and "0.100.0" in problem["message"]
    else:
        (invocation,) = doc["runs"][0]["invocations"]
        assert invocation["executionSuccessful"] is False and invocation["exitCode"] == 2
        (note,) = invocation["toolExecutionNotifications"]
        assert note["locations"][0]["physicalLocation"]["region"] == {"startLine": 22, "startColumn": 3}
    report = tmp_path / "report.json"
    assert run("check", "--format", fmt, "-o", str(report), str(bad)).returncode == 2
    assert json.loads(report.read_text()) == doc


def test_check_json_document_lists_every_schema_problem(tmp_path):
    blueprint = tmp_path / "bp.yaml"
    blueprint.write_text((ROOT / "blueprints" / "minimal.yaml").read_text()
                         .replace("language: python", "language: cobol").replace("peak_rps: 50", "peak_rps: -1"))
    doc = json.loads(run("check", "--format", "json", str(blueprint)).stdout)
    assert [p["line"] for p in doc["error"]["problems"]] == [8, 12]


def test_a_fifo_directory_or_device_as_blueprint_exits_2_without_hanging(tmp_path):
    fifo = tmp_path / "bp.yaml"
    os.mkfifo(fifo)
    for path in (fifo, tmp_path, Path("/dev/zero")):
        for command in (["check"], ["build", "-o", str(tmp_path / "out")]):
            result = subprocess.run([sys.executable, "-m", "tracegen", command[0], str(path), *command[1:]],
                                    capture_output=True, text=True, timeout=30)
            assert result.returncode == 2 and result.stderr.startswith(f"{path}: is a")
            assert len(result.stderr.splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_every_error_class_maps_to_an_exit_code():
    import importlib
    import pkgutil

    import tracegen
    from tracegen.cli import EXIT_CODES
    from tracegen.errors import TracegenError

    for module in pkgutil.walk_packages(tracegen.__path__, "tracegen."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    classes, todo = [], [TracegenError]
    while todo:
        cls = todo.pop()
        classes.append(cls)
        todo.extend(cls.__subclasses__())
    unmapped = [c.__qualname__ for c in classes[1:] if not any(issubclass(c, kind) for kind in EXIT_CODES)]
    assert unmapped == []


_WITHOUT_VALIDATE_EXTRA = """
import sys
for name in ("jsonschema", "kubernetes_validate", "ansible", "ansiblelint"):
    sys.modules[name] = None      # as after a plain `pip install tracegen`
from tracegen.cli import main
main(sys.argv[1:], prog_name="tracegen")
"""


def test_validate_without_the_validate_extra_skips_and_names_what_to_install(tmp_path):
    out = tmp_path / "out"
    assert run("build", str(ROOT / "blueprints" / "minimal.yaml"), "-o", str(out)).returncode == 0
    result = subprocess.run([sys.executable, "-c", _WITHOUT_VALIDATE_EXTRA, "validate", str(out), "--only",
                             "kubernetes", "--format", "json"], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PATH": os.path.dirname(sys.executable)})
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["checks"] and all(c["status"] == "skip" for c in doc["checks"])
    assert all("pip install 'tracegen[validate]'" in c["detail"] for c in doc["checks"])
    assert doc["counts"]["skip"] == len(doc["checks"]) and doc["passed"] is True
    strict = subprocess.run([sys.executable, "-c", _WITHOUT_VALIDATE_EXTRA, "validate", str(out), "--only",
                             "kubernetes", "--require-all"], capture_output=True, text=True, timeout=120)
    assert strict.returncode == 1 and "Traceback" not in strict.stderr


def test_validate_refuses_an_unknown_validator_name(tmp_path):
    out = tmp_path / "out"
    assert run("build", str(ROOT / "blueprints" / "minimal.yaml"), "-o", str(out)).returncode == 0
    result = run("validate", str(out), "--only", "kubernets", "--format", "json")
    assert result.returncode == 2 and json.loads(result.stdout)["error"]["exit_code"] == 2


def test_error_messages_escape_control_characters(tmp_path):
    blueprint = tmp_path / "bp.yaml"
    blueprint.write_text((ROOT / "blueprints" / "minimal.yaml").read_text()
                         + '"\\e[2J\\e[31mfake\\u2028line": 1\n')
    result = run("check", str(blueprint))
    assert result.returncode == 2 and "\x1b" not in result.stderr and "\u2028" not in result.stderr
    assert "\\x1b[2J" in result.stderr and len(result.stderr.splitlines()) == 1


def test_an_internal_error_says_so_without_quoting_its_text(monkeypatch):
    from click.testing import CliRunner

    import tracegen.blueprint.loader
    from tracegen.cli import main

    def broken(path):
        raise ValueError("sk_live_do_not_print")

    monkeypatch.setattr(tracegen.blueprint.loader, "load", broken)
    monkeypatch.delenv("TRACEGEN_DEBUG", raising=False)
    result = CliRunner().invoke(main, ["check", "--format", "json", str(EXAMPLE)])
    assert result.exit_code == 70 and "sk_live_do_not_print" not in result.output
    assert "internal error (ValueError)" in result.output


def test_a_usage_error_under_format_json_is_a_failure_document_too():
    result = run("check", "--format", "json", "--no-such-option", str(EXAMPLE))
    assert result.returncode == 2 and "No such option" in result.stderr
    assert json.loads(result.stdout)["error"]["problems"][0]["message"] == "No such option '--no-such-option'."
    missing = run("check", "--format=json")
    assert missing.returncode == 2 and json.loads(missing.stdout)["error"]["exit_code"] == 2
    assert run("check", "--no-such-option", str(EXAMPLE)).stdout == ""


def test_check_never_writes_its_report_over_the_blueprint_or_into_a_fifo(tmp_path):
    blueprint = tmp_path / "bp.yaml"
    shutil.copy(ROOT / "blueprints" / "minimal.yaml", blueprint)
    before = blueprint.read_bytes()
    same = run("check", "bp.yaml", "-o", "bp.yaml", cwd=tmp_path)
    assert same.returncode == 2 and "is the blueprint" in same.stderr
    assert blueprint.read_bytes() == before
    os.mkfifo(tmp_path / "fifo")
    fifo = run("check", "bp.yaml", "-o", "fifo", cwd=tmp_path)      # run() times out rather than hang
    assert fifo.returncode == 3 and "not a regular file" in fifo.stderr


def test_build_refuses_an_empty_output_directory(tmp_path):
    shutil.copy(ROOT / "blueprints" / "minimal.yaml", tmp_path / "bp.yaml")
    result = run("build", "bp.yaml", "-o", "", cwd=tmp_path)
    assert result.returncode == 2 and "--out is empty" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bp.yaml"]


def test_plan_reports_refusals_at_their_positions(tmp_path):
    text = (ROOT / "blueprints" / "minimal.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    data["environments"] = {"prod": {"platform": {"vm": {
        "gateways": ["app-1"], "groups": {"shop": {"hosts": ["app-1"], "services": list(data["services"])}}}}}}
    (tmp_path / "bp.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    result = run("plan", "bp.yaml", cwd=tmp_path)
    assert result.returncode == 2
    assert re.match(r"bp\.yaml:\d+:\d+: TG001 host 'app-1' is both a gateway", result.stderr), result.stderr


def test_every_command_module_is_named_after_its_command():
    """The CLI lists commands by module name without importing them: the name must be the command's."""
    from tracegen import commands

    for name, module in commands.names().items():
        assert commands.load(module).name == name


def test_check_does_not_import_the_other_commands(tmp_path):
    """`tracegen check` pays only for what it runs: no command module (nor verify's HTTP client)."""
    probe = ("import sys\nfrom tracegen.cli import main\n"
             "try:\n    main(['check', sys.argv[1]])\nexcept SystemExit:\n    pass\n"
             "print(sorted(m for m in sys.modules if m.startswith('tracegen.commands.') or m == 'http.client'))")
    blueprint = Path(__file__).resolve().parent.parent / "blueprints" / "minimal.yaml"
    result = subprocess.run([sys.executable, "-c", probe, str(blueprint)], capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_the_console_script_keeps_exit_codes_and_flushes_output(tmp_path):
    """`run` skips the interpreter's teardown (tracegen/cli.py): what the command printed still
    arrives whole and the exit code is the command's."""
    root = Path(__file__).resolve().parent.parent
    ok = subprocess.run([sys.executable, "-m", "tracegen", "explain"], capture_output=True, text=True)
    assert ok.returncode == 0 and ok.stdout.count("\n") > 30 and ok.stdout.endswith("\n")
    bad = subprocess.run([sys.executable, "-m", "tracegen", "check", str(root / "tests/fixtures/bad/duplicate-key.yaml")],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "duplicate key" in bad.stderr and "Traceback" not in bad.stderr


def test_a_reader_that_stops_reading_is_not_an_internal_error(monkeypatch, capsys):
    """`tracegen plan ... | head -1`: the pipe closes early and a write fails with EPIPE; tracegen
    exits 141 quietly (what a shell shows for SIGPIPE), not 70. (A real closed pipe is not
    reproducible here: this sandbox's pipes hold more than any command prints.)"""
    from tracegen.cli import handle_errors

    monkeypatch.setattr(sys, "stdout", sys.stdout)   # restored after the handler swaps it for /dev/null

    @handle_errors
    def printing():
        raise BrokenPipeError(32, "Broken pipe")

    with pytest.raises(SystemExit) as stopped:
        printing()
    assert stopped.value.code == 141 and capsys.readouterr().err == ""
