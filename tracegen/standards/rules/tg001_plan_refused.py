"""TG001 plan.refused (error)

The blueprint is valid YAML/HCL and fits the schema, but asks for something tracegen will not
deploy, because the result could not work: a host that is both a gateway and an application host,
agents with no way to reach the gateway tier, two tail-sampling policies with one name, a mode named
`baseline` while a mode is active, a propagator the service's SDK cannot build, a name too long
to become a file name, tail sampling on several agents without a gateway tier. `tracegen build`
refuses exactly these (the planner decides them once, in `tracegen/plan/refusals.py`), so `check`
reports them first, each at the blueprint position that causes it. The message says what to change.

Bad:

    sampling:
      modes:
        baseline: {probabilistic_percentage: 100}

Good:

    sampling:
      modes:
        incident: {probabilistic_percentage: 100}
"""

from __future__ import annotations

from collections.abc import Iterator

from tracegen.blueprint.loader import LoadedBlueprint
from tracegen.plan.builder import refusals
from tracegen.standards.finding import Hit, Severity

NAME = "plan.refused"
SEVERITY = Severity.ERROR
SUPPRESSIBLE = False


def check(loaded: LoadedBlueprint) -> Iterator[Hit]:
    for refusal in refusals(loaded):
        yield Hit(refusal.path, refusal.message, environment=refusal.environment)
