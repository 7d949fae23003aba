"""TG311 sampling.budget (error)

What the tracing will cost must fit `standards.budget`: `usd_per_day` and/or
`usd_per_1000_requests`, judged on the estimate `tracegen plan` prints (the mode the collectors
start in, at the declared peak, from each backend's list prices or its `pricing`). The message
names the costliest backend and its share. Lower the healthy share, cap the baseline, shorten a
backend's retention or send fewer backends everything; or raise the budget knowingly.

Bad:

    standards:
      budget: {usd_per_day: 50}
    backends:
      honeycomb: {type: honeycomb, endpoint: "https://api.honeycomb.io", protocol: http,
                  api_key: "${env:HONEYCOMB_API_KEY}"}
    sampling:
      tail:
        policies:
          - {name: keep-errors, type: errors}
          - {name: keep-slow, type: latency, threshold_ms: 1000}
          - {name: everything, type: probabilistic, percentage: 100}

Good:

    standards:
      budget: {usd_per_day: 50}
    backends:
      honeycomb: {type: honeycomb, endpoint: "https://api.honeycomb.io", protocol: http,
                  api_key: "${env:HONEYCOMB_API_KEY}"}
    sampling:
      tail:
        policies:
          - {name: keep-errors, type: errors}
          - {name: keep-slow, type: latency, threshold_ms: 1000}
          - {name: baseline, type: probabilistic, percentage: 5}
"""

from __future__ import annotations

from collections.abc import Iterator

from tracegen.blueprint.loader import LoadedBlueprint
from tracegen.plan import cost
from tracegen.standards.finding import Hit, Severity
from tracegen.standards.rules._common import sampling_models

NAME = "sampling.budget"
SEVERITY = Severity.ERROR


def check(loaded: LoadedBlueprint) -> Iterator[Hit]:
    for env, model in sampling_models(loaded):
        bp = loaded.environments[env].blueprint
        budget = bp.standards.budget
        if budget is None:
            continue
        mode = next(m for m in cost.costs(bp, model) if m.mode == model.mode)
        if not mode.backends:
            continue
        top = max(mode.backends, key=lambda b: b.usd_per_day)
        share = top.usd_per_day / mode.usd_per_day if mode.usd_per_day else 0.0
        costliest = f"{top.backend} is {share:.0%} of it ({top.gb_ingested_per_day:,.1f} GB/day)"
        for field, spent, unit in (("usd_per_day", mode.usd_per_day, "per day"),
                                   ("usd_per_1000_requests", mode.usd_per_1000_requests, "per 1,000 requests")):
            limit = getattr(budget, field)
            if limit is not None and spent > limit:
                yield Hit(("standards", "budget", field),
                          f"tracing costs an estimated ${spent:,.4g} {unit} in mode '{model.mode}' at the declared "
                          f"peak, over the budget of ${limit:,.4g}: {costliest}. Lower the healthy share or the "
                          "baseline cap, shorten retention, or raise the budget", environment=env)
