"""tail_sampling processors -> `sampling.tail`; span metrics and service graph connectors ->
`topology.derived_metrics`."""

from __future__ import annotations

import re
from typing import Any

from tracegen.importer import Draft, safe_name
from tracegen.importer.privacy import ATTRIBUTE_KEY
from tracegen.lint.config import CollectorConfig

DURATION = re.compile(r"^\d+(ms|s|m)$")
SPAN_METRICS = ("spanmetrics", "span_metrics")
SERVICE_GRAPH = ("servicegraph", "service_graph")


def _policy(policy: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
    """A blueprint policy (without its name) for a collector policy, or None and why not."""
    kind = policy.get("type")
    body = policy.get(kind) if isinstance(kind, str) and isinstance(policy.get(kind), dict) else {}
    if "key" in body and not (isinstance(body["key"], str) and ATTRIBUTE_KEY.match(body["key"])):
        return None, f"{kind} on a key that is not an attribute key tracegen accepts"
    if kind == "status_code":
        codes = [str(c).upper() for c in body.get("status_codes") or []]
        if codes == ["ERROR"]:
            return {"type": "errors"}, ""
        return None, f"status_code {codes} (tracegen keeps errors: status_codes [ERROR])"
    if kind == "latency" and isinstance(body.get("threshold_ms"), int):
        mapped = {"type": "latency", "threshold_ms": body["threshold_ms"]}
        if isinstance(body.get("upper_threshold_ms"), int):
            mapped["upper_threshold_ms"] = body["upper_threshold_ms"]
        return mapped, ""
    if kind == "probabilistic" and isinstance(body.get("sampling_percentage"), (int, float)):
        return {"type": "probabilistic", "percentage": body["sampling_percentage"]}, ""
    if kind == "always_sample":
        return {"type": "probabilistic", "percentage": 100}, ""
    if kind == "string_attribute" and body.get("key") and body.get("values"):
        mapped = {"type": "attribute", "key": body["key"], "values": list(body["values"])}
        if body.get("invert_match"):
            mapped["invert"] = True
        if body.get("enabled_regex_matching"):
            return None, "string_attribute with regex matching"
        return mapped, ""
    if kind == "boolean_attribute" and body.get("key") is not None:
        return {"type": "attribute", "key": body["key"], "values": [bool(body.get("value"))]}, ""
    if kind == "numeric_attribute" and body.get("key"):
        mapped = {"type": "numeric_attribute", "key": body["key"]}
        for theirs, ours in (("min_value", "min"), ("max_value", "max")):
            if isinstance(body.get(theirs), int):
                mapped[ours] = body[theirs]
        return mapped, ""
    if kind == "rate_limiting" and isinstance(body.get("spans_per_second"), int):
        return {"type": "rate_limit", "spans_per_second": body["spans_per_second"]}, ""
    if kind == "span_count" and isinstance(body.get("min_spans"), int):
        mapped = {"type": "span_count", "min_spans": body["min_spans"]}
        if isinstance(body.get("max_spans"), int):
            mapped["max_spans"] = body["max_spans"]
        return mapped, ""
    if kind == "trace_state" and body.get("key") and body.get("values"):
        return {"type": "trace_state", "key": body["key"], "values": [str(v) for v in body["values"]]}, ""
    if kind == "ottl_condition" and (body.get("span") or body.get("spanevent")):
        return {"type": "ottl", **{k: [str(c) for c in body[k]] for k in ("span", "spanevent") if body.get(k)}}, ""
    return None, f"policy type {kind}"


def tail(draft: Draft, config: CollectorConfig, component_id: str, settings: dict[str, Any]) -> None:
    sampling = draft.data.setdefault("sampling", {})
    if "tail" in sampling:
        draft.note(f"a second tail_sampling processor ({component_id}) was not imported: a blueprint has one "
                   "tail policy set", ("sampling", "tail"))
        return
    tail_: dict[str, Any] = {}
    wait = settings.get("decision_wait")
    if isinstance(wait, str) and DURATION.match(wait):
        tail_["decision_wait"] = wait
    for key in ("num_traces", "expected_new_traces_per_sec"):
        if isinstance(settings.get(key), int) and settings[key] > 0:
            tail_[key] = settings[key]
    policies, taken = [], set()
    for index, policy in enumerate(settings.get("policies") or []):
        if not isinstance(policy, dict):
            continue
        mapped, why = _policy(policy)
        if mapped is None:
            draft.note(f"{component_id} policy {index + 1} ({why}) has no blueprint equivalent; not imported",
                       ("sampling", "tail", "policies"))
            continue
        name = safe_name(policy.get("name"), f"keep-{mapped['type'].replace('_', '-')}", taken, 50)
        if policy.get("name") != name:
            draft.note(f"{component_id} policy {index + 1} was "
                       + (f"named {policy.get('name')!r}" if policy.get("name") else "unnamed")
                       + f"; named {name} (names must be unique and lowercase)", ("sampling", "tail", "policies"))
        policies.append({"name": name, **mapped})
    tail_["policies"] = policies
    if any(p["type"] == "probabilistic" for p in policies):
        tail_["baseline_cap"] = "off"
        draft.note("the original put no ceiling on its probabilistic share: baseline_cap off keeps that; "
                   "'auto' (tracegen's default) caps it at the declared peak", ("sampling", "tail", "baseline_cap"))
    sampling["tail"] = tail_


def derived(draft: Draft, type_name: str) -> None:
    metrics = draft.data.setdefault("topology", {}).setdefault("derived_metrics", {})
    metrics["span_metrics" if type_name in SPAN_METRICS else "service_graph"] = True
