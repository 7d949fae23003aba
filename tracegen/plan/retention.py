"""The retention model: which share of each class of traces survives every sampling decision.

A trace passes an ordered chain of decisions. Head decisions come first and are final: the first
proxy or SDK that decides (the ingress for edge traffic, else the Istio mesh, else the SDK root
sampler of the service that starts the trace) drops spans before they exist, and everything behind it
follows the `sampled` flag (parent-based). No tail policy can keep what was never created. The
gateway's tail sampler then sees whole traces and keeps them by class: errors, slow (latency
policies), each attribute-style policy, and a healthy baseline (probabilistic shares, capped).
Under edge_head a mode also raises the head rate of the SDK roots that poll the agents' strategies
files (plan/remote_sampling.py, whose `mode_ratio` writes the files); the ingress, the mesh and
fixed-ratio SDKs keep theirs. The chain shows the default mode's head decisions.

The planner computes this once per environment (`EnvironmentPlan.sampling`); `tracegen plan` prints
it, the standards rules judge it against `standards.sampling_targets`, and the tail sampler's
`num_traces`, `expected_new_traces_per_sec` and baseline cap are sized from it. Nothing else derives
retention from the blueprint.

Volumes assume the declared peaks (`services.*.peak_rps`, `spans_per_request`) and the blueprint's
`sampling.assumptions`; the share of a class is independent of traffic except where a cap bites.

A cap is a limiter per replica that admits traces while the second's spans stay below it (the
collector's rate_limiting policy before 0.160 counts in 1-second windows; 0.160's token bucket refills
the cap every second and holds two, so it admits at least as much). Traces do not arrive evenly: the
share's picks in one second are Poisson, and the model counts what the limiter drops in the seconds
that bring more than it admits, so a cap costs retention below the mean as well as above it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from tracegen import languages
from tracegen.blueprint import model as bm
from tracegen.blueprint.loader import EnvironmentView
from tracegen.plan import model as pm
from tracegen.plan import remote_sampling
from tracegen.plan.sampling_model import (DEFAULT_MODE, Assumptions, Backend, ModeModel, Retention,
                                          SamplingModel, Stage, Targets, Volumes)

COLLECTOR, EDGE_HEAD = "collector", "edge_head"
EDGE_HEAD_RATE = 0.1          # the playbook's edge head rate, the edge_head strategy's default
BUFFER_HEADROOM = 2.0         # num_traces holds two decision waits of new traces (bursts, late spans)
CAP_HEADROOM = 1.2            # auto baseline cap: the share's volume at the declared peak plus 20 %,
CAP_SIGMAS = 4.0              # and never below mean + 4 sqrt(mean) + 1 picks a second (Poisson bursts)
MIN_NUM_TRACES = 1000
DEFAULT_POLICY_RATE = 0.01    # share of traces an attribute-style policy matches, unless assumed otherwise
BASELINE_TYPES = ("probabilistic", "rate_limit")
INGRESS_NAMES = {"envoy_gateway": "Envoy Gateway", "nginx": "ingress-nginx", "istio": "the Istio ingress gateway"}


# --------------------------------------------------------------------------- resolved head settings
def strategy(bp: bm.Blueprint) -> str:
    return bp.sampling.strategy


def edge_rate(bp: bm.Blueprint) -> float:
    """The edge's head rate: written, else 1 when the collector decides, else the playbook's 10 %."""
    written = bp.sampling.head.edge_rate
    if written is not None:
        return written
    return 1.0 if strategy(bp) == COLLECTOR else EDGE_HEAD_RATE


def sdk_ratio(bp: bm.Blueprint, service: str) -> float:
    return bp.sampling.head.services.get(service, edge_rate(bp))


def sdk_sampler(ratio: float) -> str:
    """The OTEL_TRACES_SAMPLER of a service: parent-based, recording every root trace when it can."""
    return "parentbased_always_on" if ratio >= 1 else "parentbased_traceidratio"


def mesh_percentage(bp: bm.Blueprint) -> float | None:
    istio = bp.mesh.istio
    if istio is None:
        return None
    if istio.sampling_percentage is not None:
        return istio.sampling_percentage
    return round(edge_rate(bp) * 100, 6)


# The healthy band is a cost and baseline guide, not a promise: a share that sits on its edge and
# loses a few thousandths of itself to the baseline cap's bursts (cap_loss) is still on target.
HEALTHY_BAND_SLACK = 0.005


def healthy_band(healthy: float, targets) -> int:
    """-1 below `targets.healthy_min`, 1 above `healthy_max`, 0 inside (with relative slack)."""
    if healthy < targets.healthy_min * (1 - HEALTHY_BAND_SLACK):
        return -1
    if healthy > targets.healthy_max * (1 + HEALTHY_BAND_SLACK):
        return 1
    return 0


def pct(share: float) -> str:
    value = share * 100
    text = f"{value:.3g}" if value < 10 else f"{value:.4g}" if value < 100 else f"{value:.0f}"
    return f"{text} %"


# --------------------------------------------------------------------------- traffic
def roots(bp: bm.Blueprint) -> dict[str, float]:
    """Services that start traces, with their peak rps: edge services, and services that nothing in
    the blueprint calls or feeds and that take no inbound requests (jobs, consumers of outside
    topics). A service with `inbound` but no declared caller is taken to be called from inside.
    Without any root, every service."""
    called = {callee for s in bp.services.values() for callee in s.calls}
    produced = {(t.system, t.topic) for s in bp.services.values() for t in s.messaging.produces}
    found = {name: s.peak_rps for name, s in bp.services.items()
             if s.edge or (name not in called and not s.inbound
                           and not any((t.system, t.topic) in produced for t in s.messaging.consumes))}
    return found or {name: s.peak_rps for name, s in bp.services.items()}


def peak_spans_per_sec(bp: bm.Blueprint) -> float:
    return sum(s.peak_rps * s.spans_per_request for s in bp.services.values())


def spans_per_trace(bp: bm.Blueprint) -> float:
    peak_roots = sum(roots(bp).values())
    return peak_spans_per_sec(bp) / peak_roots if peak_roots else 0.0


# --------------------------------------------------------------------------- the head chain
def _head_chain(view: EnvironmentView) -> list[Stage]:
    bp = view.blueprint
    k8s = view.platform.kubernetes is not None
    start = roots(bp)
    total = sum(start.values()) or float(len(start))
    weight = {name: (rps / total if sum(start.values()) else 1 / len(start)) for name, rps in start.items()}
    collector = strategy(bp) == COLLECTOR
    stages: list[Stage] = []
    edge_roots = tuple(n for n in sorted(start) if bp.services[n].edge)
    other_roots = tuple(n for n in sorted(start) if not bp.services[n].edge)
    mesh = mesh_percentage(bp) if k8s else None
    ingress = bp.ingress if k8s else None
    sdk_decides = list(other_roots)
    # A default follows the strategy: point at the strategy when the rate is not written.
    rate_path = ("sampling", "head", "edge_rate") if bp.sampling.head.edge_rate is not None else \
        ("sampling", "strategy")
    mesh_path = ("mesh", "istio", "sampling_percentage") if bp.mesh.istio and \
        bp.mesh.istio.sampling_percentage is not None else rate_path
    if edge_roots and ingress is not None:
        ratio = edge_rate(bp)
        name = INGRESS_NAMES[ingress.kind]
        stages.append(Stage("ingress", "head", ratio, f"{name} samples {pct(ratio)} at the ingress",
                            rate_path,
                            "set sampling.head.edge_rate: 1 (the collector decides)" if collector else
                            "the ingress takes the edge rate (sampling.head.edge_rate)",
                            edge_roots, sum(weight[n] for n in edge_roots)))
        if mesh is not None:
            stages.append(Stage("mesh", "follows", 1.0, "Istio follows the ingress's sampled flag",
                                ("mesh", "istio", "sampling_percentage")))
    elif edge_roots and mesh is not None:
        stages.append(Stage("mesh", "head", mesh / 100, f"Istio samples {pct(mesh / 100)} at the mesh",
                            mesh_path,
                            "set mesh.istio.sampling_percentage: 100 (the collector decides)" if collector else
                            "set mesh.istio.sampling_percentage to edge_rate x 100",
                            edge_roots, sum(weight[n] for n in edge_roots)))
    else:
        sdk_decides = list(edge_roots) + sdk_decides
    for name in sorted(start):
        ratio = sdk_ratio(bp, name)
        path = ("sampling", "head", "services", name) if name in bp.sampling.head.services else rate_path
        sampler = sdk_sampler(ratio)
        if name in sdk_decides:
            fix = (f"remove the ratio or set it to 1 ({'.'.join(path)})" if collector else
                   "the edge SDK takes sampling.head.edge_rate")
            stages.append(Stage(f"sdk:{name}", "head", ratio,
                                f"the {name} proxy's own tracer samples {pct(ratio)} of the traces it starts"
                                if _proxy(bp, name) else
                                f"the {name} SDK ({sampler}) samples {pct(ratio)} of the traces it starts",
                                path, fix, (name,), weight[name], ratio))
        else:
            stages.append(Stage(f"sdk:{name}", "follows", 1.0,
                                f"the {name} {'proxy' if _proxy(bp, name) else 'SDK'} follows the sampled flag "
                                "it receives (parent-based)", path,
                                roots=(name,), ratio=ratio))
        if name in sdk_decides and mesh is not None:
            stages.append(Stage("mesh", "follows", 1.0, f"Istio follows the {name} SDK's sampled flag",
                                ("mesh", "istio", "sampling_percentage"), roots=(name,)))
    return stages


def _proxy(bp: bm.Blueprint, name: str) -> bool:
    """A `language: none` service (Envoy, nginx): its own tracer decides like the ingress's, no SDK."""
    return languages.get(bp.services[name].language).kind == "proxy"


# --------------------------------------------------------------------------- tail policies
def plan_policy(policy) -> pm.Policy:
    params = tuple(sorted((k, v if not isinstance(v, list) else tuple(v))
                          for k, v in policy.model_dump(exclude={"name", "type"}).items()
                          if v is not None and v != [] and v is not False))
    return pm.Policy(name=policy.name, type=policy.type, params=params)


def mode_policies(sampling: bm.Sampling) -> list[tuple[str, tuple[pm.Policy, ...], bool]]:
    """(mode, policies, capped) for the blueprint's own policies (DEFAULT_MODE) and every mode. A mode
    that raises the probabilistic share lifts the baseline cap: it asks for the volume on purpose."""
    base = tuple(plan_policy(p) for p in sampling.tail.policies) if sampling.tail else ()
    result = [(DEFAULT_MODE, base, True)]
    for name, mode in sorted(sampling.modes.items()):
        policies = []
        for policy in base:
            if policy.type == "probabilistic" and mode.probabilistic_percentage is not None:
                params = dict(policy.params) | {"percentage": mode.probabilistic_percentage}
                policy = pm.Policy(policy.name, policy.type, tuple(sorted(params.items())))
            policies.append(policy)
        policies.extend(plan_policy(p) for p in mode.add_policies)
        result.append((name, tuple(policies), mode.probabilistic_percentage is None))
    return result


def tail_on(bp: bm.Blueprint) -> bool:
    tail = bp.sampling.tail
    return tail is not None and tail.enabled and bool(tail.policies)


def _match_rate(bp: bm.Blueprint, policy: pm.Policy) -> float:
    assumed = bp.sampling.assumptions
    if policy.type == "errors":
        return assumed.error_rate
    if policy.type == "latency":
        return assumed.slow_rate
    return assumed.policy_rates.get(policy.name, DEFAULT_POLICY_RATE)


def keeps_slow(policy: pm.Policy) -> bool:
    return policy.type == "latency" and policy.get("upper_threshold_ms") is None


@dataclass(frozen=True)
class _Load:
    """Traffic at the sampling tier, per replica."""

    traces_per_sec: float
    spans_per_sec: float


# --------------------------------------------------------------------------- what a cap drops
def traces_per_window(cap: float, trace_spans: float) -> int:
    """Traces a limiter admits in one second: it takes one while the second's spans, that trace's
    included, stay below the cap as emitted (a whole number of spans)."""
    if trace_spans <= 0:
        return 0
    return max(0, math.ceil(math.ceil(cap) / trace_spans) - 1)


def poisson_excess(mean: float, limit: int) -> float:
    """E[max(0, N - limit)] for N ~ Poisson(mean): arrivals in one second beyond what is admitted.
    Terms beyond 12 standard deviations (probability < 1e-30) are left out."""
    if mean <= 0:
        return 0.0
    width = 12 * math.sqrt(mean) + 30
    top = math.ceil(mean + width)
    start = max(limit + 1, math.floor(mean - width))
    log_mean = math.log(mean)
    return sum((j - limit) * math.exp(j * log_mean - mean - math.lgamma(j + 1)) for j in range(start, top + 1))


def cap_loss(picks_per_sec: float, cap: float, trace_spans: float) -> float:
    """Share of a capped policy's picks its limiter drops: the expected excess over what one second
    admits, over the mean, with the picks of a second Poisson."""
    if picks_per_sec <= 0:
        return 0.0
    return min(1.0, poisson_excess(picks_per_sec, traces_per_window(cap, trace_spans)) / picks_per_sec)


def _baseline_shares(policies: tuple[pm.Policy, ...], load: _Load, cap: float | None) -> dict[str, float]:
    """Share of all traces each baseline policy keeps: a probabilistic share less what its own
    limiter drops (the tail evaluates every policy, so it sees the share's picks of every class), a
    rate_limit policy up to its spans/s of any trace."""
    trace_spans = load.spans_per_sec / load.traces_per_sec if load.traces_per_sec > 0 else 0.0
    shares = {}
    for policy in policies:
        if policy.type == "probabilistic":
            share = float(policy.get("percentage")) / 100
            if cap is not None:
                share *= 1 - cap_loss(share * load.traces_per_sec, cap, trace_spans)
            shares[policy.name] = share
        elif policy.type == "rate_limit":
            limit = float(policy.get("spans_per_second"))
            shares[policy.name] = min(1.0, limit / load.spans_per_sec) if load.spans_per_sec > 0 else 1.0
    return shares


def _tail_retention(bp: bm.Blueprint, policies: tuple[pm.Policy, ...], load: _Load, cap: float | None,
                    coverage: float) -> tuple[Retention, float]:
    """Retention per class and the share of recorded traces the tail keeps overall."""
    if not policies:
        return Retention(coverage, coverage, coverage, coverage), 1.0
    shares = _baseline_shares(policies, load, cap)
    base = 1 - math.prod(1 - share for share in shares.values())
    errors = 1.0 if any(p.type == "errors" for p in policies) else base
    slow = 1.0 if any(keeps_slow(p) for p in policies) else base
    classes = []
    unmatched = 1.0
    for policy in policies:
        if policy.type in BASELINE_TYPES:
            continue
        classes.append((policy.name, coverage))
        unmatched *= 1 - _match_rate(bp, policy)
    for policy in policies:
        if policy.type == "probabilistic":
            classes.append((policy.name, coverage * shares[policy.name]))
    kept = (1 - unmatched) + unmatched * base
    return Retention(errors * coverage, slow * coverage, base * coverage, coverage, tuple(classes)), kept


# --------------------------------------------------------------------------- putting it together
@dataclass(frozen=True)
class SamplingTier:
    """What the model needs to know of the tier that tail-samples."""

    replicas: int
    memory_limit_bytes: int | None
    agent: pm.Tier | None = None  # the node-local agents: do they serve remote head rates (edge_head)?


def baseline_cap(bp: bm.Blueprint, replicas: int, coverage: float) -> tuple[str, float] | None:
    """The baseline cap of one replica: ("spans", spans/s) or ("bytes", bytes/s); None when off."""
    tail = bp.sampling.tail
    if tail is None:
        return None
    cap = tail.baseline_cap
    if cap == "off":
        return None
    if isinstance(cap, bm.BaselineCap):
        if cap.bytes_per_second is not None:
            return "bytes", cap.bytes_per_second / replicas
        return "spans", cap.spans_per_second / replicas
    share = 1 - math.prod(1 - p.percentage / 100 for p in tail.policies if p.type == "probabilistic")
    peak = peak_spans_per_sec(bp) * coverage * share
    if peak <= 0:
        return None   # no declared peak (peak_rps, spans_per_request) to size it from: not capped
    # At the peak the cap binds with negligible probability: the share's picks in one second of one
    # replica are Poisson, so it admits their mean + 4 standard deviations + 1 (cap_loss: < 1e-4).
    picks = sum(roots(bp).values()) * coverage * share / replicas
    bursts = (picks + CAP_SIGMAS * math.sqrt(picks) + 1) * spans_per_trace(bp)
    return "spans", max(1.0, peak * CAP_HEADROOM / replicas, bursts)


def cap_spans(cap: tuple[str, float] | None, span_bytes: int) -> float | None:
    if cap is None:
        return None
    unit, value = cap
    return value if unit == "spans" else value / span_bytes


def num_traces(bp: bm.Blueprint, traces_per_replica: float) -> tuple[int, int]:
    """(num_traces, expected_new_traces_per_sec) of one replica, written or sized from the peak."""
    tail = bp.sampling.tail
    wait = bm.duration_seconds(tail.decision_wait) if tail else 0
    sized = max(MIN_NUM_TRACES, math.ceil(traces_per_replica * wait * BUFFER_HEADROOM))
    return ((tail.num_traces if tail and tail.num_traces else sized),
            (tail.expected_new_traces_per_sec if tail and tail.expected_new_traces_per_sec
             else max(1, math.ceil(traces_per_replica))))


def remote_roots(bp: bm.Blueprint, tier: SamplingTier) -> frozenset[str]:
    """Root services whose SDK polls the agents for its head rate, so a mode raises it
    (plan/remote_sampling.py); empty unless remote sampling is live."""
    if tier.agent is None or not remote_sampling.live(strategy(bp), (sdk_ratio(bp, n) for n in bp.services),
                                                      tier.agent):
        return frozenset()
    return frozenset(n for n in roots(bp) if remote_sampling.polls(bp.services[n].language))


def mode_coverage(chain: list[Stage], remote: frozenset[str], default: tuple[pm.Policy, ...],
                  policies: tuple[pm.Policy, ...]) -> float:
    """Share of root requests recorded in a mode: an SDK root that polls takes the mode's rate from
    the strategies file (remote_sampling.mode_ratio); ingress, mesh and fixed-ratio SDKs keep theirs."""
    return sum((remote_sampling.mode_ratio(s.ratio, default, policies)
                if s.stage.startswith("sdk:") and s.roots[0] in remote else s.keeps) * s.weight
               for s in chain if s.kind == "head")


def evaluate(view: EnvironmentView, tier: SamplingTier, rps: float | None = None) -> SamplingModel:
    """The model of one environment; volumes at `rps` root requests per second (default: the peak)."""
    bp = view.blueprint
    chain = _head_chain(view)
    start = roots(bp)
    peak_roots = sum(start.values())
    coverage = sum(s.keeps * s.weight for s in chain if s.kind == "head")   # every root has one
    rps = peak_roots if rps is None else rps
    scale = rps / peak_roots if peak_roots else 0.0
    trace_spans = spans_per_trace(bp)
    recorded_traces = rps * coverage
    recorded_spans = recorded_traces * trace_spans
    replicas = max(1, tier.replicas)
    on = tail_on(bp)
    peak_traces_per_replica = peak_roots * coverage / replicas
    buffer, _ = num_traces(bp, peak_traces_per_replica) if on else (0, 0)
    span_bytes = bp.sampling.assumptions.span_bytes
    cap = cap_spans(baseline_cap(bp, replicas, coverage), span_bytes) if on else None
    modes = []
    remote = remote_roots(bp, tier)
    listed = mode_policies(bp.sampling) if on else [(DEFAULT_MODE, (), False)]
    for name, policies, capped in listed:
        mode_cap = cap if capped else None
        # Under edge_head a mode may raise the head rate of the roots that poll the agents.
        covered = mode_coverage(chain, remote, listed[0][1], policies) if remote else coverage
        traces, spans = rps * covered, rps * covered * trace_spans
        retention, kept = _tail_retention(bp, policies if on else (), _Load(traces / replicas, spans / replicas),
                                          mode_cap, covered)
        exported = spans * kept
        volumes = Volumes(
            traces_per_sec=rps, traces_recorded_per_sec=traces, spans_per_sec=spans,
            gateway_spans_per_sec=spans, gateway_spans_per_sec_per_replica=spans / replicas,
            exported_spans_per_sec=exported,
            backends=tuple(Backend(b, exported, exported * span_bytes * 86400 / 1e9) for b in view.backends()),
            num_traces=buffer, tail_buffer_bytes=int(buffer * trace_spans * span_bytes),
            memory_limit_bytes=tier.memory_limit_bytes, baseline_cap_spans_per_sec=mode_cap)
        modes.append(ModeModel(name, policies, retention, volumes))
    chain.append(Stage("agent", "forward", 1.0, "the node-local agent forwards every span (by trace ID)"))
    default = modes[0]
    kept_share = (default.volumes.exported_spans_per_sec / recorded_spans) if recorded_spans else 1.0
    if on:
        chain.append(Stage("gateway", "tail", kept_share,
                           f"the gateway tier's tail sampler keeps {pct(kept_share)} of recorded traces",
                           ("sampling", "tail", "policies")))
    targets = bp.standards.sampling_targets
    tail = bp.sampling.tail
    return SamplingModel(
        strategy=strategy(bp), mode=bp.sampling.active_mode or DEFAULT_MODE, chain=tuple(chain),
        modes=tuple(modes), targets=Targets(targets.errors, targets.slow, targets.coverage,
                                            targets.healthy_min, targets.healthy_max, targets.propagation),
        assumptions=Assumptions(bp.sampling.assumptions.error_rate, bp.sampling.assumptions.slow_rate,
                                bp.sampling.assumptions.span_bytes), spans_per_trace=trace_spans, replicas=replicas,
        decision_wait_s=bm.duration_seconds(tail.decision_wait) if on else None)


def with_cap(policies: tuple[pm.Policy, ...], cap: tuple[str, float] | None) -> tuple[pm.Policy, ...]:
    """Probabilistic policies carry the per-replica baseline cap: `cap_spans_per_second` or
    `cap_bytes_per_second` (the collector ANDs the share with a rate_limiting/bytes_limiting policy)."""
    if cap is None:
        return policies
    unit, value = cap
    capped = []
    for policy in policies:
        if policy.type == "probabilistic":
            params = dict(policy.params) | {f"cap_{unit}_per_second": math.ceil(value)}
            policy = replace(policy, params=tuple(sorted(params.items())))
        capped.append(policy)
    return tuple(capped)
