"""The rule registry: one module per rule, registered here by code (as yamllint does).

A rule module has a docstring (its documentation: what, why, a bad and a good fragment), NAME,
SEVERITY and `check(loaded) -> Iterator[Hit]`. The engine stamps code, severity and position.
"""

from __future__ import annotations

from types import ModuleType

from tracegen.standards.rules import (
    tg101_b3_past_edge,
)

RULES: dict[str, ModuleType] = {
    "TG101": tg101_b3_past_edge,
}
