"""The fastest way to the bytes `tracegen.serialize` writes: Python data to libyaml's emitter as events.

PyYAML's dump builds a node per value (its representer) and its serializer asks the resolver twice
per scalar whether the text would read back as something else; at 1,000 services that was a fifth of
a build. Here one walk of the data emits the events those nodes would have produced, with the same
tags, implicit flags and styles, so libyaml prints the same bytes (tests/test_serialize.py holds it
to PyYAML's pure-Python emitter). A document this path does not take — a string the two emitters
print differently (serialize._same_string), a type other than dict, list, str, int, float, bool and
None, a bare scalar — returns None, and serialize decides as before.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import yaml
from yaml.events import (DocumentEndEvent, DocumentStartEvent, MappingEndEvent, MappingStartEvent, ScalarEvent,
                         SequenceEndEvent, SequenceStartEvent, StreamEndEvent, StreamStartEvent)
from yaml.nodes import ScalarNode

try:
    from yaml._yaml import CEmitter
except ImportError:   # pragma: no cover - PyYAML without libyaml
    CEmitter = None

_STR, _MAP, _SEQ = "tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
_SCALARS = (int, float, bool, type(None))
_CACHE_LIMIT = 200_000   # distinct strings remembered (keys and names repeat across documents)


class _Decline(Exception):
    pass


class Emitter:
    """One per serialiser: `same_string(text, key)` is serialize's test of a string both emitters print
    alike; `represent(value)` its representer, for the few non-string scalars."""

    def __init__(self, same_string: Callable[[str, bool], bool], represent: Callable[[Any], yaml.Node]):
        self._same_string = same_string
        self._represent = represent
        self._resolver = yaml.resolver.Resolver()   # the dumpers' resolver (YAML 1.1, like every reader)
        self._strings: dict[str, tuple[bool, bool, bool]] = {}
        self._scalars: dict[tuple[type, Any], tuple[str, str, tuple[bool, bool]]] = {}

    def dump(self, data: Any, sort_keys: bool) -> str | None:
        """The YAML text of `data` (a mapping or list), or None when this path does not take it."""
        if CEmitter is None or type(data) not in (dict, list):
            return None
        # Events go to the emitter as the walk makes them (a list of them was twice the memory of a
        # 30 MB rules file); a declined document's half-written text is thrown away.
        stream = io.StringIO()
        emitter = CEmitter(stream, allow_unicode=True, width=120)
        try:
            emit = emitter.emit
            emit(StreamStartEvent())
            emit(DocumentStartEvent(explicit=False))
            self._walk(data, sort_keys, emit)
            emit(DocumentEndEvent(explicit=False))
            emit(StreamEndEvent())
        except _Decline:
            return None
        finally:
            emitter.dispose()
        return stream.getvalue()

    def _string(self, text: str) -> tuple[bool, bool, bool]:
        """(reads back as a string when plain, printed alike as a key, printed alike as a value)."""
        found = self._strings.get(text)
        if found is None:
            if len(self._strings) >= _CACHE_LIMIT:
                self._strings.clear()
            plain = self._resolver.resolve(ScalarNode, text, (True, False)) == _STR
            found = self._strings[text] = (plain, self._same_string(text, True), self._same_string(text, False))
        return found

    def _scalar(self, value: Any) -> tuple[str, str, tuple[bool, bool]]:
        """(tag, text, implicit) of an int, float, bool or None, as the representer and serializer make them."""
        key = (type(value), value)
        found = self._scalars.get(key)
        if found is None:
            if type(value) not in _SCALARS:
                raise _Decline
            node = self._represent(value)
            resolve = self._resolver.resolve
            found = (node.tag, node.value, (resolve(ScalarNode, node.value, (True, False)) == node.tag,
                                            resolve(ScalarNode, node.value, (False, True)) == node.tag))
            if value == value and len(self._scalars) < _CACHE_LIMIT:   # NaN is never found again
                self._scalars[key] = found
        return found

    def _walk(self, data: Any, sort_keys: bool, out: Callable) -> None:
        kind = type(data)
        if kind is str:
            plain, _, alike = self._string(data)
            if not alike:
                raise _Decline
            out(ScalarEvent(None, _STR, (plain, True), data, style="|" if "\n" in data else None))
        elif kind is dict:
            out(MappingStartEvent(None, _MAP, True, flow_style=False))
            items = list(data.items())
            if sort_keys:
                try:
                    items = sorted(items)
                except TypeError:   # PyYAML keeps the order of keys it cannot compare
                    pass
            for key, value in items:
                if type(key) is str:
                    plain, alike, _ = self._string(key)
                    if not alike:
                        raise _Decline
                    out(ScalarEvent(None, _STR, (plain, True), key))
                else:
                    tag, text, implicit = self._scalar(key)
                    out(ScalarEvent(None, tag, implicit, text))
                self._walk(value, sort_keys, out)
            out(MappingEndEvent())
        elif kind is list:
            out(SequenceStartEvent(None, _SEQ, True, flow_style=False))
            for item in data:
                self._walk(item, sort_keys, out)
            out(SequenceEndEvent())
        else:
            tag, text, implicit = self._scalar(data)
            out(ScalarEvent(None, tag, implicit, text))
