"""`tracegen validate DIR`: hand every artifact of a build to its real consumer.

Each validator module has `NAME`, `KINDS` (the artifact kinds it judges) and
`validate(directory, entries) -> Iterator[Check]`. A validator whose tool is not installed reports
its checks as skipped with the reason, so a partial machine still learns what it can.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from tracegen.errors import UsageError

MANIFEST = "tracegen-manifest.json"


@dataclass(frozen=True)
class Check:
    artifact: str
    validator: str
    status: str          # ok | fail | skip
    detail: str = ""


def read_manifest(directory: Path) -> list[dict]:
    path = directory / MANIFEST
    if not path.is_file():
        raise UsageError(f"{directory} has no {MANIFEST}; point at a `tracegen build` output directory")
    try:
        return json.loads(path.read_text(encoding="utf-8"))["artifacts"]
    except (ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"{path} is not a tracegen manifest ({exc})") from None


def _validators() -> dict[str, ModuleType]:
    from tracegen.validators import ansible, collector, kubernetes, sdk

    return {"collector": collector, "kubernetes": kubernetes, "ansible": ansible, "sdk": sdk}


def run(directory: Path, only: set[str] | None = None) -> list[Check]:
    entries = read_manifest(directory)
    checks: list[Check] = []
    for name, validator in _validators().items():
        if only and name not in only:
            continue
        relevant = [e for e in entries if e["kind"] in validator.KINDS]
        if relevant:
            checks.extend(validator.validate(directory, relevant))
    return checks
