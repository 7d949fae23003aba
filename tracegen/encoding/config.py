"""Values in configuration formats whose readers interpret some characters.

- java.util.Properties (`otel-javaagent.properties`): `Properties.load` rules.
- Environment files (`otel.env`, the Ansible `/etc/default/...` files): one format that systemd's
  EnvironmentFile= and a POSIX shell (`set -a; . ./otel.env`) read back as the same value, and
  that runs nothing when sourced.
- Collector configs: the collector expands `${...}` (env, file, http...) anywhere in a string and
  reads `$$` as a literal `$`; every string that is not a secret reference is escaped.
- SDK declarative config (opentelemetry-configuration): `${VAR}` is substituted in every scalar,
  `$$` is a literal `$`.
"""

from __future__ import annotations

import re
from typing import Any

from tracegen.encoding.text import is_unsafe

# ---------------------------------------------------------------- java.util.Properties
_PROPERTIES_SHORT = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\f": "\\f"}


def _properties(text: str, specials: str) -> str:
    out = []
    for c in text:
        if c in _PROPERTIES_SHORT:
            out.append(_PROPERTIES_SHORT[c])
        elif c in specials:
            out.append("\\" + c)
        elif 0x20 <= ord(c) < 0x7F:
            out.append(c)
        elif ord(c) < 0x10000:
            out.append(f"\\u{ord(c):04x}")
        else:   # a surrogate pair, as Properties.store writes it
            point = ord(c) - 0x10000
            out.append(f"\\u{0xD800 + (point >> 10):04x}\\u{0xDC00 + (point & 0x3FF):04x}")
    return "".join(out)


def properties_value(value: str) -> str:
    """A value as `Properties.load` reads it back: escapes as `Properties.store` writes them (`#`/`!`
    only matter at the start of a line, but escaping them anywhere is harmless)."""
    text = _properties(value, "#!")
    return "\\" + text if text.startswith(" ") else text


def properties_key(key: str) -> str:
    return _properties(key, "#!=: ")


# ---------------------------------------------------------------- environment files
# Characters no reader treats specially: such a value is written bare (docker --env-file, which
# takes everything after `=` literally, reads it the same).
_BARE = re.compile(r"^[A-Za-z0-9_.,:/=@%+\-]*$")
# Inside double quotes, systemd (SHELL_NEED_ESCAPE) and POSIX sh both take a backslash as an escape
# before exactly these four characters.
_DOUBLE_QUOTED_SPECIALS = '"\\`$'


def env_file_value(value: str) -> str:
    """`NAME=<this>` read back as `value` by systemd's EnvironmentFile= and by `sh`'s `.`."""
    bad = [c for c in value if is_unsafe(c)]
    if bad:
        # A line feed would start a new assignment; systemd and sh disagree on the rest.
        raise ValueError(f"control character U+{ord(bad[0]):04X} cannot be written into an environment file")
    if _BARE.match(value):
        return value
    return '"' + "".join("\\" + c if c in _DOUBLE_QUOTED_SPECIALS else c for c in value) + '"'


def shell_word(value: str) -> str:
    """One POSIX shell word: bare when plainly safe, else single-quoted (a `'` as `'\\''`)."""
    if value and _BARE.match(value):
        return value
    return "'" + value.replace("'", "'\\''") + "'"


# ---------------------------------------------------------------- collector and SDK config
def collector_text(value: str) -> str:
    """A string the collector will not expand: every `$` doubled."""
    return value.replace("$", "$$")


def declarative_text(value: str) -> str:
    """A string the SDK declarative-config loader will not substitute: every `$` doubled."""
    return value.replace("$", "$$")


def collector_config(data: Any) -> Any:
    """A collector config (plain data) with every string escaped but the references tracegen put
    there on purpose (`tracegen.secrets.Reference`), which the collector must expand. Mapping keys
    are left as they are: the collector expands values only, and every key tracegen writes is a
    validated name (component ids, attribute keys, header names)."""
    from tracegen.secrets import Reference

    if isinstance(data, Reference):
        return str(data)
    if isinstance(data, str):
        return collector_text(data)
    if isinstance(data, dict):
        return {key: collector_config(value) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [collector_config(item) for item in data]
    return data


def prometheus_template_text(value: str) -> str:
    """Text Prometheus's alert templating leaves as written (alert labels and annotations are Go
    templates): each `{{` or `}}` becomes an action that prints it as a string constant."""
    return re.sub(r"\{\{|\}\}", lambda m: '{{ "' + m.group(0) + '" }}', value)
