"""TL201 tail-sampling.policy-names (error)

Every `tail_sampling` policy needs a `name`, unique in its processor: the collector refuses a
config with an unnamed policy or two policies of one name when it starts (`otelcol validate` lets
it through), and the name labels the processor's metrics per policy. Name each policy by what it
keeps.

Bad:

    processors:
      tail_sampling:
        policies:
          - type: status_code
            status_code: {status_codes: [ERROR]}

Good:

    processors:
      tail_sampling:
        policies:
          - name: keep-errors
            type: status_code
            status_code: {status_codes: [ERROR]}
"""

from __future__ import annotations

from collections.abc import Iterator

from tracegen.lint.config import CollectorConfig
from tracegen.standards.finding import Hit, Severity

NAME = "tail-sampling.policy-names"
SEVERITY = Severity.ERROR


def check(config: CollectorConfig) -> Iterator[Hit]:
    for component_id, type_name, settings in config.components("processors"):
        policies = settings.get("policies")
        if type_name != "tail_sampling" or not isinstance(policies, list):
            continue
        seen: dict[str, int] = {}
        for index, policy in enumerate(policies):
            path = ("processors", component_id, "policies", index)
            name = policy.get("name") if isinstance(policy, dict) else None
            kind = policy.get("type", "?") if isinstance(policy, dict) else "?"
            if not isinstance(name, str) or not name.strip():
                yield Hit(path, f"{component_id}: policy {index + 1} (type {kind}) has no name: give it a "
                                "unique name (the collector refuses unnamed policies at start-up)")
            elif name in seen:
                yield Hit(path + ("name",), f"{component_id}: policy name '{name}' is also policy "
                                            f"{seen[name] + 1}'s: names must be unique")
            else:
                seen[name] = index
