"""The lint rule registry: one module per rule, registered here by code (as the standards rules are).

A rule module has a docstring (its documentation: what, why, a bad and a good fragment; `tracegen
explain TL101` prints it), NAME, SEVERITY and `check(config) -> Iterator[Hit]`. The engine stamps
code, severity, file and position. TL codes never collide with the blueprint standards' TG codes.
"""

from __future__ import annotations

from types import ModuleType

from tracegen.lint.rules import (
    tl101_memory_limiter_first,
    tl102_removed_component,
    tl103_renamed_component,
    tl201_tail_policy_names,
    tl202_needs_trace_routing,
    tl301_secrets_inline,
    tl302_plaintext_export,
    tl303_no_retry_or_queue,
    tl304_debug_in_production,
    tl401_unused_component,
    tl402_undefined_component,
    tl403_connector_cycle,
    tl404_batch_in_exporters,
)

LINT_RULES: dict[str, ModuleType] = {
    "TL101": tl101_memory_limiter_first,
    "TL102": tl102_removed_component,
    "TL103": tl103_renamed_component,
    "TL201": tl201_tail_policy_names,
    "TL202": tl202_needs_trace_routing,
    "TL301": tl301_secrets_inline,
    "TL302": tl302_plaintext_export,
    "TL303": tl303_no_retry_or_queue,
    "TL304": tl304_debug_in_production,
    "TL401": tl401_unused_component,
    "TL402": tl402_undefined_component,
    "TL403": tl403_connector_cycle,
    "TL404": tl404_batch_in_exporters,
}
