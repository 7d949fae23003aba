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


def leaf_paths(value: Any, prefix: tuple = ()) -> set[tuple]:
    """Paths an override replaces outright: its scalars, lists and nulls (mappings merge, so a
    mapping's own path is not replaced, only the leaves under it)."""
    if isinstance(value, dict):
        found: set[tuple] = set()
        for key, item in value.items():
            found |= leaf_paths(item, prefix + (key,))
        return found
    return {prefix} if prefix else set()


def replaced_by(path: tuple, leaves: frozenset[tuple] | set[tuple]) -> bool:
    """True when `path` (or a list/scalar above it) was set by the override."""
    probe = tuple(path)
    while probe:
        if probe in leaves:
            return True
        probe = probe[:-1]
    return False
