"""Two builds in, a TreeDiff out: every artifact added, changed or removed, each change keyed by identity."""

from __future__ import annotations

import difflib

from tracegen.diff import documents, risks, structure
from tracegen.diff.model import Change, FileDiff, TreeDiff
from tracegen.diff.redact import redact_line
from tracegen.diff.source import Build, Side, as_build

CONTEXT_LINES = 3


def diff_trees(old: Side, new: Side, *, old_label: str | None = None, new_label: str | None = None) -> TreeDiff:
    """Compare two builds. Each side is a build directory (Path or str), a `Build`, a list of
    `Artifact`s, or a mapping path -> bytes|str (kinds guessed from content)."""
    before, after = as_build(old, old_label), as_build(new, new_label)
    files = [diff_file(path, before, after) for path in sorted(set(before.files) | set(after.files))]
    return TreeDiff(old=old_label or before.label, new=new_label or after.label,
                    files=tuple(f for f in files if f is not None), notes=before.notes + after.notes)


def diff_file(path: str, before: Build, after: Build) -> FileDiff | None:
    """The FileDiff of `path` between two builds, or None when it is the same in both (byte for byte,
    or in meaning: a structured file whose comments or layout alone changed)."""
    old, new = before.files.get(path), after.files.get(path)
    if old == new:
        return None
    side = after if new is not None else before
    kind = side.kind(path)
    details = dict(side.details.get(path, {}))
    if old is None or new is None:
        status = "added" if old is None else "removed"
        content = new if old is None else old
        data = documents.read(path, kind, content).data
        objects = documents.is_objects(data)
        # Shown by name only (the file is new or gone whole); a removal that can lose data says so.
        parts = sorted(data.items()) if objects else [((), data)]
        changes = tuple(Change(status, (key,) if objects else key,
                               data_loss=risks.judge("removed", (), value, None, None) if status == "removed" else None)
                        for key, value in parts)
        changes = changes if objects else tuple(c for c in changes if c.data_loss)
        return FileDiff(path, kind, status, changes, None, details.get("environment"), details.get("service"),
                        objects)
    first, second = documents.read(path, before.kind(path), old), documents.read(path, kind, new)
    if first.structured and second.structured:
        changes = tuple(structure.diff(first.data, second.data, risks.judge))
        if not changes:
            return None
        return FileDiff(path, kind, "changed", changes, None, details.get("environment"), details.get("service"),
                        documents.is_objects(first.data) or documents.is_objects(second.data))
    text = tuple(unified(first.text if first.text is not None else old.decode("utf-8", "replace"),
                         second.text if second.text is not None else new.decode("utf-8", "replace"), path))
    return FileDiff(path, kind, "changed", (), text, details.get("environment"), details.get("service"))


def unified(old: str, new: str, path: str) -> list[str]:
    """A unified diff of two texts, compared as they are and shown redacted: a line whose secret
    changed is shown as removed and added, both `<redacted>`, never its value."""
    lines = difflib.unified_diff(old.splitlines(), new.splitlines(), f"a/{path}", f"b/{path}", n=CONTEXT_LINES,
                                 lineterm="")
    return [line if index < 2 or line.startswith("@@") else line[:1] + redact_line(line[1:])
            for index, line in enumerate(lines)]
