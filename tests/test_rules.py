"""The standards rules: every rule against its YAML cases (tests/rules/TGxxx.yml, in the style of
sqlfluff's std_rule_cases), the rules' documentation, suppressions, and the example blueprints."""

from __future__ import annotations

import textwrap
from collections import Counter
from pathlib import Path

import pytest
import yaml

from tracegen.blueprint.loader import load, load_text
from tracegen.blueprint.merge import deep_merge
from tracegen.standards.engine import check
from tracegen.standards.finding import Severity
from tracegen.standards.rules import RULES
from tracegen.standards.rules._common import endpoint, is_env_ref, is_loopback

HERE = Path(__file__).parent
FIXTURES = HERE / "rules"
EXAMPLES = sorted((HERE.parent / "blueprints").glob("*.yaml"))

# A blueprint that meets every standard: the base the docstring fragments are merged into.
CLEAN = """\
schema_version: 1
name: shop
services:
  frontend:
    version: 2.3.1
    language: node
    owner: {team: web, oncall: "pagerduty:web"}
    tier: 1
    edge: true
    peak_rps: 100
backends:
  tempo:
    type: tempo
    endpoint: tempo.observability.svc.cluster.local:4317
    retention: {hot_days: 7, cold_days: 30}
sampling:
  head: {edge_rate: 1.0}
  tail:
    decision_wait: 10s
    policies:
      - {name: keep-errors, type: errors}
      - {name: keep-slow, type: latency, threshold_ms: 500}
      - {name: baseline, type: probabilistic, percentage: 10}
environments:
  prod:
    platform:
      kubernetes: {cluster: prod}
"""


def _fixture(code: str) -> dict:
    return yaml.safe_load((FIXTURES / f"{code}.yml").read_text(encoding="utf-8"))


def _cases():
    for path in sorted(FIXTURES.glob("TG*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for case in data["cases"]:
            yield pytest.param(data["rule"], case, id=f"{data['rule']}-{case['name']}")


def _active(text: str, code: str, file: str = "blueprint.yaml"):
    return [f for f in check(load_text(text, file), {code}).findings if not f.suppressed]


# --------------------------------------------------------------------------- fixture cases
@pytest.mark.parametrize("code, case", list(_cases()))
def test_rule_case(code, case):
    findings = _active(case["blueprint"], code, f"{code}.yml")
    got = Counter((f.code, f.line) for f in findings)
    assert got == Counter((e["code"], e["line"]) for e in case["expect"]), \
        "\n".join(f.text() for f in findings) or "no findings"
    positions = {(f.code, f.line, f.column) for f in findings}
    for expected in case["expect"]:
        if "column" in expected:
            assert (expected["code"], expected["line"], expected["column"]) in positions
        if "environment" in expected:
            assert expected["environment"] in {f.environment for f in findings if f.line == expected["line"]}


@pytest.mark.parametrize("code", sorted(RULES))
def test_every_rule_has_passing_and_failing_cases(code):
    path = FIXTURES / f"{code}.yml"
    assert path.is_file(), f"{code} has no fixture file tests/rules/{code}.yml"
    data = _fixture(code)
    assert data["rule"] == code
    assert all({"name", "blueprint", "expect"} <= set(case) for case in data["cases"])
    assert all(e["code"] == code for case in data["cases"] for e in case["expect"])
    assert any(not case["expect"] for case in data["cases"]), "no passing case"
    assert any(case["expect"] for case in data["cases"]), "no failing case"


def test_no_fixture_for_an_unknown_rule():
    assert {path.stem for path in FIXTURES.glob("*.yml")} <= set(RULES)


# --------------------------------------------------------------------------- documentation
def _fragments(doc: str) -> dict[str, str]:
    """The indented YAML block after the line starting `Bad` and after the one starting `Good`."""
    blocks: dict[str, list[str]] = {}
    label = None
    for line in doc.splitlines():
        if line.startswith(("Bad", "Good")):
            label = "Bad" if line.startswith("Bad") else "Good"
            blocks[label] = []
        elif label and (line.startswith("    ") or not line.strip()):
            blocks[label].append(line)
        else:
            label = None
    return {name: textwrap.dedent("\n".join(lines)) for name, lines in blocks.items()}


@pytest.mark.parametrize("code", sorted(RULES))
def test_docstring_is_user_documentation(code):
    rule = RULES[code]
    doc = rule.__doc__ or ""
    assert doc.splitlines()[0] == f"{code} {rule.NAME} ({rule.SEVERITY.value})"
    assert "Bad" in doc and "Good" in doc
    assert isinstance(rule.SEVERITY, Severity)


@pytest.mark.parametrize("code", sorted(RULES))
def test_docstring_fragments_do_what_they_say(code):
    """Merged into a clean blueprint, the Bad fragment trips the rule and the Good one does not."""
    fragments = _fragments(RULES[code].__doc__)
    base = yaml.safe_load(CLEAN)
    for label, expected_hit in (("Bad", True), ("Good", False)):
        merged = deep_merge(base, yaml.safe_load(fragments[label]))
        findings = _active(yaml.safe_dump(merged, sort_keys=False), code)
        assert bool(findings) is expected_hit, f"{label} fragment of {code}: {[f.text() for f in findings]}"


def test_clean_blueprint_meets_every_standard():
    assert [f.text() for f in check(load_text(CLEAN, "clean.yaml")).findings] == []


# --------------------------------------------------------------------------- engine behaviour
SUPPRESSED = CLEAN.replace("    tier: 1\n", "    tier: 1\n    span_attributes: [order.id]\n") + """\
suppress:
  - rule: TG402
    at: services.frontend
    reason: order.id is how support finds a customer's trace; retention is 7 days
"""


def test_suppression_with_a_reason():
    outcome = check(load_text(SUPPRESSED, "suppressed.yaml"))
    (finding,) = outcome.findings
    assert finding.code == "TG402"
    assert finding.suppressed == "order.id is how support finds a customer's trace; retention is 7 days"
    assert outcome.active == [] and outcome.blocking(strict=True) == []


def test_suppression_elsewhere_does_not_hide_the_finding():
    text = SUPPRESSED.replace("at: services.frontend", "at: services.other")
    (finding,) = check(load_text(text, "suppressed.yaml")).findings
    assert finding.code == "TG402" and finding.suppressed is None


def test_same_base_value_in_two_environments_is_reported_once():
    text = CLEAN.replace("edge_rate: 1.0", "edge_rate: 0.9") + "  staging:\n    platform: {local: {}}\n"
    (finding,) = _active(text, "TG301")
    assert finding.line == CLEAN.splitlines().index("  head: {edge_rate: 1.0}") + 1
    assert finding.environment is None


def test_override_of_a_sibling_keeps_base_positions():
    text = CLEAN.replace("edge_rate: 1.0", "edge_rate: 0.9") + (
        "  staging:\n    platform: {local: {}}\n    overrides:\n      sampling: {tail: {decision_wait: 20s}}\n")
    (finding,) = _active(text, "TG301")
    assert finding.line == CLEAN.splitlines().index("  head: {edge_rate: 1.0}") + 1


def test_secret_values_never_appear_in_messages():
    text = CLEAN.replace("    retention: {hot_days: 7, cold_days: 30}\n",
                         "    retention: {hot_days: 7, cold_days: 30}\n    api_key: sk-live-0123456789\n"
                         "    headers: {x-auth: pa55word}\n", 1)
    findings = _active(text, "TG503")
    assert len(findings) == 2
    assert not any("sk-live" in f.message or "pa55word" in f.message for f in findings)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_blueprints_have_no_unsuppressed_errors(path):
    errors = [f.text() for f in check(load(path)).active if f.severity is Severity.ERROR]
    assert errors == []


# --------------------------------------------------------------------------- shared helpers
@pytest.mark.parametrize("text, host, password", [
    ("tempo.internal:4317", "tempo.internal", False),
    ("https://api.honeycomb.io:443", "api.honeycomb.io", False),
    ("http://user:secret@collector:4318/v1/traces", "collector", True),
    ("[::1]:4317", "::1", False),
    ("http://[::1]:4318", "::1", False),
])
def test_endpoint(text, host, password):
    assert endpoint(text).host == host and endpoint(text).has_password is password


@pytest.mark.parametrize("host, loopback", [
    ("localhost", True), ("127.0.0.1", True), ("127.8.9.10", True), ("::1", True),
    ("10.0.0.1", False), ("localhost.example.com", False), ("tempo", False),
])
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback


@pytest.mark.parametrize("value, ok", [
    ("${env:API_KEY}", True), ("${env:key_1}", True), ("${API_KEY}", False), ("x${env:A}", False),
    ("hcaik_123", False), (None, False),
])
def test_is_env_ref(value, ok):
    assert is_env_ref(value) is ok


def test_readme_lists_every_rule():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    for code, rule in RULES.items():
        assert f"| {code} | {rule.SEVERITY.value} | `{rule.NAME}` |" in readme
