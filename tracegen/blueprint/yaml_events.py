"""The fast path of `source.parse_yaml`: libyaml's events straight to plain data and a source map.

No node tree, no recursion: one loop over the parser's events with an explicit stack. It takes only
the plain documents blueprints are made of — one document of mappings, sequences and scalars with
YAML-defined tags, no anchors or aliases, no merge keys, no duplicate keys, at most MAX_DEPTH levels.
Anything else (and any parse error) returns None, and the caller composes the text the careful way,
which refuses or accepts it with the same positioned message as always. So both paths agree on
every document this one takes: same values, same positions, same written texts of numbers.
"""

from __future__ import annotations

from typing import Any

from yaml import (AliasEvent, DocumentEndEvent, DocumentStartEvent, MappingEndEvent, MappingStartEvent,
                  ScalarEvent, SequenceEndEvent, SequenceStartEvent, StreamEndEvent, StreamStartEvent, YAMLError)

try:
    from yaml._yaml import CParser
except ImportError:   # pragma: no cover - PyYAML without libyaml
    CParser = None

_MAP, _SEQ, _STR = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"


class _Decline(Exception):
    """This document is not one the fast path takes; the careful path decides."""


def parse_plain(text: str, file: str, resolvers: dict, scalar_tags: set[str], core_scalar, source_map,
                max_depth: int, max_nodes: int):
    """(data, SourceMap) of a plain one-document blueprint, or None for the careful path."""
    if CParser is None:   # pragma: no cover - PyYAML without libyaml
        return None
    parser = CParser(text)
    try:
        return _Builder(file, resolvers, scalar_tags, core_scalar, source_map, max_depth, max_nodes).run(parser)
    except (_Decline, YAMLError, ValueError):
        return None
    finally:
        parser.dispose()


class _Builder:
    def __init__(self, file, resolvers, scalar_tags, core_scalar, source_map, max_depth, max_nodes):
        self.resolvers = resolvers
        self.scalar_tags = scalar_tags
        self.core_scalar = core_scalar
        self.source = source_map(file)
        self.max_depth = max_depth
        self.max_nodes = max_nodes

    def run(self, parser) -> tuple[Any, Any]:
        if not isinstance(parser.get_event(), StreamStartEvent):
            raise _Decline
        if not isinstance(parser.get_event(), DocumentStartEvent):
            raise _Decline   # an empty stream: the careful path says so
        data = self._document(parser)
        if not isinstance(parser.get_event(), DocumentEndEvent) or not isinstance(parser.get_event(), StreamEndEvent):
            raise _Decline   # more than one document
        return data, self.source

    def _document(self, parser) -> Any:
        positions, texts = self.source.positions, self.source.texts
        get = parser.get_event
        count = 0
        # Each open collection: [container, its path, the pending key (mappings; None when a key is next)].
        stack: list[list] = []
        root: list = [None]
        while True:
            event = get()
            kind = type(event)
            if kind is MappingEndEvent or kind is SequenceEndEvent:
                finished = stack.pop()
                if not stack:
                    return finished[0]
                continue
            if kind is AliasEvent or event.anchor is not None:
                raise _Decline
            if stack:
                top = stack[-1]
                container = top[0]
                if type(container) is dict and top[2] is None:   # a key
                    if kind is not ScalarEvent:
                        raise _Decline
                    tag = self._scalar_tag(event)
                    if tag == _MERGE or tag not in self.scalar_tags:
                        raise _Decline
                    self.core_scalar(tag, event.value)     # refuses keys like `!!int x`
                    key = event.value
                    if key in container:
                        raise _Decline
                    top[2] = key
                    mark = event.start_mark
                    positions[top[1] + (key,)] = (mark.line + 1, mark.column + 1)
                    continue
                if type(container) is dict:
                    path = top[1] + (top[2],)
                    top[2] = None
                else:
                    path = top[1] + (len(container),)
                    mark = event.start_mark
                    positions[path] = (mark.line + 1, mark.column + 1)
            else:
                path = ()
                mark = event.start_mark
                positions[path] = (mark.line + 1, mark.column + 1)
            count += 1
            if count > self.max_nodes or len(path) > self.max_depth:
                raise _Decline
            if kind is ScalarEvent:
                tag = self._scalar_tag(event)
                if tag not in self.scalar_tags:
                    raise _Decline
                value = self.core_scalar(tag, event.value)
                if type(value) is not str and not event.style:
                    texts[path] = event.value
            elif kind is MappingStartEvent:
                if event.tag not in (None, "!", _MAP):
                    raise _Decline
                value = {}
            elif kind is SequenceStartEvent:
                if event.tag not in (None, "!", _SEQ):
                    raise _Decline
                value = []
            else:
                raise _Decline
            if stack:
                container = stack[-1][0]
                if type(container) is dict:
                    container[path[-1]] = value
                else:
                    container.append(value)
            if kind is not ScalarEvent:
                stack.append([value, path, None])
            elif not stack:
                return value

    def _scalar_tag(self, event) -> str:
        """PyYAML's resolution (Resolver.resolve) of a scalar, with the core schema's resolvers."""
        tag = event.tag
        if tag is not None and tag != "!":
            return tag
        if event.implicit[0]:
            value = event.value
            for resolved, pattern in self.resolvers.get(value[0] if value else "", ()):
                if pattern.match(value):
                    return resolved
            for resolved, pattern in self.resolvers.get(None, ()):
                if pattern.match(value):
                    return resolved
        return _STR
