"""The gateway's tail sampler: the plan's policies in the tail_sampling processor's terms, and one
overlay per sampling mode that replaces the policy list (the collector merges `--config` files:
maps merge key by key, lists replace)."""

from __future__ import annotations

import json

from tracegen.errors import TracegenError
from tracegen.plan import model as pm

# The overlay that puts the blueprint's own policies back when the gateway starts in another mode.
BASELINE_MODE = "baseline"


def _literal(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(str(value))


def _any_span_has(key: str, values: tuple) -> list[str]:
    """OTTL span conditions (any one matches) for `key` equal to one of `values`, span or resource."""
    path = f"[{json.dumps(key)}]"
    return [f"{scope}attributes{path} == {_literal(v)}" for v in values for scope in ("", "resource.")]


def _ottl(conditions: list[str], span_events: list[str] | None = None) -> dict:
    config: dict = {"error_mode": "ignore"}
    if conditions:
        config["span"] = conditions
    if span_events:
        config["spanevent"] = span_events
    return config


def _attribute(policy: pm.Policy) -> dict:
    key = str(policy.get("key"))
    values = tuple(policy.get("values") or ())
    invert = bool(policy.get("invert", False))
    if all(isinstance(v, str) for v in values):
        return {"type": "string_attribute",
                "string_attribute": {"key": key, "values": list(values), "invert_match": invert}}
    if all(isinstance(v, bool) for v in values) and len(set(values)) == 1:
        return {"type": "boolean_attribute",
                "boolean_attribute": {"key": key, "value": values[0], "invert_match": invert}}
    ints = sorted({v for v in values if isinstance(v, int) and not isinstance(v, bool)})
    # numeric_attribute reads 0 as "no bound", so only a contiguous range without 0 maps onto it.
    if (len(ints) == len(values) and ints == list(range(ints[0], ints[-1] + 1))
            and 0 not in (ints[0], ints[-1])):
        return {"type": "numeric_attribute", "numeric_attribute": {
            "key": key, "min_value": ints[0], "max_value": ints[-1], "invert_match": invert}}
    # Floats, mixed types, scattered integers: OTTL says it exactly.
    inner = {"type": "ottl_condition", "ottl_condition": _ottl(_any_span_has(key, values))}
    if not invert:
        return inner
    return {"type": "not", "not": {"not_sub_policy": {"name": f"{policy.name}-match", **inner}}}


# The parts of a capped probabilistic policy (tracegen/plan/refusals.py keeps user policies off these names).
SHARE_SUFFIX = "-share"
CAP_SUFFIX = "-cap"
# A cap parameter of a probabilistic policy (retention.with_cap) -> the limiting policy that enforces it.
_CAPS = {"cap_spans_per_second": ("rate_limiting", "spans_per_second"),
         "cap_bytes_per_second": ("bytes_limiting", "bytes_per_second")}


def _probabilistic(policy: pm.Policy) -> dict:
    """The share; with a per-replica cap, the share AND a rate/bytes limit: a trace is kept when the
    share picks it and the limiter still has budget (the `and` policy stops at the first no, so the
    limiter only spends its budget on traces the share picked)."""
    share = {"type": "probabilistic", "probabilistic": {"sampling_percentage": policy.get("percentage")}}
    caps = [(param, value) for param, value in policy.params if param in _CAPS and value is not None]
    if not caps:
        return share
    if len(caps) > 1:
        raise TracegenError(f"sampling policy '{policy.name}': one cap, in spans or bytes, not both")
    (param, value), = caps
    kind, key = _CAPS[param]
    return {"type": "and", "and": {"and_sub_policy": [
        {"name": f"{policy.name}{SHARE_SUFFIX}", **share},
        {"name": f"{policy.name}{CAP_SUFFIX}", "type": kind, kind: {key: value}}]}}


def policy(policy: pm.Policy) -> dict:
    """One blueprint policy as a tail_sampling policy (its name kept: names must be unique)."""
    kind = policy.type
    if kind == "errors":
        body = {"type": "status_code", "status_code": {"status_codes": ["ERROR"]}}
    elif kind == "latency":
        latency = {"threshold_ms": policy.get("threshold_ms")}
        if policy.get("upper_threshold_ms") is not None:
            latency["upper_threshold_ms"] = policy.get("upper_threshold_ms")
        body = {"type": "latency", "latency": latency}
    elif kind == "probabilistic":
        body = _probabilistic(policy)
    elif kind == "attribute":
        body = _attribute(policy)
    elif kind == "numeric_attribute":
        numeric = {"key": policy.get("key")}
        for ours, theirs in (("min", "min_value"), ("max", "max_value")):
            if policy.get(ours) is not None:
                numeric[theirs] = policy.get(ours)
        body = {"type": "numeric_attribute", "numeric_attribute": numeric}
    elif kind == "rate_limit":
        body = {"type": "rate_limiting", "rate_limiting": {"spans_per_second": policy.get("spans_per_second")}}
    elif kind == "span_count":
        counts = {"min_spans": policy.get("min_spans")}
        if policy.get("max_spans") is not None:
            counts["max_spans"] = policy.get("max_spans")
        body = {"type": "span_count", "span_count": counts}
    elif kind == "trace_state":
        body = {"type": "trace_state", "trace_state": {"key": policy.get("key"),
                                                       "values": list(policy.get("values") or ())}}
    elif kind == "ottl":
        body = {"type": "ottl_condition", "ottl_condition": _ottl(
            list(policy.get("span") or ()), list(policy.get("spanevent") or ()))}
    else:
        raise TracegenError(f"sampling policy '{policy.name}': type '{kind}' has no collector equivalent")
    return {"name": policy.name, **body}


def policies(items: tuple[pm.Policy, ...]) -> list[dict]:
    names = [p.name for p in items]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise TracegenError(f"sampling policy names must be unique; repeated: {duplicates}")
    return [policy(p) for p in items]


# Alpha in 0.160: policies read the OTel randomness/threshold in tracestate (ot=rv:, th:) and the
# processor rewrites `th` on what it keeps, so backends can compute adjusted counts. Off unless the
# blueprint opts in (sampling.consistent_probability).
TRACESTATE_FEATURE_GATE = "processor.tailsamplingprocessor.usetracestate"


def process_args(tail: pm.TailSampling | None) -> tuple[str, ...]:
    """Command-line flags of the process that runs this tail sampler."""
    if tail is not None and tail.tracestate_thresholds:
        return (f"--feature-gates={TRACESTATE_FEATURE_GATE}",)
    return ()


def start_policies(tail: pm.TailSampling) -> tuple[pm.Policy, ...]:
    """The policies the gateway starts with: the active mode's, else the blueprint's own."""
    return dict(tail.modes).get(tail.active_mode, tail.policies) if tail.active_mode else tail.policies


def tail_sampling(tail: pm.TailSampling) -> dict:
    return {
        "decision_wait": f"{tail.decision_wait_s:g}s",
        "num_traces": tail.num_traces,
        "expected_new_traces_per_sec": tail.expected_new_traces_per_sec,
        # Remember recent decisions so spans that arrive after one get the same answer.
        "decision_cache": {"sampled_cache_size": tail.num_traces, "non_sampled_cache_size": tail.num_traces},
        # Decide every pending trace on a graceful shutdown instead of dropping it: a rolling restart
        # of the gateways then loses nothing (measured in tests/e2e/test_pipeline_e2e.py).
        "drop_pending_traces_on_shutdown": False,
        "policies": policies(start_policies(tail)),
    }


def mode_overlays(tail: pm.TailSampling, processor_name: str) -> list[tuple[str, dict]]:
    """(mode, overlay) per mode; plus `baseline` (the blueprint's policies), so a gateway can always
    be switched back at runtime (the runbook's `ln -sfn modes/baseline.yaml active-mode.yaml`)."""
    modes = list(tail.modes)
    if modes:
        if BASELINE_MODE in dict(tail.modes):
            raise TracegenError(f"sampling mode name '{BASELINE_MODE}' is reserved for the policies "
                                "without any mode; rename the mode")
        modes.append((BASELINE_MODE, tail.policies))
    return [(name, {"processors": {processor_name: {"policies": policies(items)}}})
            for name, items in sorted(modes)]
