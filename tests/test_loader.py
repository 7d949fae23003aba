"""Loading: positions survive into errors, HCL reads as YAML does, overrides merge predictably."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

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


@pytest.mark.parametrize("name", ["checkout", "vm-fleet", "minimal"])
def test_environment_view_is_the_merged_blueprint_validated_whole(name):
    """Only overridden sections are validated again per environment: the result is what validating
    the whole merged blueprint gives."""
    from tracegen.blueprint.model import Blueprint

    loaded = load(ROOT / "blueprints" / f"{name}.yaml")
    for env, view in loaded.environments.items():
        overrides = loaded.raw["environments"][env].get("overrides") or {}
        assert view.blueprint == Blueprint.model_validate(deep_merge(loaded.raw, overrides))


def test_errors_in_two_overridden_sections_are_all_reported_and_null_restores_a_default():
    text = MINIMAL + ("    overrides:\n      topology:\n        gateway: {replicas: 0}\n"
                      "      sampling:\n        head: {edge_rate: 7}\n")
    error = error_of(text)
    messages = [error.message] + [more.message for more in error.more]
    assert any("topology.gateway.replicas" in m for m in messages)
    assert any("sampling.head.edge_rate" in m for m in messages)
    loaded = load_text(MINIMAL + "    overrides:\n      sampling: null\n", "bp.yaml")
    (view,) = loaded.environments.values()
    assert [p.name for p in loaded.blueprint.sampling.tail.policies] == ["keep-errors", "keep-slow", "baseline"]
    assert view.blueprint.sampling == type(view.blueprint.sampling)()   # the section's default


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
    ("deep-nesting.yaml", "nest deeper than 40 levels", True),
    ("deep-nesting.hcl", "nest deeper than 40 levels", True),
    ("duplicate-attribute.hcl", "'name' is given twice (first at line 2)", True),
    ("duplicate-block.hcl", 'duplicate service block "a"', True),
    ("expression.hcl", "expressions are not supported", True),
    ("interpolation.hcl", "interpolation ${...} is not supported", True),
    ("unterminated-secret.hcl", "not closed", True),
    ("bare-secret.hcl", "expressions are not supported", True),
    ("undefined-alias-secret.yaml", "undefined alias (text withheld)", True),
    ("old-collector.yaml", "collector 0.100.0 is older than", True),
    ("unquoted-version-number.yaml", "1.10 reads as a number; write it in quotes", True),
])
def test_bad_input_is_one_clear_line(name, needle, positioned):
    with pytest.raises(BlueprintError) as info:
        load(BAD / name)
    text = str(info.value)
    assert needle in text
    assert text.startswith(str(BAD / name))
    assert (info.value.line is not None) == positioned
    assert "\n" not in text
    assert "DO_NOT_PRINT" not in text          # parse errors name the token kind, never the text


# ------------------------------------------------------------------ YAML 1.2 core schema
def test_yaml_reads_by_the_1_2_core_schema_not_1_1():
    from tracegen.blueprint.source import parse_yaml

    data, _ = parse_yaml("v: [NO, yes, on, Off, y, 017, 0o17, 0x1F, 1_000, 2026-01-01, 1e3, .inf, ~, true, False]\n",
                         "bp.yaml")
    assert data["v"] == ["NO", "yes", "on", "Off", "y", 17, 15, 31, "1_000", "2026-01-01", 1000.0,
                         float("inf"), None, True, False]


def test_country_codes_stay_text_in_an_attribute_policy():
    text = MINIMAL.replace("      - {name: baseline, type: probabilistic, percentage: 10}\n",
                           "      - {name: baseline, type: probabilistic, percentage: 10}\n"
                           "      - {name: nordics, type: attribute, key: country, values: [NO, SE, DK]}\n")
    policy = load_text(text, "bp.yaml").blueprint.sampling.tail.policies[-1]
    assert policy.values == ["NO", "SE", "DK"]


def test_a_number_that_loses_its_written_form_in_match_values_is_refused():
    line = "      - {name: v, type: attribute, key: app.version, values: [1.10, \"2.0\", 3]}"
    text = MINIMAL.replace("      - {name: baseline, type: probabilistic, percentage: 10}\n",
                           "      - {name: baseline, type: probabilistic, percentage: 10}\n" + line + "\n")
    error = error_of(text)
    assert "1.10 reads as the number 1.1" in error.message and "quotes" in error.message
    assert (error.line, error.column) == (text.splitlines().index(line) + 1, line.index("1.10") + 1)


def test_a_number_where_text_belongs_asks_for_quotes_inside_an_override_too():
    text = MINIMAL + "    overrides:\n      backends:\n        tempo: {dataset: 2.10}\n"
    error = error_of(text)
    assert error.line == len(text.splitlines())
    assert "backends.tempo.dataset: 2.10 reads as a number; write it in quotes" in error.message


def test_a_long_number_is_not_echoed_in_the_message():
    text = MINIMAL.replace("    version: 1.0.0\n", "    version: 31415926535897932\n")
    error = error_of(text)
    assert "31415926535897932" not in str(error) and "the value reads as a number" in error.message


def test_yaml_parse_errors_keep_one_character_and_token_kinds_but_withhold_text():
    from tracegen.blueprint.source import redact

    assert redact("found undefined alias 'sk_live_123'") == "found undefined alias (text withheld)"
    assert redact("found character '\\t' that cannot start any token") == \
        "found character '\\t' that cannot start any token"
    assert redact("expected ',' or ']', but got '<block end>'") == "expected ',' or ']', but got '<block end>'"
    assert "sk_secret" not in str(error_of("a: !sk_secret x\n"))


def test_yaml_nesting_is_refused_at_the_limit_not_by_recursion():
    from tracegen.blueprint.source import MAX_DEPTH

    fits = "a: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n"
    from tracegen.blueprint.source import parse_yaml

    parse_yaml(fits, "bp.yaml")
    for deep in ("a: " + "[" * 5000 + "]" * 5000 + "\n", "a: " + "{b: " * 3000 + "1" + "}" * 3000 + "\n",
                 "".join("  " * i + f"k{i}:\n" for i in range(600)) + "  " * 600 + "x: 1\n"):
        error = error_of(deep)
        assert f"deeper than {MAX_DEPTH} levels" in error.message and error.line is not None


def _parse_both(text: str):
    """The libyaml paths and the pure-Python path of parse_yaml, on the same text: libyaml's events
    straight to data (or, for what that path declines, libyaml under the Python composer) against
    pure Python; the composer path is held to the same answer."""
    from tracegen.blueprint import source

    assert source._FastYamlLoader is not None, "PyYAML is installed with libyaml here"
    fast = source.parse_yaml(text, "bp.yaml")
    composed = source.parse_yaml(text, "bp.yaml", paths="composer")
    slow = source.parse_yaml(text, "bp.yaml", paths="python")
    assert composed[0] == slow[0] and composed[1].positions == slow[1].positions
    assert composed[1].texts == slow[1].texts
    return fast, slow


@pytest.mark.parametrize("name", ["minimal", "checkout", "vm-fleet"])
def test_libyaml_and_pure_python_parsing_agree_on_data_positions_and_written_numbers(name):
    (data, fast), (expected, slow) = _parse_both((ROOT / "blueprints" / f"{name}.yaml").read_text())
    assert data == expected
    assert fast.positions == slow.positions and fast.texts == slow.texts


def test_libyaml_path_keeps_plain_and_quoted_scalars_apart():
    text = textwrap.dedent("""\
        plain: [1.10, 017, 0x1F, NO, ~, true, .inf]
        quoted: ['1.10', "017", 'true']
        flow: {a: 1, b: [x, "y"]}
        block: |
          two
          lines
        anchored: &a {k: 1}
        again: *a
        """)
    (data, fast), (expected, slow) = _parse_both(text)
    assert data == expected and fast.positions == slow.positions and fast.texts == slow.texts
    assert fast.texts[("plain", 0)] == "1.10" and ("quoted", 0) not in fast.texts
    assert data["plain"][1] == 17 and data["plain"][3] == "NO" and data["quoted"][1] == "017"


def test_a_large_document_without_aliases_is_not_taken_for_an_alias_bomb():
    """Ten thousand services are some 200,000 values: the limit grows with the text, which aliases
    cannot (the alias-bomb case above stays refused)."""
    from tracegen.blueprint.source import MAX_NODES, parse_yaml

    count = MAX_NODES + 10_000
    data, _ = parse_yaml("values: [" + "1," * (count - 1) + "1]\n", "bp.yaml")
    assert len(data["values"]) == count


def test_libyaml_path_enforces_the_nesting_limit_itself():
    from tracegen.blueprint import source

    for deep in ("a: " + "[" * 5000 + "]" * 5000 + "\n", "".join("  " * i + f"k{i}:\n" for i in range(600))
                 + "  " * 600 + "x: 1\n"):
        # The composer's limit, or libyaml's own (PyYAML 6.0.4's libyaml stops flow nesting at 1,000
        # levels while scanning): either way the fast path refuses, never recursing without bound ...
        with pytest.raises((BlueprintError, yaml.YAMLError)) as refused:
            source._compose_with(source._FastYamlLoader, deep, "bp.yaml")
        if isinstance(refused.value, BlueprintError):
            assert f"deeper than {source.MAX_DEPTH} levels" in str(refused.value)
        # ... and what a user sees is tracegen's one positioned message, from the pure-Python reparse.
        with pytest.raises(BlueprintError, match=f"deeper than {source.MAX_DEPTH} levels"):
            source.parse_yaml(deep, "bp.yaml")


# ------------------------------------------------------------------ HCL
def test_hcl_duplicate_attribute_inside_a_block_is_refused_with_both_lines():
    text = HCL.replace('  edge      = true\n', '  edge      = true\n  edge      = false\n')
    error = error_of(text, "bp.hcl")
    assert error.line == 11 and error.column == 3 and "first at line 10" in error.message


def test_hcl_repeated_section_block_is_refused():
    error = error_of(HCL + '\nsampling {\n}\n', "bp.hcl")
    assert "'sampling' is given twice" in error.message and error.line == len((HCL + "\n").splitlines()) + 1


@pytest.mark.parametrize("value", ["var.rps", "max(1, 2)", "true ? 1 : 2", "50 + 1", "local.x[0]",
                                   "[for x in [1] : x]", '"${var.v}"', '"%{ if true }x%{ endif }"',
                                   "{for k, v in {} : k => v}"])
def test_hcl_expressions_are_refused_with_their_position(value):
    text = HCL.replace("peak_rps  = 50", f"peak_rps  = {value}")
    error = error_of(text, "bp.hcl")
    assert error.line == 11 and error.column >= 15
    assert "not supported" in error.message


def test_hcl_heredoc_and_escapes_read_as_strings():
    text = HCL.replace('framework = "flask"', 'framework = "fl\\u0061sk"').replace(
        'endpoint  = "tempo-distributor.tempo.svc.cluster.local:4317"',
        'endpoint  = "tempo-distributor.tempo.svc.cluster.local:4317"\n  dataset = <<-EOT\n    team\n    EOT')
    error_free = load_text(text.replace("  dataset = <<-EOT\n    team\n    EOT", ""), "bp.hcl").blueprint
    assert error_free.services["hello"].framework == "flask"
    from tracegen.blueprint.hcl import parse_hcl

    data, source = parse_hcl('a = <<-EOT\n    one\n      two $${env:X}\n    EOT\nb = "x"\n', "bp.hcl")
    assert data == {"a": "one\n  two ${env:X}\n", "b": "x"}
    assert source.positions[("b",)] == (5, 1)


def test_hcl_positions_point_at_nested_keys():
    from tracegen.blueprint.hcl import parse_hcl

    _, source = parse_hcl(HCL, "bp.hcl")
    lines = HCL.splitlines()
    line, column = source.positions[("sampling", "tail", "policies", 1, "threshold_ms")]
    assert lines[line - 1][column - 1:].startswith("threshold_ms")
    line, column = source.positions[("services", "hello", "owner", "oncall")]
    assert lines[line - 1][column - 1:].startswith("oncall")


def test_hcl_writer_round_trips_the_examples():
    from tracegen.blueprint.hcl import dumps, parse_hcl
    from tracegen.blueprint.source import parse_yaml

    for example in sorted((ROOT / "blueprints").glob("*.yaml")):
        data, _ = parse_yaml(example.read_text(), example.name)
        assert parse_hcl(dumps(data), "x.hcl")[0] == data
        assert load_text(dumps(data), "x.hcl").blueprint == load_text(example.read_text(), example.name).blueprint


def _parse_seconds(*texts: str) -> list[float]:
    """Best CPU time (not wall time: the machine is shared) of parsing each text, runs interleaved,
    without the garbage collector's pauses (they grow with the heap, not with the parser's work)."""
    import gc
    import time

    from tracegen.blueprint.hcl import parse_hcl

    best = [float("inf")] * len(texts)
    gc.collect()
    gc.disable()
    try:
        for _ in range(5):
            for index, text in enumerate(texts):
                start = time.process_time()
                parse_hcl(text, "big.hcl")
                best[index] = min(best[index], time.process_time() - start)
    finally:
        gc.enable()
    return best


def test_hcl_loading_is_linear_in_the_number_of_services():
    import importlib.util

    spec = importlib.util.spec_from_file_location("gen", ROOT / "scripts" / "gen_large_blueprint.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    from tracegen.blueprint.hcl import dumps

    small, large = dumps(gen.blueprint(500)), dumps(gen.blueprint(2000))
    small_seconds, large_seconds = _parse_seconds(small, large)
    ratio = large_seconds / small_seconds
    # Linear is ~4x; python-hcl2 took ~16x (quadratic). The bound between leaves room for a busy machine.
    assert ratio < 10, f"4x the services took {ratio:.1f}x the time (python-hcl2 took ~16x: quadratic)"
    assert len(load_text(large, "big.hcl").blueprint.services) == 2000


# ------------------------------------------------------------------ files that are not files
def test_directory_fifo_and_device_are_refused_without_reading(tmp_path):
    import os

    fifo = tmp_path / "bp.yaml"
    os.mkfifo(fifo)
    for path, kind in ((fifo, "a FIFO"), (tmp_path, "a directory"), (Path("/dev/null"), "a character device")):
        with pytest.raises(BlueprintError) as info:
            load(path)          # opening the FIFO would block until a writer came
        assert kind in info.value.message and info.value.file == str(path)


def test_unsupported_collector_versions_are_schema_errors_with_position():
    for version, needle in (("0.100.0", "older than"), ("1.2.3", "only 0.N.P")):
        text = MINIMAL.replace("sampling:\n", f"topology:\n  collector_version: \"{version}\"\nsampling:\n")
        error = error_of(text)
        assert needle in error.message and error.line == text.splitlines().index("topology:") + 2


def test_a_character_yaml_forbids_is_reported_with_its_position():
    error = error_of("schema_version: 1\nname: ab\x07cd\n")
    assert (error.line, error.column) == (2, 9) and "U+0007" in error.message


@pytest.mark.parametrize("number", [".inf", "-.inf", ".nan"])
def test_non_finite_numbers_are_schema_errors(number):
    text = MINIMAL.replace("    peak_rps: 50\n", f"    peak_rps: {number}\n")
    error = error_of(text)
    assert "finite number" in error.message and error.line == text.splitlines().index(f"    peak_rps: {number}") + 1


@pytest.mark.parametrize("number", ["1e308", "\"1e308\"", "-1e13"])
def test_numbers_beyond_any_real_quantity_are_schema_errors(number):
    text = MINIMAL.replace("    peak_rps: 50\n", f"    peak_rps: {number}\n")
    error = error_of(text)
    assert "at most 1e+12" in error.message or "greater than or equal to 0" in error.message
    assert error.line == text.splitlines().index(f"    peak_rps: {number}") + 1


# ------------------------------------------------------------------ found by the adversarial review
def test_text_that_is_not_utf8_is_refused_at_its_line_and_column(tmp_path):
    path = tmp_path / "bp.yaml"
    path.write_bytes("name: \u00e9t\u00e9\nteam: platf\u00e9\n".encode("utf-8").replace(b"platf\xc3\xa9", b"platf\xe9"))
    with pytest.raises(BlueprintError) as info:
        load(path)
    assert (info.value.line, info.value.column) == (2, 12)


def test_a_collector_version_with_thousands_of_digits_is_a_schema_error_not_a_python_limit():
    error = error_of(MINIMAL + 'topology:\n  collector_version: "0.' + "9" * 5000 + '.0"\n')
    assert "collector_version" in error.message and "set_int_max_str_digits" not in error.message
    assert error.line is not None


@pytest.mark.parametrize("edit", [
    ("inbound: [http]", "inbound: [http]\n    resource_attributes: {app.note: %s}"),
    ("    retention: {hot_days: 7, cold_days: 30}", "    headers: {x-scope-orgid: %s}\n    retention: {hot_days: 7, cold_days: 30}"),
])
def test_a_value_too_long_for_an_environment_variable_or_a_header_is_refused_at_its_position(edit):
    """A 1 MB resource attribute built, and no process could start with that OTEL_RESOURCE_ATTRIBUTES."""
    old, new = edit
    assert load_text(MINIMAL.replace(old, new % ("a" * 4096)), "bp.yaml")
    error = error_of(MINIMAL.replace(old, new % ("a" * 4097)))
    assert "at most 4096 characters" in error.message and error.line is not None
