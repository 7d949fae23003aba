"""String literals and comment text of the languages tracegen generates source code in.

Every literal encoder emits printable ASCII only: whatever the value holds (quotes, backslashes,
line terminators including U+2028/U+2029, NUL, a BOM), the compiler reads back the same string and
no character can end the literal or the line. Comment text is for the rare place a value must be
shown to a reader: unsafe characters become `<U+XXXX>` and comment closers are broken up.
"""

from __future__ import annotations

from tracegen.encoding.text import codepoint, is_unsafe

_SHORT = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _printable_ascii(char: str) -> bool:
    return 0x20 <= ord(char) < 0x7F


def _utf16_escapes(char: str) -> str:
    point = ord(char)
    if point < 0x10000:
        return f"\\u{point:04x}"
    point -= 0x10000
    return f"\\u{0xD800 + (point >> 10):04x}\\u{0xDC00 + (point & 0x3FF):04x}"


def _no_surrogates(value: str, language: str) -> None:
    if any(0xD800 <= ord(c) <= 0xDFFF for c in value):
        raise ValueError(f"a lone surrogate cannot be written into a {language} string")


def _utf16_literal(value: str) -> str:
    return '"' + "".join(_SHORT.get(c) or (c if _printable_ascii(c) else _utf16_escapes(c)) for c in value) + '"'


def js_string(value: str) -> str:
    """A JavaScript string literal (double quotes). U+2028/U+2029 are escaped: before ES2019 they end
    a line even inside a string, and they do in a `//` comment."""
    return _utf16_literal(value)


def java_string(value: str) -> str:
    """A Java string literal. javac turns `\\uXXXX` into its character before it even lexes, so line
    feed, carriage return, quote and backslash are never written that way (`\\u000a` would end the
    line); they have short escapes. A backslash is always doubled, so a `\\u` in the value stays text."""
    return _utf16_literal(value)


def _ucs_literal(value: str, language: str) -> str:
    """`\\u`/`\\U` escapes of whole code points: Go and Python read them alike (neither has surrogates)."""
    _no_surrogates(value, language)
    out = []
    for c in value:
        if c in _SHORT:
            out.append(_SHORT[c])
        elif _printable_ascii(c):
            out.append(c)
        else:
            out.append(f"\\u{ord(c):04x}" if ord(c) < 0x10000 else f"\\U{ord(c):08x}")
    return '"' + "".join(out) + '"'


def go_string(value: str) -> str:
    """A Go interpreted string literal."""
    return _ucs_literal(value, "Go")


def python_string(value: str) -> str:
    """A Python string literal (a non-BMP character stays one character)."""
    return _ucs_literal(value, "Python")


def rust_string(value: str) -> str:
    """A Rust string literal: short escapes, printable ASCII as is, every other code point `\\u{X}`."""
    _no_surrogates(value, "Rust")
    out = []
    for c in value:
        out.append(_SHORT[c] if c in _SHORT else c if _printable_ascii(c) else f"\\u{{{ord(c):x}}}")
    return '"' + "".join(out) + '"'


def toml_string(value: str) -> str:
    """A TOML basic string (Cargo.toml): the same escapes as Go's and Python's `\\u`/`\\U`."""
    return _ucs_literal(value, "TOML")


# Comment closers and openers of the languages we generate: broken with a space.
_CLOSERS = (("*/", "* /"), ("/*", "/ *"), ('"""', '"" "'), ("'''", "'' '"), ("-->", "-- >"), ("<!--", "<! --"))


def comment(value: str) -> str:
    """Text safe inside a `//`, `#` or `/* */` comment, a Javadoc or a Python docstring: one line of
    printable characters, no closer, backslashes doubled (Java reads `\\u000a` in a comment as a
    line feed; Python reads `\\N` in a docstring as an escape)."""
    out = []
    for c in value:
        if c == "\\":
            out.append("\\\\")
        elif is_unsafe(c) or (ord(c) < 0x20):
            out.append(f"<{codepoint(c)}>")
        else:
            out.append(c)
    text = "".join(out)
    changed = True
    while changed:
        changed = False
        for closer, broken in _CLOSERS:
            if closer in text:
                text = text.replace(closer, broken)
                changed = True
    return text
