"""The only code that touches the output directory.

The user's files are safe: tracegen replaces or removes only files its own manifest
(`tracegen-manifest.json`) lists. Anything else in the output directory (notes, overlays, the
blueprint, `.git`) survives every build, with or without `force`; a build that would have to
replace such a file refuses (exit 3) and names it. A listed file whose bytes no longer match the
manifest was edited by hand and is not replaced or removed without `force`. A listed file that
was deleted is written again.

Artifacts stream in and are not kept: each is hashed and compared with the disk as it comes, and
one that must be written goes at once to a temporary file beside it (tracegen.writer.staging); only
after the last one does the build decide, so a refusal, or an exception from the targets, removes
those temporary files and leaves the directory as it was. Each file is then put in place
atomically (`os.replace`), so a crash leaves every file either old or new and the directory always
exists. A journal of the manifest being committed is written before the first file is replaced and
removed after the new manifest is in place, so the next build knows both versions and completes the
job; it also removes tracegen's own temporary files a crash left (`.tracegen-staging` names where,
for a build killed before its journal). A lock in the output directory keeps two builds from
writing it at once. `partial` (for `build --only`) writes the given artifacts and keeps every
other artifact of the previous build, on disk and in the manifest.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from tracegen.errors import WriteError
from tracegen.targets.artifact import Artifact
from tracegen.writer import legacy, lock
from tracegen.writer.files import OnDisk, Tree, parent_of
from tracegen.writer.interrupts import Faults, held_back
from tracegen.writer.manifest import (JOURNAL, MANIFEST, Record, entry_of, entry_text, manifest_data, manifest_text,
                                      read_record)
from tracegen.writer.staging import Staging

__all__ = ["MANIFEST", "WriteResult", "manifest_data", "write"]

# A killed build needs no flush to disk: every file is old or new, and the journal and manifest
# let the next build finish. Only a power cut can leave a new file empty, which the next build then
# reports as edited by hand. TRACEGEN_FSYNC=1 closes that gap: the journal and manifest are fsynced
# and the file system is flushed before the renames and before the manifest (one syncfs each, never
# an fsync per file). It is off by default because syncfs flushes every file on that file system,
# which on a busy disk made a 30,000-file build 1.4-1.8x slower (README, Benchmarks).
SYNC = os.environ.get("TRACEGEN_FSYNC") == "1"


@dataclass(frozen=True)
class WriteResult:
    directory: Path
    written: int                  # artifacts in this build
    unchanged: bool
    replaced: list[str] = field(default_factory=list)    # files written (new or changed)
    removed: list[str] = field(default_factory=list)     # files of the previous build no longer produced
    notes: list[str] = field(default_factory=list)       # recovery done on the way, for the user


def _listing(paths: list[str]) -> str:
    return ", ".join(paths[:10]) + (f" and {len(paths) - 10} more" if len(paths) > 10 else "")


@dataclass
class _Plan:
    """What a build will do, decided as the artifacts stream in. Each file to write is by then in its
    temporary file (tracegen.writer.staging), unless the build is refused; nothing else was touched."""

    final: dict[str, str]          # the new manifest's entries: path -> entry_text
    writes: list[tuple[str, str]]  # (path, temporary file's token), the staging's list
    removes: list[str]
    foreign: list[str]             # files tracegen did not write where it must write one
    edited: list[str]              # files tracegen wrote that were changed since (or unreadable records)
    count: int = 0                 # artifacts in this build


def _decide(tree: Tree, record: Record, artifacts: Iterable[Artifact], partial: bool, force: bool,
            staging: Staging, faults: Faults) -> _Plan:
    """Consume artifacts once, keeping none of their contents."""
    plan = _Plan(final={}, writes=staging.temps, removes=[], foreign=[], edited=list(record.unreadable))
    for artifact in artifacts:
        if artifact.path in plan.final:
            raise ValueError(f"two artifacts claim {artifact.path}")
        data = artifact.content.encode()
        entry = entry_of(artifact, data)
        plan.final[artifact.path] = entry_text(entry)
        found = tree.inspect(artifact.path)
        mode = 0o755 if artifact.executable else 0o644
        if found == OnDisk(entry["sha256"], mode):
            continue
        known = record.known(artifact.path)
        if found is not None and found.sha256 != entry["sha256"]:
            if not known:
                plan.foreign.append(artifact.path)
            elif found.sha256 not in known:
                plan.edited.append(artifact.path)
        if not plan.foreign and (force or not plan.edited):    # else refused: no more temporary files
            staging.put(artifact.path, data, mode)
            faults.reached("temp")
    staging.flush()                 # every temporary file on disk (or the first failure raised) before deciding
    plan.count = len(plan.final)
    for path in sorted(record.paths() - plan.final.keys()):
        if partial:
            entry = _retained(tree, record, path)
            if entry is not None:
                plan.final[path] = entry_text(entry)
            continue
        try:
            found = tree.inspect(path)
        except WriteError:      # the user put something else there: theirs now, left alone
            continue
        if found is None:
            continue
        if found.sha256 not in record.known(path):
            plan.edited.append(path)
        plan.removes.append(path)
    plan.edited.sort()
    return plan


def _retained(tree: Tree, record: Record, path: str) -> dict | None:
    """The entry kept for a file a partial build leaves alone: the record matching its bytes."""
    try:
        found = tree.inspect(path)
    except WriteError:          # not ours to judge in this build; the next full build reports it
        found = None
    for entry in (record.entries.get(path), record.journal.get(path)):
        if entry and found is not None and entry["sha256"] == found.sha256:
            return entry
    return record.entries.get(path)     # an interrupted build's file that never arrived is dropped


def _refuse(plan: _Plan, display: Path, force: bool) -> None:
    if plan.foreign:
        raise WriteError(f"{len(plan.foreign)} file(s) in {display} were not written by tracegen and would be "
                         f"replaced: {_listing(plan.foreign)}. Move them away or choose another output directory "
                         "(tracegen never replaces files it did not write, even with --force)")
    if plan.edited and not force:
        raise WriteError(f"{len(plan.edited)} file(s) in {display} were edited by hand since the last build: "
                         f"{_listing(plan.edited)}. Move the change into the blueprint, or pass --force to "
                         "overwrite")


def _commit(tree: Tree, plan: _Plan, manifest: str, staging: Staging, faults: Faults) -> None:
    try:
        tree.write_atomically(JOURNAL, manifest.encode(), SYNC)
    except BaseException:
        staging.discard()
        raise
    staging.done()                  # the journal names every directory now
    faults.reached("journal")
    if SYNC and plan.writes:
        tree.sync_all()
    with held_back():
        for path, token in plan.writes:
            tree.replace(path, token)
            faults.reached("replace")
        for path in plan.removes:
            tree.remove(path)
            faults.reached("remove")
        if SYNC:
            tree.sync_all()
        faults.reached("manifest")
        tree.write_atomically(MANIFEST, manifest.encode(), SYNC)
        faults.reached("committed")
        tree.remove(JOURNAL)


def _locked_write(root: Path, display: Path, artifacts: Iterable[Artifact], blueprint: str, force: bool,
                  partial: bool, faults: Faults) -> WriteResult:
    tree = Tree(root, display)
    journal = tree.read_text(JOURNAL)
    record = read_record(tree.read_text(MANIFEST), journal)
    known_dirs = {parent_of(p) for p in record.paths()} | {""}
    staging = Staging(tree, known_dirs)
    cleaned = tree.clean_temps(known_dirs | staging.leftover_dirs)     # a crashed build's temporary files
    tidy = {parent_of(p) for p in cleaned} | staging.leftover_dirs
    try:
        plan = _decide(tree, record, artifacts, partial, force, staging, faults)
        _refuse(plan, display, force)
        manifest = manifest_text(plan.final, blueprint)
        unchanged = not plan.writes and not plan.removes and journal is None and tree.read_text(MANIFEST) == manifest
    except BaseException:
        staging.discard()
        raise
    if unchanged:
        staging.done()
        tree.prune(tidy)
        return WriteResult(display, plan.count, unchanged=True)
    _commit(tree, plan, manifest, staging, faults)
    tree.prune({parent_of(p) for p in plan.removes} | tidy | {parent_of(p) for p in record.journal})
    return WriteResult(display, plan.count, unchanged=False, replaced=[path for path, _ in plan.writes],
                       removed=plan.removes)


def write(artifacts: Iterable[Artifact], directory: Path | str, blueprint: str, force: bool = False,
          partial: bool = False) -> WriteResult:
    """Bring directory up to date with artifacts, consumed once as they come and not kept (see the
    module docstring for what is guaranteed). An exception from artifacts leaves the directory as it was."""
    display = Path(directory)
    faults = Faults()
    if os.path.lexists(display) and not display.is_dir():
        raise WriteError(f"{display} exists and is not a directory")
    root = display.resolve()
    created = False
    try:
        notes = legacy.recover(root)
        if not root.exists():
            root.mkdir(parents=True)
            created = True
        with lock.held(root, str(display)):
            faults.reached("locked")
            result = _locked_write(root, display, artifacts, blueprint, force, partial, faults)
    except OSError as exc:
        if created:
            _remove_if_empty(root)
        raise WriteError(f"cannot write {exc.filename or display}: {exc.strerror or exc}") from None
    except BaseException:
        if created:
            _remove_if_empty(root)
        raise
    return dataclasses.replace(result, notes=notes)


def _remove_if_empty(root: Path) -> None:
    try:
        root.rmdir()
    except OSError:
        pass
