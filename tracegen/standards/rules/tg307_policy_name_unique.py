"""TG307 sampling.policy-name-unique (error)

The collector's `tail_sampling` processor refuses a configuration in which two policies share a
name. A sampling mode adds its `add_policies` to the base policies, so their names must differ
from the base names too, or switching to that mode breaks the collector.

Bad:

    sampling:
      tail:
        policies:
          - {name: keep, type: errors}
          - {name: keep, type: latency, threshold_ms: 500}

Good:

    sampling:
      tail:
        policies:
          - {name: keep-errors, type: errors}
          - {name: keep-slow, type: latency, threshold_ms: 500}
"""

from __future__ import annotations

from collections.abc import Iterator

from tracegen.blueprint.loader import LoadedBlueprint
from tracegen.standards.finding import Hit, Severity
from tracegen.standards.rules._common import views

NAME = "sampling.policy-name-unique"
SEVERITY = Severity.ERROR


def _duplicates(names: list[str], taken: set[str]) -> Iterator[tuple[int, str]]:
    seen = set(taken)
    for index, name in enumerate(names):
        if name in seen:
            yield index, name
        seen.add(name)


def check(loaded: LoadedBlueprint) -> Iterator[Hit]:
    for env, bp in views(loaded):
        base = [p.name for p in bp.sampling.tail.policies] if bp.sampling.tail else []
        for index, name in _duplicates(base, set()):
            yield Hit(("sampling", "tail", "policies", index, "name"),
                      f"tail policy name '{name}' is used twice: the collector rejects the config; rename one",
                      environment=env)
        for mode_name, mode in bp.sampling.modes.items():
            for index, name in _duplicates([p.name for p in mode.add_policies], set(base)):
                yield Hit(("sampling", "modes", mode_name, "add_policies", index, "name"),
                          f"mode '{mode_name}' adds policy '{name}', a name already in use: the collector "
                          "rejects the mode's config; rename it", environment=env)
