"""Which characters are unsafe in blueprint text, and how messages show them without acting on them.

Unsafe: every control character (C0 including TAB, LF, CR, NUL and ESC; DEL; C1 including NEL),
format characters (BOM, zero-width and bidirectional overrides, the "Trojan Source" characters),
surrogates, private-use characters, and the Unicode line and paragraph separators U+2028/U+2029,
which end a line in JavaScript and YAML 1.1 but not in Python or Go.
"""

from __future__ import annotations

import unicodedata

UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})


def is_unsafe(char: str) -> bool:
    return unicodedata.category(char) in UNSAFE_CATEGORIES


def unsafe_characters(text: str, allow: str = "") -> list[str]:
    """The distinct unsafe characters of `text` (in order of appearance), ignoring those in `allow`."""
    if text.isascii() and text.isprintable():
        return []   # the common case, decided in C: ASCII's unsafe characters are all unprintable
    seen: dict[str, None] = {}
    for char in text:
        if char not in allow and is_unsafe(char):
            seen[char] = None
    return list(seen)


def codepoint(char: str) -> str:
    """`U+001B`: how a message names a character without printing it."""
    return f"U+{ord(char):04X}"


def terminal_safe(text: str) -> str:
    """`text` with every unsafe character shown as `\\x1b`, `\\u2028`...; line feeds inside a message
    are kept (messages are several lines), nothing else can move the cursor or recolour the terminal."""
    out = []
    for char in text:
        if char == "\n" or not is_unsafe(char):
            out.append(char)
        elif ord(char) < 0x100:
            out.append(f"\\x{ord(char):02x}")
        elif ord(char) < 0x10000:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    return "".join(out)


def terminal_line(text: str) -> str:
    """`text` as one line of a report (`file:line:col: ...`): terminal_safe, and a line feed shown as
    `\\x0a` too, so a file name or a quoted config key cannot forge a line of its own."""
    return terminal_safe(text).replace("\n", "\\x0a")
