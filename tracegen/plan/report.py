"""`tracegen plan`: the retention model of every environment, as a reviewer reads it (text) or a tool
does (JSON). Figures come from the plan (`EnvironmentPlan.sampling`); `--rps` re-evaluates the same
model at another root request rate, with the configuration the plan sized at the declared peak.
"""

from __future__ import annotations

import json
from dataclasses import replace

from tracegen.blueprint.loader import EnvironmentView, LoadedBlueprint
from tracegen.errors import UsageError
from tracegen.plan import model as pm
from tracegen.plan import cost, overhead
from tracegen.plan import retention as rt
from tracegen.plan.builder import sampling_tier

MIB = 2 ** 20


def _round(value: float | None, digits: int = 6) -> float | None:
    if value is None:
        return None
    return float(f"{value:.{digits}g}")


def _assuming(view: EnvironmentView, assume: dict[str, float]) -> EnvironmentView:
    """The environment with other traffic assumptions (what if errors spike to 10 %?)."""
    sampling = view.blueprint.sampling
    assumptions = sampling.assumptions.model_copy(update=assume)
    blueprint = view.blueprint.model_copy(
        update={"sampling": sampling.model_copy(update={"assumptions": assumptions})})
    return replace(view, blueprint=blueprint)


def models(loaded: LoadedBlueprint, plan: pm.Plan, env: str | None, rps: float | None,
           assume: dict[str, float] | None = None) -> list[tuple[pm.EnvironmentPlan, rt.SamplingModel]]:
    known = [e.name for e in plan.environments]
    if env is not None and env not in known:
        raise UsageError(f"no environment '{env}'; the blueprint has {', '.join(known)}")
    if rps is not None and rps < 0:
        raise UsageError("--rps must be zero or more root requests per second")
    for name, value in (assume or {}).items():
        if not 0 <= value <= 1:
            raise UsageError(f"--{name.replace('_', '-')} must be a share between 0 and 1")
    result = []
    for environment in plan.environments:
        if env is not None and environment.name != env:
            continue
        model = environment.sampling
        if rps is not None or assume:
            view = loaded.environments[environment.name]
            model = rt.evaluate(_assuming(view, assume) if assume else view,
                                sampling_tier(environment.agents, environment.gateway), rps)
        result.append((environment, model))
    return result


def _mode(model: rt.SamplingModel, mode: str | None) -> str:
    names = [m.name for m in model.modes]
    if mode is not None and mode not in names:
        raise UsageError(f"no sampling mode '{mode}'; modes: {', '.join(names)}")
    return mode or model.mode


def _derived(env: pm.EnvironmentPlan) -> list[str]:
    metrics = env.derived_metrics
    return [name for on, name in ((metrics.span_metrics, "span metrics"), (metrics.service_graph, "service graph"))
            if on]


# --------------------------------------------------------------------------- JSON
def _retention(value: rt.Retention) -> dict:
    return {"errors": _round(value.errors), "slow": _round(value.slow), "healthy": _round(value.healthy),
            "coverage": _round(value.coverage), "classes": {name: _round(v) for name, v in value.classes}}


def _volumes(value: rt.Volumes) -> dict:
    return {
        "traces_per_sec": _round(value.traces_per_sec),
        "traces_recorded_per_sec": _round(value.traces_recorded_per_sec),
        "spans_per_sec": _round(value.spans_per_sec),
        "gateway_spans_per_sec": _round(value.gateway_spans_per_sec),
        "gateway_spans_per_sec_per_replica": _round(value.gateway_spans_per_sec_per_replica),
        "exported_spans_per_sec": _round(value.exported_spans_per_sec),
        "baseline_cap_spans_per_sec_per_replica": _round(value.baseline_cap_spans_per_sec),
        "backends": {b.name: {"spans_per_sec": _round(b.spans_per_sec), "gb_per_day": _round(b.gb_per_day)}
                     for b in value.backends},
        "tail_buffer": {"num_traces": value.num_traces, "bytes": value.tail_buffer_bytes,
                        "memory_limit_bytes": value.memory_limit_bytes},
    }


def _peaks(loaded: LoadedBlueprint) -> dict[str, float]:
    return {name: service.peak_rps for name, service in loaded.blueprint.services.items()}


def environment_data(env: pm.EnvironmentPlan, model: rt.SamplingModel, mode: str | None = None,
                     peaks: dict[str, float] | None = None) -> dict:
    chosen = model.of(_mode(model, mode))
    tail = env.tail_sampling
    return {
        "mode": chosen.name,
        "strategy": model.strategy,
        "chain": [{"stage": s.stage, "kind": s.kind, "keeps": _round(s.keeps), "label": s.label,
                   "setting": ".".join(str(p) for p in s.path) or None, "roots": list(s.roots),
                   "share_of_root_traffic": _round(s.weight) if s.kind == "head" else None}
                  for s in model.chain],
        "retention": _retention(chosen.retention),
        "targets": {"errors": model.targets.errors, "slow": model.targets.slow, "coverage": model.targets.coverage,
                    "healthy_min": model.targets.healthy_min, "healthy_max": model.targets.healthy_max},
        "volumes": _volumes(chosen.volumes),
        "modes": {m.name: {"retention": _retention(m.retention), "volumes": _volumes(m.volumes)}
                  for m in model.modes},
        "assumptions": {"error_rate": model.assumptions.error_rate, "slow_rate": model.assumptions.slow_rate,
                        "span_bytes": model.assumptions.span_bytes,
                        "spans_per_trace": _round(model.spans_per_trace)},
        # The gateways compute span metrics and the service graph on every recorded span (a pipeline
        # that does not tail-sample), so RED rates are off only by what head sampling dropped.
        "derived_metrics": {"computed": _derived(env), "spans_per_sec": _round(chosen.volumes.gateway_spans_per_sec),
                            "share_of_traffic": _round(chosen.retention.coverage)},
        "tail_sampling": None if tail is None else {
            "replicas": model.replicas, "decision_wait_s": tail.decision_wait_s, "num_traces": tail.num_traces,
            "expected_new_traces_per_sec": tail.expected_new_traces_per_sec,
            "tracestate_thresholds": tail.tracestate_thresholds},
        "overhead_warnings": [{"service": w.service, "language": w.language,
                               "cpu_us_per_request": w.cpu_us_per_request,
                               "cores_at_peak": _round(w.cores_at_peak), "message": w.text()}
                              for w in overhead.warnings(env, peaks or {})],
    }


def render_json(loaded: LoadedBlueprint, plan: pm.Plan, env: str | None = None, mode: str | None = None,
                rps: float | None = None, assume: dict[str, float] | None = None) -> str:
    data = {"blueprint": plan.blueprint_name, "rps": rps,
            "environments": {e.name: {**environment_data(e, m, mode, _peaks(loaded)),
                                      "cost": cost.data(loaded.environments[e.name].blueprint, m)}
                             for e, m in models(loaded, plan, env, rps, assume)}}
    return json.dumps(data, indent=2, sort_keys=False) + "\n"


# --------------------------------------------------------------------------- text
def _n(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 else f"{value:,.3g}"


def _verdict(ok: bool) -> str:
    return "ok" if ok else "BELOW TARGET"


def _slow_label(policies: tuple[pm.Policy, ...]) -> str:
    thresholds = [int(p.get("threshold_ms")) for p in policies if rt.keeps_slow(p)]
    return f"slow (> {min(thresholds)} ms)" if thresholds else "slow"


def environment_text(env: pm.EnvironmentPlan, model: rt.SamplingModel, mode: str | None = None,
                     rps: float | None = None, peaks: dict[str, float] | None = None) -> str:
    chosen = model.of(_mode(model, mode))
    r, v, t = chosen.retention, chosen.volumes, model.targets
    lines = [f"{env.blueprint_name} / {env.name}: strategy {model.strategy}, mode {chosen.name}"
             + (" (the collectors start in it)" if chosen.name == model.mode else ""), "",
             "Decision chain (the first head decision wins; what it drops is never created):"]
    for stage in model.chain:
        keeps = rt.pct(stage.keeps) if stage.kind != "follows" else ""
        lines.append(f"  {stage.kind:<8} {keeps:>7}  {stage.stage:<22} {stage.label}")
    lines += ["", f"Retention ({chosen.name}):        kept     target"]
    rows = [("errors", r.errors, f">= {rt.pct(t.errors)}", r.errors >= t.errors - 1e-9),
            (_slow_label(chosen.policies), r.slow, f">= {rt.pct(t.slow)}", r.slow >= t.slow - 1e-9),
            ("healthy", r.healthy, f"{rt.pct(t.healthy_min)}-{rt.pct(t.healthy_max)}",
             rt.healthy_band(r.healthy, t) == 0),
            ("coverage", r.coverage, f">= {rt.pct(t.coverage)}", r.coverage >= t.coverage - 1e-9)]
    for name, value, target, ok in rows:
        lines.append(f"  {name:<26} {rt.pct(value):>8}  {target:<10} {_verdict(ok)}")
    for name, value in r.classes:
        lines.append(f"  policy {name:<19} {rt.pct(value):>8}")
    where = "at the declared peak" if rps is None else "at --rps"
    a = model.assumptions
    lines += ["", f"Volumes {where}: {_n(v.traces_per_sec)} root requests/s, {model.spans_per_trace:.1f} spans per "
                  f"trace, {a.span_bytes} B per span; errors {rt.pct(a.error_rate)}, "
                  f"slow {rt.pct(a.slow_rate)} assumed",
              f"  traces recorded/s            {_n(v.traces_recorded_per_sec)}",
              f"  spans recorded/s             {_n(v.spans_per_sec)}",
              f"  spans/s into the gateways    {_n(v.gateway_spans_per_sec)} "
              f"({_n(v.gateway_spans_per_sec_per_replica)} per replica, {model.replicas} replica(s))",
              f"  spans/s exported             {_n(v.exported_spans_per_sec)} to each backend"]
    for backend in v.backends:
        lines.append(f"    {backend.name:<26} {_n(backend.spans_per_sec)} spans/s, {backend.gb_per_day:,.1f} GB/day")
    derived = _derived(env)
    if derived:
        scale = "" if chosen.retention.coverage >= 1 else \
            f"; RED counts are {rt.pct(chosen.retention.coverage)} of real traffic (head sampling)"
        lines.append(f"  {' and '.join(derived):<28} from all {_n(v.gateway_spans_per_sec)} recorded spans/s, "
                     f"before the tail decision{scale}")
    if v.num_traces:
        memory = f" of a {v.memory_limit_bytes / MIB:,.0f} MiB memory_limiter" if v.memory_limit_bytes else ""
        lines.append(f"  tail buffer per replica      {v.num_traces:,} traces = "
                     f"{v.tail_buffer_bytes / MIB:,.1f} MiB{memory}")
    if v.baseline_cap_spans_per_sec is not None:
        lines.append(f"  baseline cap per replica     {_n(v.baseline_cap_spans_per_sec)} spans/s")
    if len(model.modes) > 1:
        lines += ["", "Modes:                    errors     slow  healthy coverage  exported spans/s"]
        for m in model.modes:
            mark = "*" if m.name == model.mode else " "
            mr = m.retention
            lines.append(f"  {mark}{m.name:<22} {rt.pct(mr.errors):>7}  {rt.pct(mr.slow):>7}  {rt.pct(mr.healthy):>7}  "
                         f"{rt.pct(mr.coverage):>7}  {_n(m.volumes.exported_spans_per_sec):>10}")
    costly = overhead.warnings(env, peaks or {})
    if costly:
        lines += ["", "Warnings (application overhead):"] + [f"  {w.text()}" for w in costly]
    return "\n".join(lines) + "\n"


def render_text(loaded: LoadedBlueprint, plan: pm.Plan, env: str | None = None, mode: str | None = None,
                rps: float | None = None, assume: dict[str, float] | None = None) -> str:
    return "\n".join(environment_text(e, m, mode, rps, _peaks(loaded)) + cost.text(loaded.environments[e.name].blueprint, m)
                     for e, m in models(loaded, plan, env, rps, assume))


def render(loaded: LoadedBlueprint, plan: pm.Plan, fmt: str, env: str | None = None, mode: str | None = None,
           rps: float | None = None, assume: dict[str, float] | None = None) -> str:
    """`assume` overrides sampling.assumptions (error_rate, slow_rate) for the figures."""
    renderer = render_json if fmt == "json" else render_text
    return renderer(loaded, plan, env, mode, rps, assume)
