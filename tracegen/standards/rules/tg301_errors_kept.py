"""TG301 sampling.errors-kept (error)

Error traces must be kept at 100%. A head sampler decides at the first span, before anyone knows
the request will fail, so head sampling alone keeps errors at the head rate (10% keeps one error
in ten). Tail sampling in the collector sees the finished trace: give it an `errors` policy.

Bad:

    sampling:
      head: {edge_rate: 0.1}
      tail:
        policies:
          - {name: baseline, type: probabilistic, percentage: 10}

Good:

    sampling:
      head: {edge_rate: 0.1}
      tail:
        policies:
          - {name: keep-errors, type: errors}
          - {name: baseline, type: probabilistic, percentage: 10}
"""

from __future__ import annotations

from collections.abc import Iterator

from tracegen.blueprint.loader import LoadedBlueprint
from tracegen.blueprint.model import Sampling
from tracegen.standards.finding import Hit, Severity
from tracegen.standards.rules._common import views

NAME = "sampling.errors-kept"
SEVERITY = Severity.ERROR
ADVICE = "add tail sampling with a policy {name: keep-errors, type: errors}"


def _keeps_everything(sampling: Sampling) -> bool:
    head = sampling.head
    return head.edge_rate >= 1 and all(ratio >= 1 for ratio in head.services.values())


def check(loaded: LoadedBlueprint) -> Iterator[Hit]:
    for env, bp in views(loaded):
        sampling, tail = bp.sampling, bp.sampling.tail
        if _keeps_everything(sampling):
            continue  # TG305 has words for keeping 100%
        if tail is None:
            yield Hit(("sampling", "tail"),
                      f"only head sampling: error traces are kept at the head rate, not 100%; {ADVICE}",
                      environment=env)
        elif not tail.enabled:
            yield Hit(("sampling", "tail", "enabled"),
                      "tail sampling is disabled, so error traces are kept only at the head rate: enable it "
                      "with a policy {name: keep-errors, type: errors}", environment=env)
        elif not any(policy.type == "errors" for policy in tail.policies):
            yield Hit(("sampling", "tail", "policies"),
                      "no tail policy keeps error traces: add {name: keep-errors, type: errors}",
                      environment=env)
