"""TG203 resource.version-unpinned (warning)

`service.version` is how a trace tells which build was running: it is what you compare before
and after a deploy, and what a canary mode keys on. A moving label (`latest`, `main`, `dev`,
`1.2.0-SNAPSHOT`) names a different build every day, so a slow trace cannot be tied to a change.

Bad:

    services:
      api: {version: latest, language: go}

Good:

    services:
      api: {version: 1.4.2, language: go}
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tracegen.blueprint.loader import LoadedBlueprint
from tracegen.standards.finding import Hit, Severity

NAME = "resource.version-unpinned"
SEVERITY = Severity.WARNING
MOVING = re.compile(r"(^|[-_.+])(latest|dev|develop|main|master|trunk|head|snapshot|nightly|edge|unstable)$",
                    re.IGNORECASE)


def check(loaded: LoadedBlueprint) -> Iterator[Hit]:
    for name, service in loaded.blueprint.services.items():
        if MOVING.search(service.version.strip()):
            yield Hit(("services", name, "version"),
                      f"service '{name}' has the moving version '{service.version}': pin the released "
                      "version (a semver or the build's commit) so traces name the build that ran")
