"""TG305 sampling.head-rate (warning)

A head sampler in the SDKs contradicts the strategy. With `sampling.strategy: collector` (the
default) the apps record every trace (`parentbased_always_on`) and the gateway decides; an SDK
root ratio below 1 drops traces before anyone knows whether they fail (TG301 reports it when that
costs error traces), and behind a proxy that decides first it is a fiction that starts to bite as
soon as a request arrives without a sampled flag. With `strategy: edge_head` the edge rate is a
volume cap: above 25 % it saves little and still loses errors, so let the collector decide.

Bad:

    mesh:
      istio: {sampling_percentage: 100}
    sampling:
      head:
        services: {frontend: 0.5}

Good:

    mesh:
      istio: {sampling_percentage: 100}
    sampling:
      head:
        services: {frontend: 1.0}
"""

from __future__ import annotations

from collections.abc import Iterator

from tracegen.blueprint.loader import LoadedBlueprint
from tracegen.plan.retention import COLLECTOR, pct
from tracegen.standards.finding import Hit, Severity
from tracegen.standards.rules._common import reported_by_tg301, sampling_models

NAME = "sampling.head-rate"
SEVERITY = Severity.WARNING
EDGE_HEAD_LIMIT = 0.25


def check(loaded: LoadedBlueprint) -> Iterator[Hit]:
    for env, model in sampling_models(loaded):
        for stage in model.chain:
            if not stage.stage.startswith("sdk:") or stage.ratio is None or reported_by_tg301(model, stage.stage):
                continue
            service = stage.stage.removeprefix("sdk:")
            if model.strategy == COLLECTOR and stage.ratio < 1:
                yield Hit(stage.path, f"the {service} SDK is set to sample {pct(stage.ratio)} of the root traces "
                                      "it starts "
                                      "while the collector decides: record every trace (remove the ratio) or "
                                      "declare sampling.strategy: edge_head with its lowered targets",
                          environment=env)
            elif model.strategy != COLLECTOR and stage.kind == "head" and stage.ratio > EDGE_HEAD_LIMIT:
                yield Hit(stage.path, f"edge head sampling at {service} keeps {pct(stage.ratio)} of the traces: "
                                      "it saves little and still loses errors; use sampling.strategy: collector",
                          environment=env)
