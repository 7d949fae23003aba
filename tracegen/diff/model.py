"""What a diff is made of: a change inside one document, a file's changes, and the whole tree's."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

OPS = ("added", "changed", "removed", "reordered")
STATUSES = ("added", "changed", "removed")


@dataclass(frozen=True)
class Change:
    """One difference at `path` inside a document. `old` and `new` are already redacted and made
    JSON-safe (None when absent); `data_loss` says how the change can lose data, or is None."""

    op: str                      # added | changed | removed | reordered
    path: tuple[str, ...]        # segments; a keyed list item is `[identity]`
    old: Any = None
    new: Any = None
    data_loss: str | None = None

    @property
    def where(self) -> str:
        return join_path(self.path)


@dataclass(frozen=True)
class FileDiff:
    """One artifact that was added, changed or removed. Structured files carry `changes`; text files
    (source code, docs) carry a redacted unified diff in `text`."""

    path: str
    kind: str
    status: str                  # added | changed | removed
    changes: tuple[Change, ...] = ()
    text: tuple[str, ...] | None = None
    environment: str | None = None
    service: str | None = None
    objects: bool = False        # Kubernetes objects: each change's first segment is an object's identity

    @property
    def data_loss(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.data_loss)


@dataclass(frozen=True)
class TreeDiff:
    """Every difference between two builds, files in path order."""

    old: str                     # labels for the two sides (a directory, a blueprint, a phase)
    new: str
    files: tuple[FileDiff, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def changed(self) -> bool:
        return bool(self.files)

    def summary(self) -> dict[str, dict[str, int]]:
        """Per artifact kind, how many files are added, changed and removed (kinds in name order)."""
        counts: dict[str, dict[str, int]] = {}
        for diff in self.files:
            counts.setdefault(diff.kind, dict.fromkeys(STATUSES, 0))[diff.status] += 1
        return dict(sorted(counts.items()))

    def totals(self) -> dict[str, int]:
        return {status: sum(1 for d in self.files if d.status == status) for status in STATUSES}

    def data_loss(self) -> list[tuple[FileDiff, Change]]:
        return [(d, c) for d in self.files for c in d.data_loss]


def segment(key: Any) -> str:
    return str(key)


def join_path(path: tuple[str, ...]) -> str:
    """`exporters.otlp_grpc/honeycomb.headers`; keys holding dots or spaces are quoted
    (`metadata.labels["app.kubernetes.io/name"]`), keyed list items read `policies[keep-slow]`."""
    out = ""
    for index, part in enumerate(path):
        # The first segment (a Kubernetes identity, a properties key) reads as it is.
        quoted = ".[] \"" if index else "[] \""
        if part.startswith("[") and part.endswith("]"):
            out += part
        elif part == "" or any(c in part for c in quoted) or part != part.strip():
            out += "[" + _quote(part) + "]"
        else:
            out += ("." if out else "") + part
    return out


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
