"""Hostile text reaching tracegen's own tools rather than the generated files: `tracegen lint` and
`tracegen check` reports (a collector config's keys and a file's name quoted in a terminal),
`tracegen import` (a hostile collector config drafted into a blueprint), `tracegen migrate
advance` (editing a blueprint in place whose other values are hostile) and the migration
runbook's shell commands (the blueprint's file name quoted for the shell)."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

import injection_consumers as consumers
from tracegen.blueprint.loader import load
from tracegen.cli import main
from tracegen.encoding.text import terminal_line, unsafe_characters
from tracegen.plan.builder import build_plan
from tracegen.targets import build_all

HERE = Path(__file__).parent
PAYLOADS: dict[str, str] = yaml.safe_load((HERE / "corpus.yaml").read_text())["payloads"]
TEXT_PAYLOADS = {n: p for n, p in PAYLOADS.items() if not unsafe_characters(p)}   # the rest are refused
FORGED = "x\nforged.yaml:1:1: error TL999 a line of its own"
SECRETS = ("supersecretvalue123", "abcdefsecret456")


def hostile_config() -> dict:
    """A collector config with every payload in names, values, headers, policies and a key."""
    values = list(PAYLOADS.values())
    evil = "otlp/evil\x1b[2J\x1b[31m"
    forged = f"otlp/{FORGED}"
    return {
        "receivers": {"otlp": {"protocols": {"grpc": {"endpoint": "0.0.0.0:4317"}}}},
        "processors": {
            "memory_limiter": {"check_interval": "1s", "limit_percentage": 80},
            "resource": {"attributes": [{"key": f"note.{i}", "value": v, "action": "insert"}
                                        for i, v in enumerate(values)]},
            "tail_sampling": {"policies": [
                {"name": PAYLOADS["yaml_indicator"], "type": "string_attribute",
                 "string_attribute": {"key": "tier", "values": values}},
                {"name": "o", "type": "ottl_condition", "ottl_condition": {"span": [PAYLOADS["double_quote"]]}}]}},
        "exporters": {
            "otlphttp/vendor": {"endpoint": "https://otlp.example.net\n  injected: true",
                                "headers": {"x-api-key": SECRETS[0], "authorization": f"Bearer {SECRETS[1]}",
                                            "x-tenant": PAYLOADS["jinja"]}},
            evil: {"endpoint": "tempo:4317", "tls": {"ca_file": PAYLOADS["command_substitution"]}},
            forged: {"endpoint": "tempo:4317"}},
        "service": {"pipelines": {"traces": {"receivers": ["otlp"],
                                             "processors": ["memory_limiter", "resource", "tail_sampling"],
                                             "exporters": ["otlphttp/vendor", evil, forged]}}},
    }


def write_config(tmp_path: Path, name: str = "collector.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(hostile_config(), allow_unicode=False, width=10_000))
    return path


def report_lines_are_safe(output: str, source: str, fmt: str = "text") -> None:
    assert "\x1b" not in output and "\x07" not in output
    assert not consumers.unsafe_in(output)
    for secret in SECRETS:
        assert secret not in output
    if fmt != "text":
        json.loads(output)   # one document: the hostile keys are JSON strings in it
        return
    for line in output.splitlines():
        assert "TL999" not in line or line.startswith(source), f"a forged report line: {line!r}"


# ------------------------------------------------------------------ terminal reports
@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_lint_report_shows_hostile_keys_without_acting_on_them(tmp_path, fmt):
    path = write_config(tmp_path)
    result = CliRunner().invoke(main, ["lint", "--format", fmt, str(path)], color=True)   # ANSI kept, as a tty
    assert result.exit_code in (0, 1), result.output
    report_lines_are_safe(result.output, str(path), fmt)
    if fmt == "text":
        assert "otlp/evil\\x1b[2J\\x1b[31m" in result.output   # shown escaped, not dropped
        assert "\\x0aforged.yaml:1:1: error TL999" in result.output


def test_a_file_name_cannot_forge_a_report_line(tmp_path):
    path = write_config(tmp_path, "c\nforged.yaml:1:1: error TL999 x\x1b[31m.yaml")
    result = CliRunner().invoke(main, ["lint", str(path)], color=True)
    assert result.exit_code in (0, 1), result.output
    lines = result.output.splitlines()
    assert len(lines) > 1 and all(line.startswith(terminal_line(str(path)) + ":") for line in lines[:-1]), lines
    assert "c\\x0aforged.yaml:1:1: error TL999 x\\x1b[31m.yaml:" in lines[0]
    assert "\x1b" not in result.output


def test_check_names_a_hostile_file_on_one_line(tmp_path):
    path = tmp_path / "bp\nforged.yaml:1:1: x\x1b[2J.yaml"
    path.write_text("schema_version: 1\nname: [\n")
    result = CliRunner().invoke(main, ["check", str(path)], color=True)
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert "\x1b" not in result.output


# ------------------------------------------------------------------ import
def test_import_drafts_a_hostile_config_as_data(tmp_path):
    path = write_config(tmp_path)
    out = tmp_path / "draft.yaml"
    result = CliRunner().invoke(main, ["import", str(path), "-o", str(out)], color=True)
    assert result.exit_code == 0, result.output
    report_lines_are_safe(result.output, str(out))
    text = out.read_text()
    assert not consumers.unsafe_in(text)
    for secret in SECRETS:
        assert secret not in text
    draft = yaml.safe_load(text)   # one document; a value never became a key, a comment or structure
    assert draft["schema_version"] == 1 and "injected" not in str(draft)
    comments = [line.strip() for line in text.splitlines() if line.strip().startswith("#")]
    assert all(c.startswith(("# tracegen import: ", "# yaml-language-server:", "# A draft", "# Review"))
               for c in comments), comments
    # The exporter's ca_file is kept as data, unchanged.
    tls = [b.get("tls", {}) for b in draft["backends"].values()]
    assert {"ca_file": PAYLOADS["command_substitution"]} in tls, tls
    # tracegen check judges it: a positioned refusal or findings, never a crash.
    checked = CliRunner().invoke(main, ["check", str(out)], color=True)
    assert checked.exit_code in (0, 1, 2), checked.output
    assert "Traceback" not in checked.output and "\x1b" not in checked.output


# ------------------------------------------------------------------ migrate advance / rollback
BLUEPRINT = (HERE / "base.yaml").read_text()


def _with_owner(team: str, oncall: str, style: str) -> str:
    """base.yaml with the migration's owner written in a YAML style of its own (the in-place edit
    finds the phase line by position, whatever the lines around it hold)."""
    head, _, tail = BLUEPRINT.partition("migrations:\n")
    _, _, rest = tail.partition("suppress:")
    quoted_team, quoted_oncall = (yaml.safe_dump(v, allow_unicode=False, width=10_000, default_style='"')
                                  .strip() for v in (team, oncall))
    if style == "flow":
        owner = f"    owner: {{team: {quoted_team}, oncall: {quoted_oncall}}}\n"
    else:   # a double-quoted scalar folded over lines that look like keys of the migration
        owner = ('    owner:\n      team: "phase: done\n        phase: cutover\n        ' + quoted_team[1:]
                 + f"\n      oncall: {quoted_oncall}\n")
    migration = ("migrations:\n  - name: tempo-to-vendor\n    from: tempo\n    to: vendor\n"
                 "    # phase: cutover (a comment the edit must leave alone)\n" + owner
                 + "    phase: dual-write   # kept\n")
    return head + migration + "suppress:" + rest


@pytest.mark.parametrize("style", ["flow", "block"])
def test_migrate_advance_edits_only_the_phase_line(tmp_path, style):
    for name, payload in TEXT_PAYLOADS.items():
        path = tmp_path / "inject.yaml"
        before = _with_owner(payload, payload, style)
        path.write_text(before)
        loaded = load(path)
        result = CliRunner().invoke(main, ["migrate", "advance", str(path), "-o", str(tmp_path / "out")])
        assert result.exit_code == 0, (name, result.output)
        after = path.read_text()
        changed = [(a, b) for a, b in zip(before.splitlines(), after.splitlines()) if a != b]
        assert len(before.splitlines()) == len(after.splitlines()) and changed == [
            ("    phase: dual-write   # kept", "    phase: verify   # kept")], (name, changed)
        again = load(path)
        assert again.blueprint.migrations[0].phase == "verify"
        assert again.blueprint.migrations[0].owner == loaded.blueprint.migrations[0].owner, name
        result = CliRunner().invoke(main, ["migrate", "rollback", str(path), "-o", str(tmp_path / "out")])
        assert result.exit_code == 0, (name, result.output)
        assert path.read_text() == before, name


# ------------------------------------------------------------------ the migration runbook's commands
@pytest.mark.parametrize("source", ["my blueprints/in ject.yaml", "$(id)`id`;x.yaml", "it's \"a\" $HOME.yaml",
                                    "-rf *.yaml"])
def test_runbook_commands_quote_the_blueprint_file_for_the_shell(tmp_path, source):
    path = tmp_path / "inject.yaml"
    path.write_text(BLUEPRINT)
    runbook = next(a.content for a in build_all(build_plan(load(path), source)) if a.path.startswith("migrations/"))
    blocks = re.findall(r"```sh\n(.*?)```", runbook, re.S)
    assert blocks
    for block in blocks:
        checked = subprocess.run(["sh", "-n"], input=block, capture_output=True, text=True, timeout=30)
        assert checked.returncode == 0, checked.stderr
        for line in block.splitlines():
            words = shlex.split(line, comments=True)
            if words[:2] == ["tracegen", "migrate"]:
                assert words[3] == source and words[4] == "--migration", words


# ------------------------------------------------------------------ tracegen diff
def test_diff_shows_hostile_keys_on_one_line_and_no_secret(tmp_path):
    old, new = tmp_path / "old", tmp_path / "new"
    built = CliRunner().invoke(main, ["build", str(HERE.parents[1] / "blueprints" / "minimal.yaml"), "-o", str(old)])
    assert built.exit_code == 0, built.output
    shutil.copytree(old, new)
    gateway = next(new.glob("*/collector/gateway.yaml"))
    config = yaml.safe_load(gateway.read_text())
    key = f"otlp_http/{FORGED}\x1b[2J"
    config["exporters"][key] = {"endpoint": "https://y\x1b[31m",
                                "headers": {"authorization": f"Bearer {SECRETS[1]}", "x-api-key": SECRETS[0]}}
    gateway.write_text(yaml.safe_dump(config))
    result = CliRunner().invoke(main, ["diff", str(old), str(new)], color=True)
    assert result.exit_code in (0, 1), result.output
    assert "\x1b" not in result.output and not consumers.unsafe_in(result.output)
    assert not any(secret in result.output for secret in SECRETS)
    assert not any(line.startswith("forged.yaml") for line in result.output.splitlines()), result.output
    assert "\\x0aforged.yaml:1:1: error TL999" in result.output
