"""Reports of standards findings: text for people, JSON for scripts, SARIF 2.1.0 for code scanning
(validated against the official schema, see tests/fixtures/sarif/README.md)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

import tracegen
from tracegen.blueprint.loader import load, load_text
from tracegen.standards.engine import check
from tracegen.standards.finding import Finding, Severity
from tracegen.standards.report import render, summary
from tracegen.standards.rules import RULES

HERE = Path(__file__).parent
SCHEMA = json.loads((HERE / "fixtures" / "sarif" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
EXAMPLES = sorted((HERE.parent / "blueprints").glob("*.yaml"))

BLUEPRINT = """\
schema_version: 1
name: shop
standards:
  sanitize_sql: false
services:
  api:
    version: latest
    language: go
    datastores: [postgres]
    span_attributes: [user_id]
backends:
  tempo: {type: tempo, endpoint: "tempo.internal:4317", retention: {hot_days: 7, cold_days: 30}}
sampling:
  tail:
    policies:
      - {name: keep-errors, type: errors}
      - {name: keep-slow, type: latency, threshold_ms: 500}
      - {name: baseline, type: probabilistic, percentage: 10}
environments:
  prod: {platform: {local: {}}}
suppress:
  - rule: TG203
    at: services.api
    reason: the demo image is rebuilt from main on purpose
"""


def _findings(file: str = "blueprints/shop.yaml") -> list[Finding]:
    return check(load_text(BLUEPRINT, file)).findings


def _finding(code: str, severity: Severity, line: int | None = 3, suppressed: str | None = None) -> Finding:
    return Finding(code=code, name=RULES[code].NAME, severity=severity, message=f"{code} says what to do",
                   file="bp.yaml", line=line, column=5 if line else None, path=("services", "api"),
                   suppressed=suppressed)


def _validate(report: str) -> dict:
    data = json.loads(report)
    jsonschema.Draft4Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(data)
    return data


# --------------------------------------------------------------------------- text
def test_text_is_one_line_per_finding_then_a_summary():
    findings = _findings()
    lines = render(findings, "text").splitlines()
    assert lines[:-1] == [f.text() for f in findings if not f.suppressed]
    assert lines[-1] == "1 error, 2 warnings (1 suppressed)"
    assert lines[0].startswith("blueprints/shop.yaml:4:3: error TG403 ")


@pytest.mark.parametrize("findings, expected", [
    ([], "0 errors, 0 warnings"),
    ([_finding("TG301", Severity.ERROR)], "1 error, 0 warnings"),
    ([_finding("TG301", Severity.ERROR), _finding("TG302", Severity.ERROR),
      _finding("TG305", Severity.WARNING)], "2 errors, 1 warning"),
    ([_finding("TG305", Severity.WARNING, suppressed="a reason long enough"),
      _finding("TG101", Severity.INFO)], "0 errors, 0 warnings, 1 info (1 suppressed)"),
])
def test_summary(findings, expected):
    assert summary(findings) == expected


def test_unknown_format_is_refused():
    with pytest.raises(ValueError, match="unknown report format"):
        render([], "xml")


# --------------------------------------------------------------------------- json
def test_json_lists_every_finding_with_its_position_and_suppression():
    records = json.loads(render(_findings(), "json"))
    by_code = {record["code"]: record for record in records}
    assert set(by_code) == {"TG203", "TG402", "TG403", "TG601"}
    assert by_code["TG403"] == {
        "code": "TG403", "name": "privacy.sql-not-sanitised", "severity": "error",
        "message": by_code["TG403"]["message"], "file": "blueprints/shop.yaml", "line": 4, "column": 3,
        "path": "standards.sanitize_sql", "environment": "prod", "suppressed": None}
    assert by_code["TG402"]["path"] == "services.api.span_attributes[0]"
    assert by_code["TG203"]["suppressed"] == "the demo image is rebuilt from main on purpose"


# --------------------------------------------------------------------------- sarif
def test_sarif_is_valid_and_describes_every_rule():
    data = _validate(render(_findings(), "sarif"))
    assert data["version"] == "2.1.0" and data["$schema"].endswith("sarif-schema-2.1.0.json")
    driver = data["runs"][0]["tool"]["driver"]
    assert driver["name"] == "tracegen" and driver["version"] == tracegen.__version__
    assert [rule["id"] for rule in driver["rules"]] == sorted(RULES)
    for descriptor in driver["rules"]:
        rule = RULES[descriptor["id"]]
        assert descriptor["name"] == rule.NAME
        assert descriptor["help"]["text"] == rule.__doc__.strip()
        assert descriptor["fullDescription"]["text"] in " ".join(rule.__doc__.split())
        assert descriptor["shortDescription"]["text"]
        assert descriptor["help"]["markdown"].count("```yaml") == 2  # the Bad and the Good fragment
        assert descriptor["defaultConfiguration"]["level"] == {"error": "error", "warning": "warning", "info": "note"}[
            rule.SEVERITY.value]


def test_sarif_results_point_at_the_blueprint():
    data = _validate(render(_findings(), "sarif"))
    run = data["runs"][0]
    results = {result["ruleId"]: result for result in run["results"]}
    sql = results["TG403"]
    assert sql["level"] == "error"
    assert sql["message"]["text"].endswith("[prod]")
    assert sql["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "blueprints/shop.yaml"}, "region": {"startLine": 4, "startColumn": 3}}
    assert results["TG402"]["level"] == "warning"
    assert run["tool"]["driver"]["rules"][sql["ruleIndex"]]["id"] == "TG403"
    assert "suppressions" not in sql
    assert results["TG203"]["suppressions"] == [
        {"kind": "inSource", "justification": "the demo image is rebuilt from main on purpose"}]


def test_sarif_uri_is_relative_even_for_an_absolute_path(tmp_path, monkeypatch):
    (tmp_path / "my blueprints").mkdir()
    path = tmp_path / "my blueprints" / "shop.yaml"
    path.write_text(BLUEPRINT, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    data = _validate(render(check(load(path)).findings, "sarif"))
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in data["runs"][0]["results"]}
    assert uris == {"my%20blueprints/shop.yaml"}


def test_sarif_without_a_line_has_no_region_and_info_is_a_note():
    data = _validate(render([_finding("TG101", Severity.INFO, line=None)], "sarif"))
    (result,) = data["runs"][0]["results"]
    assert result["level"] == "note"
    assert "region" not in result["locations"][0]["physicalLocation"]


def test_sarif_with_no_findings_is_valid():
    data = _validate(render([], "sarif"))
    assert data["runs"][0]["results"] == []


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_sarif_of_the_examples_is_valid(path):
    _validate(render(check(load(path)).findings, "sarif"))
