"""Mutation fuzzing of the loader and the whole pipeline (hypothesis).

The bundled examples are mutated the ways people and tools break files — keys deleted, duplicated
and retyped, values swapped across types, extreme numbers (.inf, .nan, 1e308, -1, 0, 2**64), long
and unicode strings, deep nesting, lines duplicated or cut, junk inserted — and written as YAML and as HCL. For
every mutant: `check` and `build` never exit 70 nor print a traceback, and they agree: `build`
exits with the code `check` did (0 -> 0, 1 -> 1, 2 -> 2), so `build` refuses only what `check` did.

Budget: TRACEGEN_FUZZ_EXAMPLES mutants per test (default 20; well under a minute for the four tests on
a CI runner). The run is derandomized so CI is reproducible; set TRACEGEN_FUZZ_SEED to explore.
"""

from __future__ import annotations

import copy
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, Phase, assume, event, given, seed, settings
from hypothesis import strategies as st

from tracegen.blueprint.hcl import dumps as hcl_dumps
from tracegen.blueprint.source import parse_yaml
from tracegen.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = {path.name: parse_yaml(path.read_text(encoding="utf-8"), path.name)[0]
            for path in sorted((ROOT / "blueprints").glob("*.yaml"))}
EXAMPLES_TEXT = {path.name: path.read_text(encoding="utf-8") for path in sorted((ROOT / "blueprints").glob("*.yaml"))}
SEED = os.environ.get("TRACEGEN_FUZZ_SEED")
_SETTINGS = settings(
    max_examples=int(os.environ.get("TRACEGEN_FUZZ_EXAMPLES", "20")),
    deadline=None,
    database=None,
    derandomize=SEED is None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],  # no explain: no files
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


def BUDGET(test):  # noqa: N802 - used as a decorator like hypothesis' own
    return seed(int(SEED))(_SETTINGS(test)) if SEED else _SETTINGS(test)

EXTREME_NUMBERS = [math.inf, -math.inf, math.nan, 1e308, -1e308, -1, 0, 2 ** 64, -(2 ** 63), 0.1, 1e-308]
SCALARS = st.one_of(
    st.sampled_from(EXTREME_NUMBERS),
    st.integers(min_value=-(2 ** 70), max_value=2 ** 70),
    st.booleans(),
    st.none(),
    st.text(max_size=40),
    st.sampled_from(["", "x" * 10_000, "NO", "1.10", "${env:X}", "${env:}", "$${env:X}", "{{ lookup('pipe','id') }}",
                     "a\nb", "\u2028", "é😀", "../..", "-", ".", "0.100.0", "1.2.3", "*", "baseline", "go"]),
)


def _paths(data: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path in the data (the root excluded)."""
    found = []
    if isinstance(data, dict):
        for key, value in data.items():
            found.append(prefix + (key,))
            found.extend(_paths(value, prefix + (key,)))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found.append(prefix + (index,))
            found.extend(_paths(value, prefix + (index,)))
    return found


def _get(data: Any, path: tuple) -> Any:
    for part in path:
        data = data[part]
    return data


def _nest(value: Any, depth: int) -> Any:
    for _ in range(depth):
        value = [value]
    return value


def _strings(data: Any) -> set[str]:
    """Every string in the blueprint, keys included: swapping them across fields makes names collide."""
    if isinstance(data, dict):
        return set(map(str, data)) | set().union(*map(_strings, data.values()))
    if isinstance(data, list):
        return set().union(*map(_strings, data)) if data else set()
    return {data} if isinstance(data, str) else set()


def _same_type(value: Any, strings: list[str]) -> st.SearchStrategy:
    """A value the schema will most likely still accept, so the mutant reaches the planner and targets."""
    if isinstance(value, bool):
        return st.just(not value)
    if isinstance(value, int):
        return st.one_of(st.sampled_from([0, 1, -1, 2, 3, 100, 65535, 65536, 10 ** 6, 2 ** 31, 2 ** 63]),
                         st.integers(min_value=-10, max_value=10 ** 5))
    if isinstance(value, float):
        return st.one_of(st.sampled_from(EXTREME_NUMBERS), st.floats(min_value=0, max_value=100))
    if isinstance(value, str):
        return st.one_of(st.sampled_from(strings or [value]), st.sampled_from(
            ["baseline", "none", "b3", "jaeger", "xray", "a..b", "a" * 64, "a" * 300, "10.0.0.1", "localhost",
             "0.160.0", "0.999.0", "x-honeycomb-team", "${env:A}", "1ms", "0s", "99999m", "incident"]))
    if isinstance(value, list):
        return st.one_of(st.just(value + value), st.just(value[:1]), st.just([]))
    return st.just(value)


@st.composite
def mutants(draw) -> dict:
    """An example with one to four mutations applied."""
    name = draw(st.sampled_from(sorted(EXAMPLES)))
    data = copy.deepcopy(EXAMPLES[name])
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        paths = _paths(data)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, key = _get(data, path[:-1]), path[-1]
        action = draw(st.sampled_from(["same-type"] * 6 + ["delete"] * 2 + [
            "retype", "swap", "copy-sibling", "nest", "rename", "extreme", "wrap-in-list", "empty-container"]))
        if action == "same-type":
            parent[key] = draw(_same_type(parent[key], strings=sorted(_strings(data))))
        elif action == "delete":
            del parent[key]
        elif action in ("retype", "extreme"):
            parent[key] = draw(st.sampled_from(EXTREME_NUMBERS) if action == "extreme" else SCALARS)
        elif action == "swap":
            other = draw(st.sampled_from(paths))
            try:
                parent[key] = copy.deepcopy(_get(data, other))
            except (KeyError, IndexError, TypeError):
                continue
        elif action == "copy-sibling" and isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=12))] = copy.deepcopy(parent[key])
        elif action == "copy-sibling" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[key]))
        elif action == "nest":
            parent[key] = _nest(parent[key], draw(st.integers(min_value=2, max_value=60)))
        elif action == "rename" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["", "x", "services", "type", "name", "<<", "true", "1"]))] = parent.pop(key)
        elif action == "wrap-in-list":
            parent[key] = [parent[key]]
        elif action == "empty-container":
            parent[key] = draw(st.sampled_from([{}, [], None]))
    return {"example": name, "data": data}


def _yaml(data: dict) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=10 ** 6)


def _run(args: list[str]) -> tuple[int, str]:
    # TRACEGEN_DEBUG: an internal error surfaces as the exception itself, with its message.
    result = CliRunner().invoke(main, args, catch_exceptions=True, env={"TRACEGEN_DEBUG": "1"})
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"{args[0]} raised {type(result.exception).__name__}: {result.exception}")
    return result.exit_code, output


def assert_pipeline_sane(text: str, suffix: str) -> None:
    with tempfile.TemporaryDirectory(prefix="tracegen-fuzz-") as scratch:
        blueprint = Path(scratch) / f"bp{suffix}"
        blueprint.write_text(text, encoding="utf-8")
        checked, check_output = _run(["check", str(blueprint)])
        built, build_output = _run(["build", str(blueprint), "-o", str(Path(scratch) / "out")])
    for code, output, command in ((checked, check_output, "check"), (built, build_output, "build")):
        assert code != 70, f"{command} hit an internal error:\n{output}\n--- blueprint ---\n{text[:3000]}"
        assert "Traceback" not in output, output
    try:
        event(f"check exit {checked}")
    except Exception:   # noqa: BLE001 - event() only works inside @given
        pass
    assert checked in (0, 1, 2), check_output
    assert built == checked, (f"check exited {checked} but build exited {built}:\n{build_output}\n"
                              f"--- blueprint ---\n{text[:3000]}")


@BUDGET
@given(mutants())
def test_mutated_yaml_blueprints(mutant):
    assert_pipeline_sane(_yaml(mutant["data"]), ".yaml")


@BUDGET
@given(mutants())
def test_mutated_hcl_blueprints(mutant):
    try:
        text = hcl_dumps(mutant["data"])
    except (ValueError, TypeError):
        assume(False)   # no HCL spelling (infinity, NaN, a top-level key that is not an identifier)
    assert_pipeline_sane(text, ".hcl")


YAML_JUNK = ["\t", "- ", ": ", "&a ", "*a ", "!!python/name:os.system ", "{", "]", "'", '"', "\ufeff", "\x85",
             "%YAML 1.1\n", "---\n", "? "]
HCL_JUNK = ["${", "$${", "%{", "var.x", "<<EOF\n", "<<-EOF\n", "EOF\n", "{", "}", "[", "]", '"', "#", "/*", "*/",
            "=", ",", "\\", "\\u12", " ? 1 : 2", "max(", "\x00", "\u2028"]


@st.composite
def text_mutants(draw, texts: dict[str, str], junk_pool: list[str]) -> str:
    """Line-level damage to an example's text: duplicated, deleted or cut lines, inserted junk."""
    lines = texts[draw(st.sampled_from(sorted(texts)))].splitlines(keepends=True)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        index = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        action = draw(st.sampled_from(["duplicate", "delete", "cut", "insert"]))
        if action == "duplicate":
            lines.insert(index, lines[index])
        elif action == "delete" and len(lines) > 1:
            del lines[index]
        elif action == "cut":
            lines[index] = lines[index][: draw(st.integers(min_value=0, max_value=len(lines[index])))]
        elif action == "insert":
            junk = draw(st.sampled_from(junk_pool))
            at = draw(st.integers(min_value=0, max_value=len(lines[index])))
            lines[index] = lines[index][:at] + junk + lines[index][at:]
    return "".join(lines)


@BUDGET
@given(text_mutants(EXAMPLES_TEXT, YAML_JUNK))
def test_damaged_yaml_text(text):
    assert_pipeline_sane(text, ".yaml")


@BUDGET
@given(text_mutants({name: hcl_dumps(data) for name, data in EXAMPLES.items()}, HCL_JUNK))
def test_damaged_hcl_text(text):
    assert_pipeline_sane(text, ".hcl")


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_unmutated_examples_pass_both_ways(name):
    """The fuzzer's baseline: each example checks and builds alike, as YAML and as HCL."""
    assert_pipeline_sane(EXAMPLES_TEXT[name], ".yaml")
    assert_pipeline_sane(hcl_dumps(EXAMPLES[name]), ".hcl")
