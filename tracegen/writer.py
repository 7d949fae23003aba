"""The only code that touches the output directory.

Everything is rendered into a staging directory beside the target and swapped into place, so a
failure leaves the previous output as it was. `tracegen-manifest.json` records every artifact and
its hash; a file whose bytes no longer match the manifest was edited by hand and is not replaced
without `force`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tracegen import __version__
from tracegen.errors import WriteError
from tracegen.targets.artifact import Artifact
from tracegen.targets.serialize import to_json

MANIFEST = "tracegen-manifest.json"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest_data(artifacts: list[Artifact], blueprint: str) -> dict:
    entries = []
    for artifact in sorted(artifacts, key=lambda a: a.path):
        entry = {"path": artifact.path, "kind": artifact.kind, "environment": artifact.environment,
                 "sha256": sha256(artifact.content.encode())}
        for key in ("role", "service", "language"):
            value = getattr(artifact, key)
            if value is not None:
                entry[key] = value
        entries.append(entry)
    return {"generator": "tracegen", "version": __version__, "blueprint": blueprint, "artifacts": entries}


@dataclass(frozen=True)
class WriteResult:
    directory: Path
    written: int
    unchanged: bool


def hand_edited(directory: Path) -> list[str]:
    """Files listed in the previous manifest whose bytes changed (or that were deleted) since."""
    manifest_path = directory / MANIFEST
    if not manifest_path.exists():
        return []
    try:
        previous = json.loads(manifest_path.read_text(encoding="utf-8"))
        entries = previous["artifacts"]
    except (OSError, ValueError, KeyError, TypeError):
        return [MANIFEST]
    edited = []
    for entry in entries:
        path = directory / entry["path"]
        if not path.exists():
            continue
        if sha256(path.read_bytes()) != entry["sha256"]:
            edited.append(entry["path"])
    return sorted(edited)


def _check_target(directory: Path, force: bool) -> None:
    if directory.exists() and not directory.is_dir():
        raise WriteError(f"{directory} exists and is not a directory")
    if force or not directory.exists():
        return
    if not (directory / MANIFEST).exists():
        if any(directory.iterdir()):
            raise WriteError(f"{directory} is not empty and was not written by tracegen "
                             f"(no {MANIFEST}); choose another directory or pass --force")
        return
    edited = hand_edited(directory)
    if edited:
        listing = ", ".join(edited[:10]) + (" ..." if len(edited) > 10 else "")
        raise WriteError(f"{len(edited)} file(s) in {directory} were edited by hand since the last build: "
                         f"{listing}. Move the change into the blueprint, or pass --force to overwrite")


def write(artifacts: list[Artifact], directory: Path | str, blueprint: str, force: bool = False) -> WriteResult:
    directory = Path(directory)
    _check_target(directory, force)
    manifest = to_json(manifest_data(artifacts, blueprint))
    if (directory / MANIFEST).exists() and (directory / MANIFEST).read_text(encoding="utf-8") == manifest \
            and not hand_edited(directory):
        return WriteResult(directory, len(artifacts), unchanged=True)
    parent = directory.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.staging-", dir=parent))
    except OSError as exc:
        raise WriteError(f"cannot create a staging directory in {parent}: {exc.strerror}") from None
    try:
        for artifact in artifacts:
            path = staging / artifact.path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(artifact.content.encode())
            os.chmod(path, 0o755 if artifact.executable else 0o644)
        (staging / MANIFEST).write_text(manifest, encoding="utf-8")
        os.chmod(staging, 0o755)
        _swap(staging, directory.resolve())
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise WriteError(f"cannot write {directory}: {exc.strerror or exc}") from None
    return WriteResult(directory, len(artifacts), unchanged=False)


def _swap(staging: Path, directory: Path) -> None:
    """Put staging in place of directory; on failure the old directory is restored."""
    if not directory.exists():
        os.replace(staging, directory)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{directory.name}.old-", dir=directory.parent))
    old.rmdir()
    os.replace(directory, old)
    try:
        os.replace(staging, directory)
    except OSError:
        os.replace(old, directory)
        raise
    shutil.rmtree(old, ignore_errors=True)
