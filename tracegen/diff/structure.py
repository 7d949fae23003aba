"""The semantic differ: two parsed documents in, changes keyed by identity out.

Mappings are compared key by key. A list whose items all carry the same identity (`name`, a
builder's `gomod` module, `service`, `operation`, `containerPort`, `mountPath`, `key`) is compared item by item
under that identity (`policies[keep-slow]`, `containers[otelcol].env[GOMEMLIMIT]`); a list of
distinct scalars (a pipeline's exporters) as a set, with a reordering reported on its own (processor
order matters); any other list by position.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tracegen.diff.documents import CollectorConfig
from tracegen.diff.model import Change
from tracegen.diff.redact import REDACTED, redact, secret_at, secret_text

# Identity keys tried in order; the first every item carries, uniquely, on both sides wins.
IDENTITIES: tuple[tuple[str, Callable[[Any], Any]], ...] = (
    ("name", lambda v: v),
    ("gomod", lambda v: v.split()[0] if isinstance(v, str) and v.split() else v),
    ("service", lambda v: v),
    ("operation", lambda v: v),
    ("containerPort", lambda v: v),
    ("mountPath", lambda v: v),
    ("key", lambda v: v),
)

Judge = Callable[[str, tuple[str, ...], Any, Any, "int | None"], "str | None"]


def diff(old: Any, new: Any, judge: Judge, path: tuple[str, ...] = ()) -> list[Change]:
    """Every change from `old` to `new`; `judge(op, path, old, new, collector_root)` names the data
    a change can lose (`collector_root`: where in `path` the enclosing collector config starts)."""
    out: list[Change] = []
    _walk(old, new, path, None, judge, out)
    return out


def _walk(old: Any, new: Any, path: tuple[str, ...], root: int | None, judge: Judge, out: list[Change]) -> None:
    if isinstance(old, CollectorConfig) and isinstance(new, CollectorConfig):
        root = len(path)
    if _same(old, new):
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new), key=_order):
            _entry(old, new, key, (*path, _shown_key(key)), root, judge, out)
        return
    if isinstance(old, list) and isinstance(new, list):
        _list(old, new, path, root, judge, out)
        return
    _emit("changed", path, old, new, root, judge, out)


def _entry(old: dict, new: dict, key: Any, path: tuple[str, ...], root: int | None, judge: Judge,
           out: list[Change]) -> None:
    if key not in new:
        _emit("removed", path, old[key], None, root, judge, out)
    elif key not in old:
        _emit("added", path, None, new[key], root, judge, out)
    else:
        _walk(old[key], new[key], path, root, judge, out)


def _list(old: list, new: list, path: tuple[str, ...], root: int | None, judge: Judge, out: list[Change]) -> None:
    keyed = _keyed(old, new)
    if keyed is not None:
        before, after = keyed
        for key in sorted(set(before) | set(after), key=_order):
            _entry(before, after, key, (*path, f"[{_shown_key(key)}]"), root, judge, out)
        if [k for k in before if k in after] != [k for k in after if k in before]:
            _emit("reordered", path, list(before), list(after), root, judge, out)
        return
    if _scalar_set(old) and _scalar_set(new):
        for item in sorted(set(old) - set(new), key=_order):
            _emit("removed", (*path, f"[{_shown_key(item, path)}]"), item, None, root, judge, out)
        for item in sorted(set(new) - set(old), key=_order):
            _emit("added", (*path, f"[{_shown_key(item, path)}]"), None, item, root, judge, out)
        kept_old, kept_new = [i for i in old if i in new], [i for i in new if i in old]
        if kept_old != kept_new:
            _emit("reordered", path, old, new, root, judge, out)
        return
    if len(old) == len(new):
        for index, (a, b) in enumerate(zip(old, new)):
            _walk(a, b, (*path, f"[{index}]"), root, judge, out)
        return
    _emit("changed", path, old, new, root, judge, out)


def _keyed(old: list, new: list) -> tuple[dict, dict] | None:
    if not old and not new:
        return None
    for name, ident in IDENTITIES:
        sides = [_index(items, name, ident) for items in (old, new)]
        if sides[0] is not None and sides[1] is not None:
            return sides[0], sides[1]
    return None


def _index(items: list, name: str, ident: Callable[[Any], Any]) -> dict | None:
    out: dict = {}
    for item in items:
        if not isinstance(item, dict) or name not in item:
            return None
        key = ident(item[name])
        if not isinstance(key, (str, int, float)) or isinstance(key, bool) or key in out:
            return None
        out[key] = item
    return out


def _scalar_set(items: list) -> bool:
    return all(isinstance(i, (str, int, float, bool)) or i is None for i in items) and len(set(items)) == len(items)


def _emit(op: str, path: tuple[str, ...], old: Any, new: Any, root: int | None, judge: Judge,
          out: list[Change]) -> None:
    risk = judge(op, path, old, new, root)
    out.append(Change(op, path, _shown(old, path, op != "added"), _shown(new, path, op != "removed"), risk))


def _shown_key(key: Any, path: tuple[str, ...] = ()) -> str:
    """A key or list item as a path segment: redacted when it is a credential (by its shape, or as
    an item of a credential-named list), since paths are shown as they are."""
    text = str(key)
    return REDACTED if secret_at(path) or secret_text(text) else text


def _shown(value: Any, path: tuple[str, ...], present: bool) -> Any:
    return redact(_plain(value), path) if present else None


def _plain(value: Any) -> Any:
    """JSON-safe: mappings with string keys, lists, scalars (dates and the like as strings)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in sorted(value.items(), key=lambda kv: _order(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b if isinstance(a, bool) or isinstance(b, bool) else a == b


def _order(key: Any) -> tuple[str, str]:
    return (type(key).__name__ if not isinstance(key, (int, float)) else "0", str(key))
