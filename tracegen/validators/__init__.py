"""`tracegen validate DIR`: hand every artifact of a build to its real consumer.

Each validator module has `NAME`, `KINDS` (the artifact kinds it judges) and
`validate(directory, entries) -> Iterator[Check]`. A validator whose tool or Python package is not
installed reports its checks as skipped with the reason and what to install, so a partial machine
(a plain `pip install tracegen`, without the `validate` extra) still learns what it can.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from tracegen.errors import UsageError

MANIFEST = "tracegen-manifest.json"
EXTRA = "pip install 'tracegen[validate]'"


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
    from tracegen.validators import ansible, collector, kubernetes, monitoring, sdk

    return {"collector": collector, "kubernetes": kubernetes, "ansible": ansible, "sdk": sdk,
            "monitoring": monitoring}


def missing_modules(*modules: str) -> list[str]:
    """The Python modules of `modules` that are not installed here (or cannot be imported)."""
    return [module for module in modules if not _importable(module)]


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):   # ValueError: a module blocked with sys.modules[name] = None
        return False


def skip_all(entries: list[dict], validator: str, reason: str) -> list[Check]:
    return [Check(entry["path"], validator, "skip", reason) for entry in sorted(entries, key=lambda e: e["path"])]


def run(directory: Path, only: set[str] | None = None) -> list[Check]:
    entries = read_manifest(directory)
    validators = _validators()
    unknown = sorted(set(only or ()) - set(validators))
    if unknown:
        raise UsageError(f"unknown validator(s) {unknown}; known: {sorted(validators)}")
    checks: list[Check] = []
    for name, validator in validators.items():
        if only and name not in only:
            continue
        relevant = [e for e in entries if e["kind"] in validator.KINDS]
        done: list[Check] = []
        try:
            for check in validator.validate(directory, relevant) if relevant else ():
                done.append(check)
        except ImportError as error:   # a package the validator needs is not installed
            judged = {check.artifact for check in done}
            done += skip_all([e for e in relevant if e["path"] not in judged], validator.NAME,
                             f"needs the Python package {error.name or 'it imports'}: {EXTRA}")
        checks.extend(done)
    return checks
