"""YAML output is the same bytes whichever emitter writes it: libyaml's (fast, used when PyYAML has it
and the document is one it prints alike) or PyYAML's pure-Python one (every other document)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tracegen import serialize
from tracegen.blueprint.loader import load
from tracegen.plan.builder import build_plan
from tracegen.targets import build_all

ROOT = Path(__file__).resolve().parent.parent
needs_libyaml = pytest.mark.skipif(serialize._CDumper is None, reason="PyYAML built without libyaml")


def python_yaml(data, sort_keys: bool = True) -> str:
    return yaml.dump(data, Dumper=serialize._Dumper, sort_keys=sort_keys, default_flow_style=False,
                     allow_unicode=True, width=120)


def _artifacts(blueprint: Path) -> dict[str, str]:
    name = f"blueprints/{blueprint.name}"
    return {a.path: a.content for a in build_all(build_plan(load(str(blueprint)), name))}


@needs_libyaml
@pytest.mark.parametrize("blueprint", sorted((ROOT / "blueprints").glob("*.yaml")), ids=lambda p: p.stem)
def test_examples_build_the_same_bytes_with_and_without_libyaml(blueprint, monkeypatch):
    fast = _artifacts(blueprint)
    monkeypatch.setattr(serialize, "_CDumper", None)
    assert _artifacts(blueprint) == fast


@needs_libyaml
def test_a_kubernetes_document_takes_libyaml():
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment",
                  "metadata": {"name": "checkout", "labels": {"app.kubernetes.io/name": "checkout"}},
                  "spec": {"replicas": 2, "template": {"spec": {"containers": [{
                      "name": "app", "image": "ghcr.io/acme/checkout:1.4.2", "args": ["--config=/etc/otel.yaml"],
                      "env": [{"name": "OTEL_EXPORTER_OTLP_ENDPOINT", "value": "http://otel-agent:4317"}]}]}}},
                  "data": {"config.yaml": "receivers:\n  otlp: {}\nexporters:\n  debug: {}\n"}}
    assert serialize._same_in_libyaml(deployment)
    assert serialize.to_yaml(deployment) == python_yaml(deployment)


# Strings the two emitters print differently; each must send its document to the Python emitter.
UNLIKE = ["tab\there", "emoji \U0001F600", "nel\x85x", "ls\u2028x", "\ufeffbom", "bell\x07",
          "trailing space \nnext line", "ends with space\nline ", "blank lines kept\n\n", "\n",
          "l\n" + "w " * 80 + "\nz"]


@pytest.mark.parametrize("text", UNLIKE)
def test_strings_libyaml_prints_differently_take_the_python_emitter(text):
    for document in ({"key": text}, [{"nested": [text]}]):
        assert not serialize._same_in_libyaml(document)
        assert serialize.to_yaml(document) == python_yaml(document)


@pytest.mark.parametrize("key", ["", "k" * 101, "日本語" * 40, "multi\nline"])
def test_keys_libyaml_prints_differently_take_the_python_emitter(key):
    document = {key: 1, "other": [key]}
    assert not serialize._same_in_libyaml(document)
    assert serialize.to_yaml(document) == python_yaml(document)


def test_a_bare_scalar_document_takes_the_python_emitter():
    # The Python emitter ends a plain top-level scalar with "...", libyaml does not.
    assert serialize.to_yaml("plain text") == python_yaml("plain text") == "plain text\n...\n"


def test_lists_indented_under_their_key_stay_so():
    assert serialize.to_yaml({"hosts": ["a", "b"]}, indent_lists=True) == "hosts:\n  - a\n  - b\n"


_characters = st.sampled_from(list("ab -:#'\"\\,[]{}&*!|>%@`?=\n\t\r") + ["é", "中", "\xa0", "\u3000", "\x85",
                                                                        "\u2028", "\ufeff", "\x00", "😀"])
_text = st.one_of(st.text(_characters, max_size=8), st.text(_characters, min_size=100, max_size=300),
                  st.sampled_from(["", "yes", "on", "null", "~", "1.0", "0o17", "2026-01-01", "- x", "x: y"]))
_scalars = st.one_of(_text, st.integers(), st.floats(allow_nan=False), st.booleans(), st.none())
_documents = st.recursive(_scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                            st.dictionaries(_text, inner, max_size=4)),
                          max_leaves=12).filter(lambda d: isinstance(d, (dict, list)))


@given(_documents, st.booleans())
@settings(max_examples=400, deadline=None, derandomize=True, database=None)
def test_any_document_serialises_as_the_python_emitter_would(document, sort_keys):
    assert serialize.to_yaml(document, sort_keys=sort_keys) == python_yaml(document, sort_keys)


class _StockDumper(yaml.SafeDumper):
    """PyYAML's own representer with tracegen's string style and no aliases."""

    def ignore_aliases(self, data) -> bool:
        return True


_StockDumper.add_representer(str, serialize._str)


@given(_documents, st.booleans())
@settings(max_examples=400, deadline=None, derandomize=True, database=None)
def test_the_plain_type_short_cut_represents_what_pyyaml_would(document, sort_keys):
    stock = yaml.dump(document, Dumper=_StockDumper, sort_keys=sort_keys, default_flow_style=False,
                      allow_unicode=True, width=120)
    assert python_yaml(document, sort_keys) == stock
