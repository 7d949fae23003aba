"""Loading: positions survive into errors, HCL reads as YAML does, overrides merge predictably."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tracegen.blueprint.loader import load, load_text
from tracegen.blueprint.merge import deep_merge
from tracegen.errors import BlueprintError

ROOT = Path(__file__).resolve().parent.parent
MINIMAL = (ROOT / "blueprints" / "minimal.yaml").read_text()


def error_of(text: str, file: str = "bp.yaml") -> BlueprintError:
    with pytest.raises(BlueprintError) as info:
        load_text(textwrap.dedent(text), file)
    return info.value


def test_schema_error_points_at_the_offending_key():
    text = MINIMAL.replace("    language: python\n", "    language: cobol\n")
    error = error_of(text)
    line = text.splitlines().index("    language: cobol") + 1
    assert (error.file, error.line, error.column) == ("bp.yaml", line, 5)
    assert "services.hello.language" in error.message and "'python'" in error.message


def test_unknown_key_is_rejected_with_its_position():
    text = MINIMAL.replace("    peak_rps: 50\n", "    peak_rps: 50\n    colour: red\n")
    error = error_of(text)
    assert error.line == text.splitlines().index("    colour: red") + 1
    assert "unknown key 'colour'" in error.message


def test_missing_key_points_at_the_mapping_that_lacks_it():
    text = MINIMAL.replace("    version: 1.0.0\n", "")
    error = error_of(text)
    assert error.line == text.splitlines().index("  hello:") + 1
    assert "'version' is required" in error.message


def test_error_inside_a_tail_policy_union_points_at_the_policy_field():
    text = MINIMAL.replace("threshold_ms: 1000", "threshold_ms: -5")
    error = error_of(text)
    assert error.line == next(i for i, l in enumerate(text.splitlines(), 1) if "threshold_ms: -5" in l)
    assert "sampling.tail.policies[1].threshold_ms" in error.message


def test_several_schema_errors_are_all_reported_in_file_order():
    text = MINIMAL.replace("language: python", "language: cobol").replace("kubernetes: {cluster: prod}",
                                                                          "kubernetes: {}")
    error = error_of(text)
    lines = str(error).splitlines()
    assert len(lines) == 2 and all(l.startswith("bp.yaml:") for l in lines)


def test_override_errors_point_into_the_environment_override():
    text = MINIMAL + "    overrides:\n      topology:\n        gateway: {replicas: 0}\n"
    error = error_of(text)
    assert error.line == len(text.splitlines())
    assert "topology.gateway.replicas" in error.message


def test_overrides_merge_maps_and_replace_lists():
    base = {"sampling": {"head": {"edge_rate": 0.1}, "tail": {"policies": ["a", "b"], "decision_wait": "5s"}}}
    override = {"sampling": {"tail": {"policies": ["c"]}}}
    assert deep_merge(base, override) == {
        "sampling": {"head": {"edge_rate": 0.1}, "tail": {"policies": ["c"], "decision_wait": "5s"}}}
    assert deep_merge({"a": {"b": 1, "c": 2}}, {"a": {"c": None}}) == {"a": {"b": 1}}


def test_environment_view_applies_overrides_and_keeps_positions():
    loaded = load(ROOT / "blueprints" / "checkout.yaml")
    staging = loaded.environments["staging"].blueprint
    prod = loaded.environments["prod"].blueprint
    assert staging.topology.gateway.replicas == 1 and prod.topology.gateway.replicas == 2
    assert staging.topology.gateway.resources.memory_mib == 1024
    assert staging.topology.derived_metrics.span_metrics  # untouched sections carry over
    text = (ROOT / "blueprints" / "checkout.yaml").read_text().splitlines()
    line, _ = loaded.locate(("topology", "gateway", "replicas"), "staging")
    assert "replicas: 1" in text[line - 1]
    line, _ = loaded.locate(("topology", "gateway", "replicas"), "prod")
    assert "replicas: 2" in text[line - 1]


def test_dangling_reference_is_a_positioned_error():
    text = MINIMAL.replace("    inbound: [http]\n", "    inbound: [http]\n    calls: [nowhere]\n")
    error = error_of(text)
    assert "unknown service 'nowhere'" in error.message
    assert error.line == text.splitlines().index("    calls: [nowhere]") + 1


HCL = '''
schema_version = 1
name = "minimal"

service "hello" {
  version   = "1.0.0"
  language  = "python"
  framework = "flask"
  owner     = { team = "platform", oncall = "pagerduty:platform" }
  edge      = true
  peak_rps  = 50
  inbound   = ["http"]
}

backend "tempo" {
  type      = "tempo"
  endpoint  = "tempo-distributor.tempo.svc.cluster.local:4317"
  retention = { hot_days = 7, cold_days = 30 }
}

sampling {
  tail {
    policy {
      name = "keep-errors"
      type = "errors"
    }
    policy {
      name         = "keep-slow"
      type         = "latency"
      threshold_ms = 1000
    }
    policy {
      name       = "baseline"
      type       = "probabilistic"
      percentage = 10
    }
  }
}

environment "prod" {
  platform {
    kubernetes {
      cluster = "prod"
    }
  }
}
'''


def test_hcl_reads_into_the_same_blueprint_as_yaml():
    from_hcl = load_text(HCL, "minimal.hcl").blueprint
    from_yaml = load_text(MINIMAL, "minimal.yaml").blueprint
    assert from_hcl == from_yaml


def test_hcl_errors_carry_file_and_line():
    error = error_of(HCL.replace('language  = "python"', 'language  = "cobol"'), "bp.hcl")
    assert error.file == "bp.hcl" and error.line == 7
    syntax = error_of('name = "x"\nservice "a" {\n  version = \n', "bp.hcl")
    assert syntax.file == "bp.hcl" and syntax.line is not None and "invalid HCL" in syntax.message


def test_hcl_secret_reference_uses_the_hcl_escape():
    text = HCL.replace('type      = "tempo"', 'type      = "tempo"\n  api_key = "$${env:TEMPO_TOKEN}"')
    backend = load_text(text, "bp.hcl").blueprint.backends["tempo"]
    assert backend.api_key == "${env:TEMPO_TOKEN}"


BAD = ROOT / "tests" / "fixtures" / "bad"


@pytest.mark.parametrize("name, needle, positioned", [
    ("invalid-syntax.yaml", "invalid YAML", True),
    ("duplicate-key.yaml", "duplicate key 'name'", True),
    ("alias-bomb.yaml", "alias bomb", True),
    ("binary-junk.yaml", "binary data", False),
    ("empty.yaml", "empty", False),
    ("comments-only.yaml", "empty", False),
    ("list-at-top.yaml", "must be a mapping", True),
    ("python-tag.yaml", "not allowed", True),
    ("not-utf8.yaml", "not UTF-8", True),
    ("list-for-mapping.yaml", "services: Input should be a valid dictionary", True),
])
def test_bad_input_is_one_clear_line(name, needle, positioned):
    with pytest.raises(BlueprintError) as info:
        load(BAD / name)
    text = str(info.value)
    assert needle in text
    assert text.startswith(str(BAD / name))
    assert (info.value.line is not None) == positioned
    assert "\n" not in text
