"""The rule registry: one module per rule, registered here by code (as yamllint does).

A rule module has a docstring (its documentation: what, why, a bad and a good fragment), NAME,
SEVERITY and `check(loaded) -> Iterator[Hit]`. The engine stamps code, severity and position.
Helpers the rules share live in `_common`.
"""

from __future__ import annotations

from types import ModuleType

from tracegen.standards.rules import (
    tg001_plan_refused,
    tg101_b3_past_edge,
    tg102_w3c_missing,
    tg103_custom_propagator,
    tg104_baggage_budget,
    tg201_required_missing,
    tg202_deprecated_name,
    tg203_version_unpinned,
    tg301_errors_kept,
    tg302_mesh_starves_tail,
    tg303_decision_wait_short,
    tg304_trace_buffer_small,
    tg305_head_rate_high,
    tg306_no_baseline_share,
    tg307_policy_name_unique,
    tg308_mesh_below_edge_rate,
    tg309_slow_kept,
    tg310_coverage,
    tg401_pii_not_redacted,
    tg402_high_cardinality_kept,
    tg403_sql_not_sanitised,
    tg501_single_tier_tail_sampling,
    tg502_app_to_vendor,
    tg503_secrets_inline,
    tg504_no_tls,
    tg505_retention,
    tg506_nginx_retired,
    tg507_backends_none,
    tg508_credentials_missing,
    tg601_no_owner,
    tg602_no_oncall,
)

RULES: dict[str, ModuleType] = {
    "TG001": tg001_plan_refused,
    "TG101": tg101_b3_past_edge,
    "TG102": tg102_w3c_missing,
    "TG103": tg103_custom_propagator,
    "TG104": tg104_baggage_budget,
    "TG201": tg201_required_missing,
    "TG202": tg202_deprecated_name,
    "TG203": tg203_version_unpinned,
    "TG301": tg301_errors_kept,
    "TG302": tg302_mesh_starves_tail,
    "TG303": tg303_decision_wait_short,
    "TG304": tg304_trace_buffer_small,
    "TG305": tg305_head_rate_high,
    "TG306": tg306_no_baseline_share,
    "TG307": tg307_policy_name_unique,
    "TG308": tg308_mesh_below_edge_rate,
    "TG309": tg309_slow_kept,
    "TG310": tg310_coverage,
    "TG401": tg401_pii_not_redacted,
    "TG402": tg402_high_cardinality_kept,
    "TG403": tg403_sql_not_sanitised,
    "TG501": tg501_single_tier_tail_sampling,
    "TG502": tg502_app_to_vendor,
    "TG503": tg503_secrets_inline,
    "TG504": tg504_no_tls,
    "TG505": tg505_retention,
    "TG506": tg506_nginx_retired,
    "TG507": tg507_backends_none,
    "TG508": tg508_credentials_missing,
    "TG601": tg601_no_owner,
    "TG602": tg602_no_oncall,
}
