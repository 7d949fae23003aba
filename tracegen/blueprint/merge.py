"""The one merge rule for environment overrides: maps merge key by key, lists and scalars replace.

    base:      {sampling: {head: {edge_rate: 0.1}, tail: {policies: [a, b]}}}
    override:  {sampling: {tail: {policies: [c]}}}
    result:    {sampling: {head: {edge_rate: 0.1}, tail: {policies: [c]}}}

A `null` in an override removes the key (so an environment can switch a section off).
The same rule is how the collector merges several --config files, which is why sampling modes are
emitted as overlay files.
"""

from __future__ import annotations

import copy
from typing import Any


def deep_merge(base: Any, override: Any) -> Any:
    if isinstance(base, dict) and isinstance(override, dict):
        result = {key: copy.deepcopy(value) for key, value in base.items()}
        for key, value in override.items():
            if value is None:
                result.pop(key, None)
            elif key in result:
                result[key] = deep_merge(result[key], value)
            else:
                result[key] = copy.deepcopy(value)
        return result
    return copy.deepcopy(override)


def paths(value: Any, prefix: tuple = ()) -> set[tuple]:
    """Every path present in a nested value (dict keys and list indexes)."""
    found = {prefix} if prefix else set()
    if isinstance(value, dict):
        for key, item in value.items():
            found |= paths(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found |= paths(item, prefix + (index,))
    return found
