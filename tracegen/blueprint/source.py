"""Parse YAML into plain data while keeping where every value came from.

We compose (never construct) so no YAML tag can build a Python object, we count nodes so an alias
bomb stops early, and we record `path -> (line, column)` for every mapping key and sequence item.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from tracegen.errors import BlueprintError

Path = tuple[str | int, ...]

MAX_DEPTH = 40
MAX_NODES = 200_000  # a blueprint of a thousand services is far below this; alias bombs are far above
_STR = "tag:yaml.org,2002:str"
_SCALAR_TAGS = {
    "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null", "tag:yaml.org,2002:timestamp",
}


@dataclass
class SourceMap:
    """Where each path of the loaded data stands in the file (1-based line and column)."""

    file: str
    positions: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: Path) -> tuple[int, int] | None:
        """The position of `path`, or of its nearest ancestor that has one."""
        path = tuple(path)
        while path:
            if path in self.positions:
                return self.positions[path]
            path = path[:-1]
        return self.positions.get((), None)

    def has(self, path: Path) -> bool:
        return tuple(path) in self.positions

    def error(self, message: str, path: Path = ()) -> BlueprintError:
        where = self.locate(path)
        line, column = where if where else (None, None)
        return BlueprintError(message, self.file, line, column)


class _Converter:
    def __init__(self, file: str):
        self.source = SourceMap(file)
        self.scalars = SafeConstructor()
        self.count = 0

    def fail(self, node: Node, message: str) -> BlueprintError:
        mark = node.start_mark
        return BlueprintError(message, self.source.file, mark.line + 1, mark.column + 1)

    def convert(self, node: Node, path: Path) -> Any:
        self.count += 1
        if len(path) > MAX_DEPTH:
            raise self.fail(node, f"values nest deeper than {MAX_DEPTH} levels (a recursive alias?)")
        if self.count > MAX_NODES:
            raise self.fail(node, f"the document expands to more than {MAX_NODES} values "
                                  "(an alias bomb?); tracegen refuses it")
        if path not in self.source.positions:
            self.source.positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, MappingNode):
            return self._mapping(node, path)
        if isinstance(node, SequenceNode):
            if node.tag != "tag:yaml.org,2002:seq":
                raise self.fail(node, f"tag {node.tag} is not allowed; blueprints are plain data")
            return [self.convert(item, path + (index,)) for index, item in enumerate(node.value)]
        return self._scalar(node)

    def _mapping(self, node: MappingNode, path: Path) -> dict[str, Any]:
        if node.tag != "tag:yaml.org,2002:map":
            raise self.fail(node, f"tag {node.tag} is not allowed; blueprints are plain data")
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise self.fail(key_node, "merge keys (<<) are not supported; write the keys out")
            if not isinstance(key_node, ScalarNode):
                raise self.fail(key_node, "mapping keys must be plain strings")
            key = str(self._scalar(key_node))
            if key in result:
                raise self.fail(key_node, f"duplicate key '{key}'")
            child = path + (key,)
            self.source.positions[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            result[key] = self.convert(value_node, child)
        return result

    def _scalar(self, node: ScalarNode) -> Any:
        if node.tag not in _SCALAR_TAGS:
            raise self.fail(node, f"tag {node.tag} is not allowed; blueprints are plain data")
        if node.tag in (_STR, "tag:yaml.org,2002:timestamp"):
            return str(node.value)
        constructor = {
            "tag:yaml.org,2002:int": self.scalars.construct_yaml_int,
            "tag:yaml.org,2002:float": self.scalars.construct_yaml_float,
            "tag:yaml.org,2002:bool": self.scalars.construct_yaml_bool,
            "tag:yaml.org,2002:null": self.scalars.construct_yaml_null,
        }[node.tag]
        return constructor(node)


def parse_yaml(text: str, file: str) -> tuple[Any, SourceMap]:
    """Parse one YAML document into plain data and its source map."""
    try:
        documents = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        raise BlueprintError(f"invalid YAML: {problem}", file,
                             mark.line + 1 if mark else None, mark.column + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise BlueprintError(f"invalid YAML: {exc}", file) from None
    documents = [doc for doc in documents if doc is not None]
    if not documents:
        raise BlueprintError("the blueprint is empty", file)
    if len(documents) > 1:
        mark = documents[1].start_mark
        raise BlueprintError("a blueprint is one YAML document; found more than one", file,
                             mark.line + 1, mark.column + 1)
    converter = _Converter(file)
    data = converter.convert(documents[0], ())
    return data, converter.source
