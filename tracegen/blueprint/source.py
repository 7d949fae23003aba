"""Parse YAML into plain data while keeping where every value came from.

We compose (never construct) so no YAML tag can build a Python object, we count nodes so an alias
bomb stops early, and we record `path -> (line, column)` for every mapping key and sequence item.

Plain scalars resolve by the YAML 1.2 core schema, not PyYAML's YAML 1.1 default: `NO`, `on`, `y`
stay text (1.1 made them booleans), `017` is seventeen, `1_000` and `2026-01-01` are text, and
`0o17`/`0x1F` are integers. Values nest at most MAX_DEPTH levels; deeper input is refused while it
is being composed, before any recursion can run away. Parse errors name the position and the kind
of problem, never the text the parser choked on (it may be a secret).
"""

from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from tracegen.blueprint.yaml_events import parse_plain
from tracegen.errors import BlueprintError

Path = tuple[str | int, ...]

MAX_DEPTH = 40       # levels of nested mappings/sequences (the schema needs about 8); YAML and HCL alike
# Values a document may expand to: at least this, and as many as its text can hold without aliases
# (every value takes two characters or more, `- 1`, `a: 1`, `[1,1]`), so only aliases can exceed it.
# A blueprint of ten thousand services (~20 values each) is within; alias bombs are far above.
MAX_NODES = 200_000
_STR = "tag:yaml.org,2002:str"
_INT, _FLOAT = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
_BOOL, _NULL = "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null"
_SCALAR_TAGS = {_STR, _INT, _FLOAT, _BOOL, _NULL, "tag:yaml.org,2002:timestamp"}

# The YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution).
_CORE_RESOLVERS = [
    (_NULL, r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    (_BOOL, r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    (_INT, r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", list("-+0123456789")),
    (_FLOAT, r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
             r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", list("-+.0123456789")),
    ("tag:yaml.org,2002:merge", r"^(?:<<)$", ["<"]),  # not YAML 1.2; kept so `<<` is refused by name
]


class _DepthLimit:
    """PyYAML's Python Composer with a nesting limit enforced while composing."""

    _depth = 0

    def compose_node(self, parent, index):  # noqa: D401 - PyYAML's hook
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH + 1:
                mark = self.peek_event().start_mark
                raise BlueprintError(f"values nest deeper than {MAX_DEPTH} levels; tracegen refuses it",
                                     self.name if self.name != "<unicode string>" else None,
                                     mark.line + 1, mark.column + 1)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class BlueprintYamlLoader(_DepthLimit, yaml.SafeLoader):
    """SafeLoader with YAML 1.2 core resolution and a nesting limit enforced while composing."""

    yaml_implicit_resolvers: dict = {}


for _tag, _pattern, _first in _CORE_RESOLVERS:
    BlueprintYamlLoader.add_implicit_resolver(_tag, re.compile(_pattern), _first)

try:
    from yaml._yaml import CParser
except ImportError:   # pragma: no cover - PyYAML without libyaml
    CParser = None

if CParser is not None:
    class _FastYamlLoader(_DepthLimit, yaml.composer.Composer, CParser, yaml.resolver.Resolver):
        """libyaml scans and parses (the pure-Python scanner was most of a large blueprint's load);
        PyYAML's Python Composer builds the nodes, so marks, the nesting limit and the core schema's
        resolution are the same as BlueprintYamlLoader's."""

        yaml_implicit_resolvers = BlueprintYamlLoader.yaml_implicit_resolvers

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.resolver.Resolver.__init__(self)
else:   # pragma: no cover - PyYAML without libyaml
    _FastYamlLoader = None


@dataclass
class SourceMap:
    """Where each path of the loaded data stands in the file (1-based line and column)."""

    file: str
    positions: dict[Path, tuple[int, int]] = field(default_factory=dict)
    # How a number, boolean or null was written (unquoted), for messages like "quote 1.10".
    texts: dict[Path, str] = field(default_factory=dict)

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
    def __init__(self, file: str, text_length: int = 0):
        self.source = SourceMap(file)
        self.count = 0
        self.limit = max(MAX_NODES, text_length // 2)

    def fail(self, node: Node, message: str) -> BlueprintError:
        mark = node.start_mark
        return BlueprintError(message, self.source.file, mark.line + 1, mark.column + 1)

    def convert(self, node: Node, path: Path) -> Any:
        self.count += 1
        if len(path) > MAX_DEPTH:
            raise self.fail(node, f"values nest deeper than {MAX_DEPTH} levels (a recursive alias?)")
        if self.count > self.limit:
            raise self.fail(node, f"the document expands to more than {self.limit} values "
                                  "(an alias bomb?); tracegen refuses it")
        if path not in self.source.positions:
            self.source.positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, MappingNode):
            return self._mapping(node, path)
        if isinstance(node, SequenceNode):
            if node.tag != "tag:yaml.org,2002:seq":
                raise self.fail(node, f"tag {_tag_name(node.tag)} is not allowed; blueprints are plain data")
            return [self.convert(item, path + (index,)) for index, item in enumerate(node.value)]
        return self._scalar(node, path)

    def _mapping(self, node: MappingNode, path: Path) -> dict[str, Any]:
        if node.tag != "tag:yaml.org,2002:map":
            raise self.fail(node, f"tag {_tag_name(node.tag)} is not allowed; blueprints are plain data")
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise self.fail(key_node, "merge keys (<<) are not supported; write the keys out")
            if not isinstance(key_node, ScalarNode):
                raise self.fail(key_node, "mapping keys must be plain strings")
            self._scalar(key_node)          # refuses tags; keys are the text as written
            key = str(key_node.value)
            if key in result:
                raise self.fail(key_node, f"duplicate key '{key}'")
            child = path + (key,)
            self.source.positions[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            result[key] = self.convert(value_node, child)
        return result

    def _scalar(self, node: ScalarNode, path: Path | None = None) -> Any:
        if node.tag not in _SCALAR_TAGS:
            raise self.fail(node, f"tag {_tag_name(node.tag)} is not allowed; blueprints are plain data")
        try:
            value = core_scalar(node.tag, node.value)
        except ValueError:
            raise self.fail(node, f"the value is not a valid {node.tag.rsplit(':', 1)[-1]}") from None
        # Plain style is None from PyYAML's parser and '' from libyaml's.
        if path is not None and not isinstance(value, str) and not node.style:
            self.source.texts[path] = node.value
        return value


def _tag_name(tag: str) -> str:
    """A YAML-defined tag by name; a local one (`!whatever`) is not echoed, it is text from the file."""
    return tag if tag.startswith("tag:yaml.org,2002:") else "(a local tag)"


def core_scalar(tag: str, text: str) -> Any:
    """The value of a scalar of a YAML 1.2 core schema tag (explicit tags too: `!!int 0x1F`)."""
    if tag == _NULL:
        if text not in ("~", "null", "Null", "NULL", ""):
            raise ValueError(text)
        return None
    if tag == _BOOL:
        if text.lower() not in ("true", "false"):
            raise ValueError(text)
        return text.lower() == "true"
    if tag == _INT:
        body = text.lstrip("+-")
        sign = -1 if text.startswith("-") else 1
        if body[:2] in ("0o", "0x"):
            return sign * int(body[2:], 8 if body[1] == "o" else 16)
        return int(text, 10)
    if tag == _FLOAT:
        special = text.lstrip("+-").lower()
        if special in (".inf", ".nan"):
            return (-math.inf if text.startswith("-") else math.inf) if special == ".inf" else math.nan
        return float(text)
    return str(text)   # str, and timestamps: the schema has no date fields


def parse_yaml(text: str, file: str, paths: str = "all") -> tuple[Any, SourceMap]:
    """Parse one YAML document into plain data and its source map. `paths` is for tests that compare
    them: "all" (libyaml's events straight to data, else libyaml under the Python composer, else
    pure Python), "composer" (the latter two), "python" (pure Python only)."""
    if paths == "all":
        fast = parse_plain(text, file, BlueprintYamlLoader.yaml_implicit_resolvers, _SCALAR_TAGS, core_scalar,
                           SourceMap, MAX_DEPTH, max(MAX_NODES, len(text) // 2))
        if fast is not None:
            return fast
    documents = _compose_all(text, file, libyaml=paths != "python")
    if not documents:
        raise BlueprintError("the blueprint is empty", file)
    if len(documents) > 1:
        mark = documents[1].start_mark
        raise BlueprintError("a blueprint is one YAML document; found more than one", file,
                             mark.line + 1, mark.column + 1)
    converter = _Converter(file, len(text))
    data = converter.convert(documents[0], ())
    return data, converter.source


def parse_yaml_documents(text: str, file: str) -> list[tuple[Any, SourceMap]]:
    """Every non-empty document of a YAML stream (a Kubernetes manifest file, a collector config), each
    as plain data with its source map, under the same limits and redaction as `parse_yaml`."""
    result = []
    for document in _compose_all(text, file):
        converter = _Converter(file, len(text))
        result.append((converter.convert(document, ()), converter.source))
    return result


def _compose_all(text: str, file: str, libyaml: bool = True) -> list[Node]:
    if libyaml and _FastYamlLoader is not None:
        try:
            return _compose_with(_FastYamlLoader, text, file)
        except (yaml.YAMLError, BlueprintError):
            # Bad input: the pure-Python parser says what and where, as it always has (libyaml's
            # reader counts bytes, not characters, and words some problems differently).
            pass
    return _compose_with(BlueprintYamlLoader, text, file)


def _compose_with(loader_class: type, text: str, file: str) -> list[Node]:
    if loader_class is _FastYamlLoader:
        loader = loader_class(text)
        loader.name = file
        try:
            documents = []
            while loader.check_node():
                documents.append(loader.get_node())
        finally:
            loader.dispose()
        return [doc for doc in documents if doc is not None]
    loader = None
    try:
        loader = loader_class(text)   # the reader refuses disallowed characters already here
        loader.name = file
        documents = []
        while loader.check_node():
            documents.append(loader.get_node())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = redact(exc.problem or exc.context or "invalid YAML")
        raise BlueprintError(f"invalid YAML: {problem}", file,
                             mark.line + 1 if mark else None, mark.column + 1 if mark else None) from None
    except yaml.reader.ReaderError as exc:   # a character YAML does not allow, at a character offset
        before = text[:exc.position]
        raise BlueprintError(f"invalid YAML: character U+{exc.character:04X} is not allowed in YAML", file,
                             before.count("\n") + 1, exc.position - before.rfind("\n")) from None
    except yaml.YAMLError as exc:
        raise BlueprintError(f"invalid YAML: {redact(str(exc).splitlines()[0])}", file) from None
    finally:
        if loader is not None:
            loader.dispose()
    return [doc for doc in documents if doc is not None]


_TOKEN_KIND = re.compile(r"<[a-z ]+>")   # PyYAML names tokens like '<block mapping start>'
_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'" + r'|"(?:[^"\\]|\\.)*"')


def redact(problem: str) -> str:
    """A parser's message without the text it quoted: one character stays (it names the problem,
    `found character '\\t'`), as does a token kind (`'<block end>'`); anything else (an alias, a
    tag, a scalar) becomes `(text withheld)`."""

    def keep_or_hide(match: re.Match) -> str:
        try:
            value = ast.literal_eval(match.group(0))
        except (ValueError, SyntaxError):
            return "(text withheld)"
        shown = isinstance(value, str) and (len(value) == 1 or _TOKEN_KIND.fullmatch(value))
        return match.group(0) if shown else "(text withheld)"

    return _QUOTED.sub(keep_or_hide, problem)
