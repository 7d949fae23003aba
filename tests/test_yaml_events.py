"""The event path of the YAML loader (tracegen/blueprint/yaml_events.py) against the composer path.

The event path either takes a document and gives exactly what libyaml under PyYAML's Python
composer gives (data, positions, written numbers), or declines it and the composer decides. Never a
third answer. (libyaml itself is more lenient than PyYAML's pure-Python scanner in places, rightly
by YAML 1.2: a tab inside a flow mapping, `{\tkey: v}`; that is the composer path's behaviour
already, and tests/test_loader.py holds the bundled blueprints to the pure-Python answer.)
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracegen.blueprint import source
from tracegen.blueprint.yaml_events import parse_plain
from tracegen.errors import BlueprintError

ROOT = Path(__file__).resolve().parent.parent
YAML_FILES = sorted([*(ROOT / "blueprints").glob("*.yaml"), *(ROOT / "tests" / "fixtures" / "bad").glob("*.yaml")])


def _events(text: str):
    return parse_plain(text, "bp.yaml", source.BlueprintYamlLoader.yaml_implicit_resolvers, source._SCALAR_TAGS,
                       source.core_scalar, source.SourceMap, source.MAX_DEPTH,
                       max(source.MAX_NODES, len(text) // 2))


def _outcome(text: str, paths: str):
    """What parse_yaml gives on one path: the data and source map, or the refusal's message and place."""
    try:
        data, where = source.parse_yaml(text, "bp.yaml", paths=paths)
    except BlueprintError as error:
        return ("refused", error.message, error.line, error.column)
    return ("parsed", repr(data), where.positions, where.texts)


def _agree(text: str) -> None:
    taken = _events(text)
    expected = _outcome(text, "composer")
    if taken is not None:   # whatever the event path takes, it parses exactly as the composer does
        data, where = taken
        assert expected == ("parsed", repr(data), where.positions, where.texts)
    assert _outcome(text, "all") == expected


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: p.name)
def test_every_bundled_and_bad_yaml_parses_the_same_on_every_path(path):
    _agree(path.read_text(encoding="utf-8", errors="replace"))


def test_the_bundled_blueprints_take_the_event_path():
    """The point of the path: real blueprints are plain data and do not fall back."""
    for path in sorted((ROOT / "blueprints").glob("*.yaml")):
        assert _events(path.read_text(encoding="utf-8")) is not None, path.name


SNIPPETS = {
    "scalars": "v: [NO, yes, on, y, 017, 0o17, 0x1F, 1_000, 2026-01-01, 1e3, .inf, -.INF, .nan, ~, null, true, False, '']\n",
    "quoted numbers": "a: '1.10'\nb: \"017\"\nc: 1.10\n",
    "explicit tags": "a: !!str 1\nb: !!int '7'\nc: ! 3\nd: !!float 1\ne: !!map {x: 1}\nf: !!seq [1]\n",
    "bad explicit tag": "a: !!int x\n",
    "local tag": "a: !python/object foo\n",
    "local tag on a mapping": "a: !thing {x: 1}\n",
    "empty values": "a:\nb: ~\nc: {}\nd: []\ne:\n  - \n  -\n",
    "keys": "1: a\ntrue: b\n~: c\n'': d\n\"q\": e\n0x1F: f\n",
    "bad key": "!!int k: 1\n",
    "non-scalar key": "? [a, b]\n: 1\n",
    "merge key": "base: {a: 1}\nx:\n  <<: {a: 2}\n",
    "duplicate key": "a: 1\nb: 2\na: 3\n",
    "duplicate key in flow": "a: {x: 1, x: 2}\n",
    "anchor and alias": "a: &x {k: 1}\nb: *x\n",
    "anchored scalar": "a: &x 1\n",
    "block scalars": "a: |\n  two\n  lines\nb: >-\n  folded\n  text\n",
    "nested sequences": "- - - 1\n  - 2\n- [[], [[]], {}]\n",
    "scalar root": "just text\n",
    "number root": "42\n",
    "empty": "",
    "comments only": "# nothing\n",
    "explicit empty document": "---\n",
    "two documents": "a: 1\n---\nb: 2\n",
    "document end marker": "a: 1\n...\n",
    "unicode": "naïve: 'é😀'\nkey😀: [ü, \"\\u2028\"]\n",
    "tabs and CRLF": "a: 1\r\nb:\r\n  - x\r\n",
    "BOM": "\ufeffa: 1\n",
    "invalid": "a: [1, 2\nb: 3\n",
    "bad indentation": "a:\n  b: 1\n c: 2\n",
    "deep flow": "a: " + "[" * 45 + "]" * 45 + "\n",
    "deep block": "".join("  " * i + f"k{i}:\n" for i in range(45)) + "  " * 45 + "x: 1\n",
    "at the limit": "a: " + "[" * (source.MAX_DEPTH - 1) + "]" * (source.MAX_DEPTH - 1) + "\n",
    "control character": "a: \x07\n",
    "NEL": "a: x\x85y\n",
}


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_tricky_documents_parse_the_same_on_every_path(name):
    _agree(SNIPPETS[name])


@pytest.mark.parametrize("name", ["anchor and alias", "anchored scalar", "merge key", "duplicate key", "local tag",
                                  "two documents", "deep flow", "empty"])
def test_the_event_path_declines_what_only_the_careful_path_may_judge(name):
    assert _events(SNIPPETS[name]) is None


CHECKOUT = (ROOT / "blueprints" / "checkout.yaml").read_text(encoding="utf-8")


@settings(max_examples=150, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, len(CHECKOUT)), st.integers(0, 3),
                          st.sampled_from(["", " ", "  ", "\n", ":", "- ", "[", "]", "{", "}", ",", "'", '"', "&a ",
                                           "*a", "!!int ", "!x ", "#", "?", "|", ">", "\t", "~", "<<: ", "0x", "é"])),
                max_size=4))
def test_mutated_blueprints_parse_the_same_on_every_path(edits):
    text = CHECKOUT
    for at, cut, insert in edits:
        at = min(at, len(text))
        text = text[:at] + insert + text[at + cut:]
    _agree(text)
