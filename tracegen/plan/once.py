"""Plan each environment once per loaded blueprint.

`tracegen check` asks for the same environment's plan from several places (the retention rules, the
planner's refusals for TG001 and the TG5xx codes) and `build` then plans it for the targets. Each
answer, a plan or the refusal the planner raised, is kept on the loaded blueprint it came from, keyed
on the environment view object and on what else the caller passed, so a view made elsewhere (the
`plan` command's what-ifs) is planned afresh, and nothing outlives the loaded blueprint.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")
_ATTRIBUTE = "_tracegen_planned"


def once(owner: Any, view: object, key: Hashable, compute: Callable[[], T]) -> T:
    """compute()'s value (or its exception, raised again) for (view, key), computed once per owner."""
    store: dict = owner.__dict__.setdefault(_ATTRIBUTE, {})
    slot = (id(view), key)
    hit = store.get(slot)
    if hit is None or hit[0] is not view:
        try:
            hit = (view, compute(), None)
        except Exception as error:   # noqa: BLE001 - kept and raised again to every caller alike
            hit = (view, None, error)
        store[slot] = hit
    if hit[2] is not None:
        raise hit[2]
    return hit[1]
