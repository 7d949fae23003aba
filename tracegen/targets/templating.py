"""The one Jinja environment targets render source code and prose with: StrictUndefined (a missing
value is an error, never an empty string), templates from tracegen/templates/<target>/.

Built once per set of filters and cached: compiling templates for every service dominated render
time (scripts/bench_build.py)."""

from __future__ import annotations

import functools
from collections.abc import Callable

from jinja2 import Environment, PackageLoader, StrictUndefined


@functools.lru_cache(maxsize=None)
def environment(filters: tuple[tuple[str, Callable], ...] = ()) -> Environment:
    jinja = Environment(loader=PackageLoader("tracegen", "templates"), undefined=StrictUndefined,
                        keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
    jinja.filters.update(dict(filters))
    return jinja
