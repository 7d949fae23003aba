"""The baseline cap against the arrivals it meets: traces reach a gateway replica as a Poisson
stream, the share picks some, and the limiter the collector runs (rate_limiting inside the share's
`and` policy) admits a trace while the second's spans, that trace's included, stay below its
spans_per_second. A cap sized at the mean drops the seconds that bring more (at a 25 rps peak,
~40 % of the share); the auto cap leaves room for mean + 4 sqrt(mean) + 1 picks, and the retention
model predicts what the limiter drops either way.

The simulation here is trace by trace and independent of the model's arithmetic: arrival times,
the agent's split by trace ID, the share's pick, one-second windows per replica, the limit read from
the emitted collector config."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tracegen.blueprint.loader import load_text
from tracegen.plan import collector_sampling, retention as rt
from tracegen.plan.builder import build_plan

REPO = Path(__file__).resolve().parents[1]
CHECKOUT = REPO / "blueprints" / "checkout.yaml"
PROMISE = REPO / "tests" / "e2e" / "blueprints" / "sampling-promise.yaml"


def _small(peak_rps: float = 25, cap: object = "auto") -> str:
    """The sampling-promise system (7 spans a trace, two gateways) with checkout's sampling section,
    declaring `peak_rps` root requests per second."""
    data = yaml.safe_load(PROMISE.read_text(encoding="utf-8"))
    data["sampling"] = yaml.safe_load(CHECKOUT.read_text(encoding="utf-8"))["sampling"]
    data["sampling"]["tail"]["baseline_cap"] = cap
    for service in data["services"].values():
        service["peak_rps"] = peak_rps
    return yaml.safe_dump(data, sort_keys=False)


def _checkout(cap: object = "auto") -> str:
    data = yaml.safe_load(CHECKOUT.read_text(encoding="utf-8"))
    data["sampling"]["tail"]["baseline_cap"] = cap
    return yaml.safe_dump(data, sort_keys=False)


@dataclass(frozen=True)
class Setup:
    share: float               # the probabilistic policy's share
    limit: int                 # spans_per_second of its rate_limiting sub-policy, as emitted
    replicas: int
    trace_spans: float
    coverage: float
    healthy: float             # what the model predicts at `rps`


def _setup(text: str, env_name: str, rps: float | None = None) -> Setup:
    loaded = load_text(text, "cap.yaml")
    env = next(e for e in build_plan(loaded).environments if e.name == env_name)
    (share_policy,) = [p for p in env.tail_sampling.policies if p.type == "probabilistic"]
    emitted = collector_sampling.policy(share_policy)
    share_part, cap_part = emitted["and"]["and_sub_policy"]
    model = env.sampling if rps is None else rt.evaluate(
        loaded.environments[env_name], rt.SamplingTier(env.sampling.replicas, None), rps)
    return Setup(share_part["probabilistic"]["sampling_percentage"] / 100,
                 cap_part["rate_limiting"]["spans_per_second"], env.sampling.replicas,
                 env.sampling.spans_per_trace, model.retention.coverage, model.retention.healthy)


def _simulate(setup: Setup, rps: float, seconds: int, seed: int) -> tuple[float, int]:
    """(share of the picks the limiters drop, picks) over `seconds` of Poisson arrivals at `rps`."""
    rng = random.Random(seed)
    spent: dict[tuple[int, int], float] = {}
    picked = dropped = 0
    t = rng.expovariate(rps * setup.coverage)
    while t < seconds:
        replica = rng.randrange(setup.replicas)              # the agent's split by trace ID
        if rng.random() < setup.share:
            picked += 1
            window = (replica, int(t))                       # one decision tick a second
            used = spent.get(window, 0.0)
            if used + setup.trace_spans < setup.limit:
                spent[window] = used + setup.trace_spans
            else:
                dropped += 1
        t += rng.expovariate(rps * setup.coverage)
    return dropped / picked, picked


def _tolerance(loss: float, picks: int) -> float:
    """Four standard deviations of a share over `picks`, widened for the per-second clustering."""
    return 4 * math.sqrt(max(loss * (1 - loss), 1e-4) / picks) * 2 + 0.002


# --------------------------------------------------------------------------- the arithmetic
def test_poisson_excess_matches_the_sum_it_stands_for():
    for mean, limit in ((1.25, 1), (5.0, 9), (20.0, 24), (300.0, 280)):
        exact, p = 0.0, math.exp(-mean)
        for j in range(0, 2000):
            exact += max(0, j - limit) * p
            p *= mean / (j + 1)
        assert rt.poisson_excess(mean, limit) == pytest.approx(exact, rel=1e-9, abs=1e-15)


def test_a_window_admits_traces_while_the_spans_stay_below_the_cap():
    assert rt.traces_per_window(10.5, 7) == 1       # 7 < 11, 14 is not
    assert rt.traces_per_window(105, 7) == 14       # 98 < 105, 105 is not
    assert rt.traces_per_window(6, 7) == 0


def test_far_above_the_cap_the_loss_is_the_fluid_one():
    mean, admitted = 600.0, 38
    assert rt.cap_loss(mean, 38 * 24 + 1, 24) == pytest.approx(1 - admitted / mean, rel=1e-6)


# --------------------------------------------------------------------------- the auto cap
def test_the_auto_cap_leaves_room_for_poisson_bursts_at_a_small_peak():
    setup = _setup(_small(), "e2e")
    picks = 25 * 0.10 / 2                                    # per replica per second at the peak
    assert setup.trace_spans == 7 and setup.replicas == 2
    assert setup.limit == math.ceil((picks + 4 * math.sqrt(picks) + 1) * 7)   # 49, not 11
    assert setup.healthy == pytest.approx(0.10, rel=1e-3)


# --------------------------------------------------------------------------- model against simulation
SCALES = {
    # name: (blueprint text, environment, rps the traffic runs at, simulated seconds)
    "small-auto-at-peak": (lambda: _small(), "e2e", 25.0, 20000),
    "small-old-cap": (lambda: _small(cap={"spans_per_second": 21}), "e2e", 25.0, 20000),
    "small-auto-at-4x": (lambda: _small(), "e2e", 100.0, 8000),
    "checkout-auto-at-peak": (lambda: _checkout(), "prod", 400.0, 1500),
    "checkout-old-cap": (lambda: _checkout(cap={"spans_per_second": 1344}), "prod", 400.0, 1500),
    "checkout-auto-at-3x": (lambda: _checkout(), "prod", 1200.0, 500),
}


@pytest.mark.parametrize("scale", SCALES)
def test_model_predicts_what_a_one_second_limiter_drops(scale):
    text, env_name, rps, seconds = SCALES[scale]
    setup = _setup(text(), env_name, rps)
    predicted = 1 - setup.healthy / (setup.share * setup.coverage)
    simulated, picks = _simulate(setup, rps, seconds, seed=list(SCALES).index(scale))
    assert abs(simulated - predicted) <= _tolerance(predicted, picks), (
        f"{scale}: the limiter dropped {simulated:.2%} of {picks} picks, the model says {predicted:.2%}")
    if scale.endswith("at-peak"):
        assert predicted < 1e-3 and simulated < 2e-3      # at the declared peak the cap hardly binds
    if scale.endswith("old-cap"):
        assert predicted > 0.02                            # a cap at 1.2 x the mean is not free
