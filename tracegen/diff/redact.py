"""Secrets never reach a diff. The words and shapes are tracegen.secrets' (one policy); this module
only applies them to what a diff shows: a value under a credential-named key or header, a value
shaped like a credential, and every `${env:...}` reference is shown as `<redacted>` — also when it
changed, so a diff never tells old from new secret."""

from __future__ import annotations

import re
from typing import Any

from tracegen import secrets

REDACTED = "<redacted>"
# A list item that is a named setting (`env: [{name: DD_API_KEY, value: ...}]`, k8s httpHeaders).
_NAMED_VALUE_KEYS = ("value", "valueFrom")
_SECRET_DATA = ("data", "stringData")


def secret_setting(key: Any) -> bool:
    """A key or header name whose value is a credential (`api_key`, `x-honeycomb-team`, `DD_API_KEY`)."""
    if not isinstance(key, str):
        return False
    bare = key[1:-1] if key.startswith("[") and key.endswith("]") else key
    # A list of them (`api_keys`, `tokens`) holds credentials as its singular does.
    return any(name.lower() in secrets.SECRET_HEADERS or secrets.secret_key(name)
               for name in {bare, bare.removesuffix("s")})


def secret_text(value: str) -> bool:
    """A value that is a credential by its shape, or refers to one."""
    return bool(secrets.REFERENCE_ANYWHERE.search(value)) or secrets.secret_value(value)


def secret_at(path: tuple[str, ...]) -> bool:
    """The value at `path` is a credential by where it sits: under a credential-named key, or the
    `value` of a named item whose name is one."""
    if not path:
        return False
    if secret_setting(path[-1]):
        return True
    if len(path) >= 2 and "/Secret/" in path[0] and path[1] in _SECRET_DATA:     # a Kubernetes Secret's values
        return True
    items = len(path) - 1
    while items > 0 and path[items].startswith("["):       # an item of a credential-named list
        items -= 1
    if items < len(path) - 1 and secret_setting(path[items]):
        return True
    return len(path) >= 2 and path[-1] in _NAMED_VALUE_KEYS and secret_setting(path[-2])


def redact(value: Any, path: tuple[str, ...] = ()) -> Any:
    """`value` (found at `path`) with every credential replaced, recursively."""
    if secret_at(path):
        return REDACTED
    if isinstance(value, dict):
        named = value.get("name")
        out = {}
        for key, item in value.items():
            if (key in _NAMED_VALUE_KEYS and secret_setting(named)) or (
                    key in _SECRET_DATA and value.get("kind") == "Secret"):
                out[key] = REDACTED
            else:
                out[key] = redact(item, (*path, str(key)))
        return out
    if isinstance(value, (list, tuple)):
        return [redact(item, path) if not isinstance(item, (dict, list)) else redact(item, (*path, "[]"))
                for item in value]
    if isinstance(value, str):
        return _redact_string(value)
    return value


def _redact_string(value: str) -> str:
    if secret_text(value) and "\n" not in value:
        return REDACTED
    return "\n".join(redact_line(line) for line in value.split("\n"))


# The key of `key: value`, `key=value`, `"key": "value"`, `--key=value`, `h1=v1,h2=v2`.
_KEY = re.compile(r"""(?P<key>[A-Za-z_][\w.-]*)["']?\s*[:=]""")
_WORD = re.compile(r"\S+")


def redact_line(line: str) -> str:
    """One line of text with credentials replaced: references, credential-shaped words (and the word
    after an auth scheme: `Bearer <token>`), and the rest of the line after a credential-named key.
    What still looks like a credential after that is redacted whole (over-redacting is the safe mistake)."""
    line = secrets.REFERENCE_ANYWHERE.sub(REDACTED, line)
    words = _WORD.findall(line)
    for index, word in enumerate(words):
        pair = f"{words[index - 1]} {word}" if index else ""
        if secrets.secret_value(word.strip("\"',;")) or (pair and secrets.secret_value(pair)):
            words[index] = REDACTED
    line = _rejoin(line, words)
    for match in _KEY.finditer(line):
        if secret_setting(match.group("key")):
            rest = line[match.end():]
            if rest.strip() and rest.strip(" \"',;") != REDACTED:
                line = line[:match.end()] + (" " if rest.startswith(" ") else "") + REDACTED
                break
    return REDACTED if secrets.secret_value(line.replace(REDACTED, " ").strip()) else line


def _rejoin(line: str, words: list[str]) -> str:
    """`line` with its words replaced by `words`, the whitespace between them kept."""
    pieces = iter(words)
    return _WORD.sub(lambda _: next(pieces), line)
