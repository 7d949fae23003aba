"""Read the blueprint written in HCL (python-hcl2) into the same plain data as the YAML form.

HCL spelling of the model: sections are blocks (`standards { ... }`), named things are labelled
blocks (`service "checkout" { ... }`, `environment "prod" { ... }`, `backend "jaeger" { ... }`,
`mode "incident" { ... }`, `group "web" { ... }`), repeated unlabelled blocks become lists
(`policy { ... }`, `suppress { ... }`), everything else is an attribute (`version = "1.4.2"`).
Write `$${env:NAME}` for a secret reference (HCL's escape of `${`).

python-hcl2 does not report positions of attributes, so positions are recovered from the text:
a block's label line, then the first `key =` after it. Good enough to point a person at the line.
"""

from __future__ import annotations

import re
from typing import Any

from tracegen.blueprint.source import Path, SourceMap
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
_META = {"__is_block__", "__start_line__", "__end_line__", "__comments__", "__inline_comments__"}


def _unescape(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("$${", "${")
    return value


def _normalise(value: Any, file: str) -> Any:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key in _META:
                continue
            if isinstance(item, list) and item and all(isinstance(x, dict) and x.get("__is_block__")
                                                       or _is_labelled(x) for x in item):
                target, labelled = BLOCKS.get(key, (key, False))
                if labelled or _is_labelled(item[0]):
                    merged = out.setdefault(target, {})
                    for entry in item:
                        for label, body in entry.items():
                            if label in _META:
                                continue
                            if label in merged:
                                raise BlueprintError(f"duplicate {key} block \"{label}\"", file)
                            merged[label] = _normalise(body, file)
                elif key in BLOCKS:
                    out[target] = [_normalise(entry, file) for entry in item]
                elif len(item) == 1:
                    out[target] = _normalise(item[0], file)
                else:
                    raise BlueprintError(f"block '{key}' is given {len(item)} times; give it once", file)
                continue
            out[key] = _normalise(item, file)
        return out
    if isinstance(value, list):
        return [_normalise(item, file) for item in value]
    return _unescape(value)


def _is_labelled(entry: Any) -> bool:
    """A labelled block serialises as {label: {..., __is_block__: True}}."""
    return (isinstance(entry, dict) and len([k for k in entry if k not in _META]) == 1
            and not entry.get("__is_block__")
            and all(isinstance(v, dict) and v.get("__is_block__") for k, v in entry.items() if k not in _META))


def _positions(text: str, data: Any, file: str) -> SourceMap:
    lines = text.splitlines()
    source = SourceMap(file)
    reverse = {target: name for name, (target, _) in BLOCKS.items()}

    def find(pattern: str, start: int) -> int | None:
        regex = re.compile(pattern)
        for number in range(start, len(lines)):
            if regex.search(lines[number]):
                return number
        return None

    def walk(value: Any, path: Path, start: int) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                block = reverse.get(key)
                if block and isinstance(item, dict):
                    for label, body in item.items():
                        at = find(rf'^\s*{re.escape(block)}\s+"{re.escape(label)}"', start)
                        if at is None:
                            at = find(rf'^\s*"?{re.escape(label)}"?\s*=', start)
                        here = at if at is not None else start
                        source.positions[path + (key, label)] = (here + 1, 1)
                        walk(body, path + (key, label), here)
                    continue
                at = find(rf'^\s*"?{re.escape(str(key))}"?\s*(=|\{{)', start)
                here = at if at is not None else start
                column = (len(lines[here]) - len(lines[here].lstrip()) + 1) if at is not None else 1
                source.positions[path + (key,)] = (here + 1, column)
                walk(item, path + (key,), here)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                source.positions[path + (index,)] = source.positions.get(path, (start + 1, 1))
                walk(item, path + (index,), start)

    source.positions[()] = (1, 1)
    walk(data, (), 0)
    return source


def parse_hcl(text: str, file: str) -> tuple[Any, SourceMap]:
    import hcl2
    from hcl2.utils import SerializationOptions
    from lark.exceptions import LarkError, UnexpectedInput

    if not text.strip():
        raise BlueprintError("the blueprint is empty", file)
    options = SerializationOptions(with_comments=False, strip_string_quotes=True)
    try:
        raw = hcl2.loads(text, serialization_options=options)
    except UnexpectedInput as exc:
        detail = str(exc).splitlines()[0]
        raise BlueprintError(f"invalid HCL: {detail}", file, getattr(exc, "line", None),
                             getattr(exc, "column", None)) from None
    except (LarkError, ValueError, TypeError, KeyError) as exc:
        raise BlueprintError(f"invalid HCL: {exc}", file) from None
    data = _normalise(raw, file)
    return data, _positions(text, data, file)
