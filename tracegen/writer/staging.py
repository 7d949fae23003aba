"""Files written while the artifacts stream in, before the build knows its whole manifest.

A build does not hold its artifacts: each one that must be written goes at once to a temporary file
beside its target (tracegen's own temporary name, see tracegen.writer.files), and only its path,
mode and temporary name are kept. The journal can only be written once every artifact is known, so
until then `.tracegen-staging` lists (one JSON string a line) each directory a temporary file went
into that the previous manifest does not already name; a build killed before its journal exists
leaves the next build every directory to clean, whatever blueprint it builds. A refusal or an
exception removes this build's temporary files and the directories it created for them.

Temporary files are written on the main thread, one after the other. Writing them on worker threads
while the targets render was tried and measured (scripts/bench_parallel_writes.py; README,
Benchmarks): on this disk it gained at most 1.3x on bare writes in noisy runs, and in a build it
added about 24 futex calls per file (the thread hand-offs and the interpreter lock), doubling the
system time, for no clear gain in wall time.
"""

from __future__ import annotations

import json
import os

from tracegen.writer.files import Tree, fill_temp, parent_of

STAGING = ".tracegen-staging"
_LOG_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC


def _listed(text: str | None) -> set[str]:
    dirs = set()
    for line in (text or "").splitlines():
        try:
            rel_dir = json.loads(line)
        except ValueError:
            continue
        if isinstance(rel_dir, str) and not rel_dir.startswith("/") and ".." not in rel_dir.split("/"):
            dirs.add(rel_dir)
    return dirs


class Staging:
    """This build's temporary files, as (artifact path, temporary name's token) in the order written."""

    def __init__(self, tree: Tree, covered: set[str]):
        self.tree = tree
        text = tree.read_text(STAGING)
        self.inherited = text is not None       # a killed build's list: kept until its directories are cleaned
        self.leftover_dirs = _listed(text)      # directories that killed build wrote temporary files into
        self.covered = set(covered) | self.leftover_dirs    # directories the next build cleans anyway
        self.temps: list[tuple[str, str]] = []
        self._fd: int | None = None

    def put(self, path: str, data: bytes, mode: int) -> None:
        rel_dir = parent_of(path)
        if rel_dir not in self.covered:
            if self._fd is None:
                self._fd = os.open(self.tree.root / STAGING, _LOG_FLAGS, 0o644)
            os.write(self._fd, (json.dumps(rel_dir) + "\n").encode())
            self.covered.add(rel_dir)
        token, temp = self.tree.new_temp(path)
        self.temps.append((path, token))       # listed before it exists: discard removes it whatever happens
        fill_temp(temp, data, mode)

    def done(self) -> None:
        """The journal (or an unchanged build's cleaning) now covers everything: drop the list."""
        self._close()
        self.tree.remove(STAGING)

    def discard(self) -> None:
        """Undo this build's writes: its temporary files and the directories made for them."""
        for path, token in self.temps:
            self.tree.remove_temp(path, token)
        self.temps.clear()
        self.tree.remove_created()
        self._close()
        if not self.inherited:
            self.tree.remove(STAGING)

    def _close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
