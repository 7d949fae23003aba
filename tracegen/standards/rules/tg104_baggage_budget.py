"""TG104 propagation.baggage-budget (error)

Baggage travels in a header on every request, through every hop. Cap it below 1 KB in total:
bigger budgets slow every call, and proxies and servers reject large headers, dropping the
context (or the request) with them.

Bad:

    standards:
      baggage_budget_bytes: 8192

Good:

    standards:
      baggage_budget_bytes: 1024
"""

from __future__ import annotations

from collections.abc import Iterator

from tracegen.blueprint.loader import LoadedBlueprint
from tracegen.standards.finding import Hit, Severity
from tracegen.standards.rules._common import views

NAME = "propagation.baggage-budget"
SEVERITY = Severity.ERROR
LIMIT = 1024


def check(loaded: LoadedBlueprint) -> Iterator[Hit]:
    for env, bp in views(loaded):
        budget = bp.standards.baggage_budget_bytes
        if budget > LIMIT:
            yield Hit(("standards", "baggage_budget_bytes"),
                      f"a baggage budget of {budget} bytes exceeds {LIMIT}: lower it to {LIMIT} or less and "
                      "carry only small keys (tenant, tier), never payloads", environment=env)
