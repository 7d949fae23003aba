"""Measures against the blueprint's targets (`standards.sampling_targets`), and the report."""

from __future__ import annotations

import json
from dataclasses import dataclass

from tracegen.plan import model as pm
from tracegen.verify.measures import Measures, Topology


@dataclass(frozen=True)
class Check:
    name: str                  # coverage | propagation | unparented | error-capture | services
    subject: str               # the hop "a -> b", a service, or "all traces"
    value: float | None
    target: float | None
    passed: bool
    detail: str


def topology(env: pm.EnvironmentPlan) -> Topology:
    consumers: dict[tuple[str, str], list[str]] = {}
    for service in env.services:
        for topic in service.consumes:
            consumers.setdefault(topic, []).append(service.name)
    calls = {s.name: tuple(sorted({*s.calls, *(c for t in s.produces for c in consumers.get(t, ()))}))
             for s in env.services}
    return Topology(services=tuple(s.name for s in env.services),
                    edges=frozenset(s.name for s in env.services if s.edge),
                    calls={k: v for k, v in calls.items() if v})


def _pct(value: float) -> str:
    return f"{value * 100:.4g} %"


def judge(measures: Measures, env: pm.EnvironmentPlan, topo: Topology) -> list[Check]:
    targets = env.sampling.targets if env.sampling else None
    coverage_target = targets.coverage if targets else 0.9
    propagation_target = targets.propagation if targets else 0.99
    errors_target = targets.errors if targets else 0.99
    checks = []
    broken = measures.traces - measures.whole_traces
    orphans = ", ".join(f"{s} ({n})" for s, n in sorted(measures.orphans.items()))
    checks.append(Check("coverage", "all traces", measures.coverage, coverage_target,
                        measures.traces > 0 and measures.coverage >= coverage_target,
                        f"{measures.whole_traces} of {measures.traces} traces whole, {broken} broken"
                        + (f"; orphan spans in {orphans}" if orphans else "")
                        if measures.traces else "no spans to measure"))
    for hop in measures.hops.values():
        subject = f"{hop.caller} -> {hop.callee}"
        checks.append(Check("propagation", subject, hop.success, propagation_target,
                            hop.success >= propagation_target,
                            f"{hop.ok} of {hop.ok + hop.failed} calls continued the trace in another service"))
    for service, (roots, total) in measures.unparented.items():
        share = 1 - roots / total if total else 1.0
        callers = ", ".join(topo.callers(service))
        checks.append(Check("unparented", f"{callers} -> {service}", share, propagation_target,
                            share >= propagation_target,
                            f"{roots} of {total} requests into {service} started a new trace "
                            f"(only {callers} call it)"))
    for service, capture in measures.error_capture().items():
        expected = (measures.errors_before_sampling or {}).get(service, 0)
        checks.append(Check("error-capture", service, capture, errors_target, capture >= errors_target,
                            f"{measures.error_spans.get(service, 0)} error spans received of {expected:g} counted "
                            "by the span metrics before sampling"))
    for service in measures.missing_services:
        checks.append(Check("services", service, None, None, True,
                            "sent no span (not deployed, not exercised or not instrumented)"))
    return checks


def failed(checks: list[Check]) -> list[Check]:
    return [c for c in checks if not c.passed]


def render(checks: list[Check], measures: Measures, environment: str, fmt: str) -> str:
    if fmt == "json":
        return json.dumps({
            "environment": environment, "spans": measures.spans, "traces": measures.traces,
            "passed": not failed(checks),
            "checks": [{"check": c.name, "subject": c.subject, "value": c.value, "target": c.target,
                        "passed": c.passed, "detail": c.detail} for c in checks],
        }, indent=2, sort_keys=True) + "\n"
    lines = [f"environment {environment}: {measures.spans} spans in {measures.traces} traces"]
    for check in checks:
        mark = "ok  " if check.passed else "FAIL"
        figure = (f" {_pct(check.value)} (target {_pct(check.target)})"
                  if check.value is not None and check.target is not None else "")
        lines.append(f"  {mark} {check.name:<13} {check.subject}:{figure} - {check.detail}")
    bad = failed(checks)
    lines.append(f"{len(bad)} check(s) below target" if bad else "every measured figure meets its target")
    return "\n".join(lines) + "\n"
