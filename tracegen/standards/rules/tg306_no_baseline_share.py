"""TG306 sampling.healthy-share (warning)

The healthy baseline (traces no error, latency or attribute policy keeps) should be kept at
`standards.sampling_targets.healthy_min`-`healthy_max` (default 5-10 %), as the retention model
computes it: enough to compare a slow trace with normal ones and for a mode to raise, little enough
to bound the vendor bill. Policies that keep only errors and slow traces leave no baseline; no tail
sampling (or a sibling `rate_limit` policy bigger than the traffic, which keeps rather than caps)
keeps all of it.

Bad:

    sampling:
      tail:
        policies:
          - {name: keep-errors, type: errors}
          - {name: keep-slow, type: latency, threshold_ms: 500}

Good:

    sampling:
      tail:
        policies:
          - {name: keep-errors, type: errors}
          - {name: keep-slow, type: latency, threshold_ms: 500}
          - {name: baseline, type: probabilistic, percentage: 10}
"""

from __future__ import annotations

from collections.abc import Iterator

from tracegen.blueprint.loader import LoadedBlueprint
from tracegen.plan.retention import healthy_band, pct
from tracegen.standards.finding import Hit, Severity
from tracegen.standards.rules._common import sampling_models

NAME = "sampling.healthy-share"
SEVERITY = Severity.WARNING


def check(loaded: LoadedBlueprint) -> Iterator[Hit]:
    for env, model in sampling_models(loaded):
        healthy, targets = model.retention.healthy, model.targets
        band = f"target {pct(targets.healthy_min)}-{pct(targets.healthy_max)}"
        rate_limits = [p.name for p in model.of().policies if p.type == "rate_limit"]
        if healthy_band(healthy, targets) < 0:
            yield Hit(("sampling", "tail", "policies"),
                      f"healthy traffic is kept at {pct(healthy)} ({band}): add or raise a baseline, e.g. "
                      "{name: baseline, type: probabilistic, percentage: 10}", environment=env)
        elif healthy_band(healthy, targets) > 0:
            why = (f"rate_limit policy {rate_limits[0]} keeps up to its spans/s of any trace (a sibling policy adds "
                   "traces, it does not cap them; use sampling.tail.baseline_cap)" if rate_limits else
                   "lower the probabilistic share" if model.of().policies else
                   "add tail sampling with errors, slow and a 5-10 % baseline")
            yield Hit(("sampling", "tail", "policies") if model.of().policies else ("sampling",),
                      f"healthy traffic is kept at {pct(healthy)} ({band}): {why}", environment=env)
