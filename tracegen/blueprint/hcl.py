"""Read the blueprint written in HCL into the same plain data as the YAML form, with positions.

HCL spelling of the model: sections are blocks (`standards { ... }`), named things are labelled
blocks (`service "checkout" { ... }`, `environment "prod" { ... }`, `backend "jaeger" { ... }`,
`mode "incident" { ... }`, `group "web" { ... }`), repeated unlabelled blocks become lists
(`policy { ... }`, `suppress { ... }`), everything else is an attribute (`version = "1.4.2"`).
Write `$${env:NAME}` for a secret reference (HCL's escape of `${`).

This is a small parser of the part of HCL a blueprint needs, not a general HCL implementation:
attributes whose values are literals (quoted strings, heredocs, numbers, true/false/null, lists and
objects of those) and blocks. Whatever HCL would evaluate is refused with its position, because a
blueprint is data: references (`var.x`), function calls, operators, conditionals, for-expressions,
template interpolations `${...}` and directives `%{...}` (`$${` and `%%{` are HCL's escapes and
read as `${` and `%{`). A heredoc (`<<EOF`, `<<-EOF`) is a plain multi-line string.

One pass over the text, so loading is linear in its size. Every key keeps its line and column; an
attribute or block given twice is refused; values nest at most MAX_DEPTH levels. Error messages
name the kind of token found, never its text (it may be a secret).
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from tracegen.blueprint.source import MAX_DEPTH, Path, SourceMap
from tracegen.errors import BlueprintError

# block name -> (key in the model, labelled?)
BLOCKS = {
    "service": ("services", True),
    "environment": ("environments", True),
    "backend": ("backends", True),
    "mode": ("modes", True),
    "group": ("groups", True),
    "policy": ("policies", False),
    "add_policy": ("add_policies", False),
    "suppress": ("suppress", False),
    "pii": ("pii", False),
    "high_cardinality": ("high_cardinality", False),
}

_TOKENS = re.compile(r"""
    (?P<newline>\n)
  | (?P<space>[ \t\r]+)
  | (?P<comment>\#[^\n]*|//[^\n]*|/\*.*?\*/)
  | (?P<heredoc><<-?[A-Za-z_][A-Za-z0-9_-]*[ \t\r]*\n)
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<number>-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?(?![A-Za-z0-9_.]))
  | (?P<word>-?[0-9][A-Za-z0-9_.:/+-]*)
  | (?P<name>[A-Za-z_][A-Za-z0-9_-]*)
  | (?P<punct>[{}\[\]=,:])
  | (?P<other>.)
""", re.VERBOSE | re.DOTALL)
_KIND = {"newline": "the end of the line", "string": "a quoted string", "heredoc": "a heredoc",
         "number": "a number", "name": "a name", "word": "unquoted text", "eof": "the end of the file"}
_TEMPLATE = re.compile(r"\$\$\{|%%\{|\$\{|%\{")
_ESCAPE = re.compile(r"\\(?:([ntr\"\\])|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|(.))", re.DOTALL)
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
_EXPRESSION = ("expressions are not supported in a blueprint (references such as var.x, function "
               "calls, operators, conditionals, for-expressions); write a literal value, text in quotes")


class Token(NamedTuple):
    kind: str
    text: str
    line: int
    column: int


def _hint(token: Token) -> str:
    """Where a name or a symbol turns up mid-value, the author most likely wrote an expression."""
    return "; " + _EXPRESSION if token.kind in ("punct", "other", "name", "word") else ""


def describe(token: Token) -> str:
    """What was found, without the text itself: a symbol is shown, a name or value is only named."""
    if token.kind in ("punct", "other"):
        return repr(token.text) if token.text.isprintable() else "a control character"
    return _KIND[token.kind]


class _Reader:
    def __init__(self, text: str, file: str):
        self.file = file
        self.tokens = list(self._scan(text))
        self.at = 0
        self.source = SourceMap(file)

    # ------------------------------------------------------------------ tokens
    def _scan(self, text: str):
        line, line_start, offset, end = 1, 0, 0, len(text)
        while offset < end:
            match = _TOKENS.match(text, offset)
            kind, value = match.lastgroup, match.group()
            column = offset - line_start + 1
            if kind == "string" or (kind == "other" and value == '"'):
                if kind == "other":
                    raise BlueprintError("a quoted string is not closed on its line", self.file, line, column)
                yield Token("string", _string(value[1:-1], self.file, line, column + 1), line, column)
            elif kind == "heredoc":
                value, offset, lines = _heredoc(text, match, self.file, line, column)
                yield Token("heredoc", value, line, column)
                line += lines
                line_start = text.rfind("\n", 0, offset) + 1
                continue
            elif kind not in ("space", "comment"):
                yield Token(kind, value, line, column)
            newlines = value.count("\n")
            if newlines:
                line += newlines
                line_start = offset + value.rfind("\n") + 1
            offset = match.end()
        yield Token("eof", "", line, offset - line_start + 1)

    def peek(self) -> Token:
        return self.tokens[self.at]

    def take(self) -> Token:
        token = self.tokens[self.at]
        if token.kind != "eof":
            self.at += 1
        return token

    def skip_newlines(self) -> None:
        while self.tokens[self.at].kind == "newline":
            self.at += 1

    def is_punct(self, token: Token, symbol: str) -> bool:
        return token.kind == "punct" and token.text == symbol

    def fail(self, token: Token, message: str) -> BlueprintError:
        return BlueprintError(message, self.file, token.line, token.column)

    def expect(self, symbol: str, what: str) -> Token:
        token = self.take()
        if not self.is_punct(token, symbol):
            raise self.fail(token, f"expected '{symbol}' {what}, found {describe(token)}")
        return token

    def mark(self, path: Path, token: Token) -> None:
        self.source.positions.setdefault(path, (token.line, token.column))

    # ------------------------------------------------------------------ structure
    def body(self, path: Path, depth: int, opened: Token | None) -> dict[str, Any]:
        """Attributes and blocks up to the closing brace (or the end of the file at the top)."""
        out: dict[str, Any] = {}
        given: dict[str, tuple[str, Token]] = {}    # model key -> (how it was given, first token)
        while True:
            self.skip_newlines()
            token = self.take()
            if opened is not None and self.is_punct(token, "}"):
                return out
            if token.kind == "eof":
                if opened is not None:
                    raise self.fail(opened, "this block is not closed (no matching '}')")
                return out
            if token.kind != "name":
                raise self.fail(token, f"expected an attribute name or a block, found {describe(token)}")
            if self.is_punct(self.peek(), "="):
                self.take()
                self._given(given, token.text, "attribute", token)
                self.mark(path + (token.text,), token)
                out[token.text] = self.value(path + (token.text,), depth)
            else:
                self.block(out, given, token, path, depth)
            after = self.peek()
            if not (after.kind in ("newline", "eof") or (opened is not None and self.is_punct(after, "}"))):
                raise self.fail(after, f"expected the end of the line after '{token.text}', found {describe(after)}"
                                + _hint(after))

    def _given(self, given: dict, key: str, how: str, token: Token) -> None:
        if key in given:
            first_how, first = given[key]
            if not (how == first_how and how in ("labelled", "list")):
                raise self.fail(token, f"'{key}' is given twice (first at line {first.line}); give it once")
        else:
            given[key] = (how, token)

    def block(self, out: dict, given: dict, name: Token, path: Path, depth: int) -> None:
        labels = []
        while self.peek().kind in ("string", "name"):
            labels.append(self.take())
        opened = self.expect("{", f"to open the block '{name.text}'")
        if depth + 1 > MAX_DEPTH:
            raise self.fail(opened, f"values nest deeper than {MAX_DEPTH} levels; tracegen refuses it")
        target, labelled = BLOCKS.get(name.text, (name.text, None))
        if len(labels) > 1:
            raise self.fail(labels[1], f"block '{name.text}' takes at most one label")
        if labels and labelled is False:
            raise self.fail(labels[0], f"block '{name.text}' takes no label")
        if not labels and labelled:
            raise self.fail(name, f"block '{name.text}' needs a name: {name.text} \"name\" {{ ... }}")
        if labels:
            label = labels[0].text
            self._given(given, target, "labelled", name)
            container = out.setdefault(target, {})
            if label in container:
                raise self.fail(labels[0], f"duplicate {name.text} block \"{label}\"")
            child = path + (target, label)
            self.mark(path + (target,), name)
            self.mark(child, name)
            container[label] = self.body(child, depth + 1, opened)
        elif labelled is False:
            self._given(given, target, "list", name)
            items = out.setdefault(target, [])
            child = path + (target, len(items))
            self.mark(path + (target,), name)
            self.mark(child, name)
            items.append(self.body(child, depth + 1, opened))
        else:
            self._given(given, target, "block", name)
            self.mark(path + (target,), name)
            out[target] = self.body(path + (target,), depth + 1, opened)

    def value(self, path: Path, depth: int) -> Any:
        token = self.take()
        if token.kind in ("string", "heredoc"):
            return token.text
        if token.kind == "number":
            self.source.texts[path] = token.text
            is_float = any(c in token.text for c in ".eE")
            return float(token.text) if is_float else int(token.text)
        if token.kind == "name" and token.text in ("true", "false", "null"):
            self.source.texts[path] = token.text
            return None if token.text == "null" else token.text == "true"
        if self.is_punct(token, "[") or self.is_punct(token, "{"):
            if depth + 1 > MAX_DEPTH:
                raise self.fail(token, f"values nest deeper than {MAX_DEPTH} levels; tracegen refuses it")
            return self.sequence(path, depth + 1) if token.text == "[" else self.mapping(path, depth + 1, token)
        if token.kind in ("newline", "eof"):
            raise self.fail(token, "a value is missing after '='")
        if token.kind == "word":
            raise self.fail(token, "unquoted text where a value belongs; write text in quotes")
        raise self.fail(token, f"found {describe(token)} where a value belongs; " + _EXPRESSION)

    def sequence(self, path: Path, depth: int) -> list[Any]:
        items: list[Any] = []
        while True:
            self.skip_newlines()
            if self.is_punct(self.peek(), "]"):
                self.take()
                return items
            child = path + (len(items),)
            self.mark(child, self.peek())
            items.append(self.value(child, depth))
            self.skip_newlines()
            token = self.take()
            if self.is_punct(token, "]"):
                return items
            if not self.is_punct(token, ","):
                raise self.fail(token, f"expected ',' or ']' in a list, found {describe(token)}" + _hint(token))

    def mapping(self, path: Path, depth: int, opened: Token) -> dict[str, Any]:
        out: dict[str, Any] = {}
        while True:
            self.skip_newlines()
            key = self.take()
            if self.is_punct(key, "}"):
                return out
            if key.kind not in ("name", "string"):
                raise self.fail(key, f"expected a key in an object, found {describe(key)}")
            separator = self.take()
            if not (self.is_punct(separator, "=") or self.is_punct(separator, ":")):
                raise self.fail(separator, f"expected '=' after the key '{key.text}', found {describe(separator)}"
                                + _hint(separator))
            if key.text in out:
                raise self.fail(key, f"duplicate key '{key.text}'")
            self.mark(path + (key.text,), key)
            out[key.text] = self.value(path + (key.text,), depth)
            token = self.peek()
            if self.is_punct(token, ","):
                self.take()
            elif self.is_punct(token, "}"):
                continue
            elif token.kind != "newline":
                raise self.fail(token, f"expected ',', a new line or '}}' in an object, found {describe(token)}"
                                + _hint(token))


# ---------------------------------------------------------------------- literals
def _template_check(text: str, file: str, line: int, column: int) -> None:
    for match in _TEMPLATE.finditer(text):
        if match.group() in ("${", "%{"):
            before = text[:match.start()]
            at_line = line + before.count("\n")
            at_column = (column + match.start()) if "\n" not in before else match.start() - before.rfind("\n")
            hint = ("template interpolation ${...} is not supported; write $${env:NAME} for a secret reference "
                    "(HCL's escape of ${)" if match.group() == "${" else
                    "template directive %{...} is not supported; write %%{ for a literal %{")
            raise BlueprintError(hint, file, at_line, at_column)


def _unescape_templates(text: str) -> str:
    return _TEMPLATE.sub(lambda m: m.group()[1:] if m.group() in ("$${", "%%{") else m.group(), text)


def _string(body: str, file: str, line: int, column: int) -> str:
    """The value of a quoted string's body: HCL escapes, `$${` -> `${`, interpolation refused."""
    _template_check(body, file, line, column)

    def escape(match: re.Match) -> str:
        simple, short, long, bad = match.groups()
        if bad is not None:
            raise BlueprintError("unknown escape sequence in a string (HCL knows \\n \\t \\r \\\" \\\\ \\uNNNN "
                                 "\\UNNNNNNNN)", file, line, column + match.start())
        if simple is not None:
            return _SIMPLE_ESCAPES[simple]
        code = int(short or long, 16)
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise BlueprintError("the escape names no Unicode character", file, line, column + match.start())
        return chr(code)

    return _unescape_templates(_ESCAPE.sub(escape, body))


def _heredoc(text: str, match: re.Match, file: str, line: int, column: int) -> tuple[str, int, int]:
    """(value, offset of the closing marker line's end, newlines consumed) of `<<ID` or `<<-ID`."""
    opener = match.group().strip()
    indented, marker = opener.startswith("<<-"), opener.lstrip("<-")
    offset = match.end()
    lines: list[str] = []
    while True:
        if offset >= len(text):
            raise BlueprintError(f"the heredoc is not closed (no line with only its marker {marker})",
                                 file, line, column)
        newline = text.find("\n", offset)
        end = len(text) if newline == -1 else newline
        current = text[offset:end].rstrip("\r")
        if current.strip() == marker:
            offset = end        # the line's end is the attribute's end: the reader sees it next
            break
        lines.append(current)
        offset = end + 1
    if indented:
        margin = min((len(x) - len(x.lstrip(" \t")) for x in lines if x.strip()), default=0)
        lines = [x[margin:] for x in lines]
    value = "".join(x + "\n" for x in lines)
    _template_check(value, file, line + 1, 1)
    consumed = 1 + len(lines)
    return _unescape_templates(value), offset, consumed


def parse_hcl(text: str, file: str) -> tuple[Any, SourceMap]:
    """Parse HCL blueprint text into plain data and its source map; BlueprintError on anything else."""
    try:
        reader = _Reader(text, file)
        if all(token.kind in ("newline", "eof") for token in reader.tokens):
            raise BlueprintError("the blueprint is empty", file)
        reader.source.positions[()] = (1, 1)
        data = reader.body((), 0, None)
    except BlueprintError as error:
        raise (error if error.line is None else _invalid(error)) from None
    return data, reader.source


def _invalid(error: BlueprintError) -> BlueprintError:
    return BlueprintError(f"invalid HCL: {error.message}", error.file, error.line, error.column)


# ---------------------------------------------------------------------- writing
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def dumps(data: dict[str, Any]) -> str:
    """Plain blueprint data as HCL attributes (`key = value`, objects for mappings) that parse_hcl
    reads back to the same data. Non-finite numbers and top-level keys that are not HCL identifiers
    have no HCL spelling and are refused (ValueError)."""
    names = [str(key) for key in data]
    if not all(_IDENTIFIER.match(name) for name in names):
        raise ValueError("a top-level key that is not an HCL identifier")
    return "".join(f"{name} = {_literal(value, 0)}\n" for name, value in zip(names, data.values()))


def _key(key: Any) -> str:
    key = str(key)
    return key if _IDENTIFIER.match(key) and key not in ("true", "false", "null") else _quoted(key)


def _quoted(text: str) -> str:
    escaped = (text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
               .replace("\t", "\\t").replace("${", "$${").replace("%{", "%%{"))
    return '"' + "".join(c if c.isprintable() or c == " " else f"\\U{ord(c):08X}" for c in escaped) + '"'


def _literal(value: Any, indent: int) -> str:
    pad = "  " * (indent + 1)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("HCL has no spelling for infinity or NaN")
        return repr(value)
    if isinstance(value, str):
        return _quoted(value)
    if isinstance(value, list):
        return "[" + ", ".join(_literal(item, indent) for item in value) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        body = "".join(f"{pad}{_key(k)} = {_literal(v, indent + 1)}\n" for k, v in value.items())
        return "{\n" + body + "  " * indent + "}"
    raise TypeError(f"no HCL spelling for {type(value).__name__}")
