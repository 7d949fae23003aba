"""Files written while the artifacts stream in, before the build knows its whole manifest.

A build does not hold its artifacts: each one that must be written goes at once to a temporary file
beside its target (tracegen's own temporary name, see tracegen.writer.files), and only its path,
mode and temporary name are kept. The journal can only be written once every artifact is known, so
until then `.tracegen-staging` lists (one JSON string a line) each directory a temporary file went
into that the previous manifest does not already name; a build killed before its journal exists
leaves the next build every directory to clean, whatever blueprint it builds. A refusal or an
exception removes this build's temporary files and the directories it created for them.

The bytes go to disk on WRITERS worker threads while the targets render the next artifacts. On
this disk creating a file is latency, not work (each create and rename waits on the file system),
so two writers overlap those waits: at 1,000 services the build took 9.9 s against `cp -r`'s 6.1 s
with them and 21.6 s against 6.6 s without, in scripts/bench_build.py runs minutes apart (README,
Benchmarks; the disk is noisy, scripts/bench_parallel_writes.py measures bare writes). The price is
CPU time the kernel counts for the hand-offs (about 24 futex calls per file). At most IN_FLIGHT_BYTES
of artifacts wait for a writer, so memory stays bounded; `flush` waits for every one and raises the
first failure, and `discard` lets every one finish before it removes their files.
"""

from __future__ import annotations

import json
import os
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor, wait

from tracegen.writer.files import Tree, fill_temp, parent_of

STAGING = ".tracegen-staging"
WRITERS = 2
IN_FLIGHT_BYTES = 2 << 20   # artifacts' bytes waiting for a writer, at most (and one artifact more)
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
        self._pool: ThreadPoolExecutor | None = None
        self._pending: deque[tuple[Future, int]] = deque()
        self._pending_bytes = 0

    def put(self, path: str, data: bytes, mode: int) -> None:
        rel_dir = parent_of(path)
        if rel_dir not in self.covered:
            if self._fd is None:
                self._fd = os.open(self.tree.root / STAGING, _LOG_FLAGS, 0o644)
            os.write(self._fd, (json.dumps(rel_dir) + "\n").encode())
            self.covered.add(rel_dir)
        token, temp = self.tree.new_temp(path)
        self.temps.append((path, token))       # listed before it exists: discard removes it whatever happens
        if self._pool is None:
            self._pool = ThreadPoolExecutor(WRITERS, thread_name_prefix="tracegen-writer")
        self._pending.append((self._pool.submit(fill_temp, temp, data, mode), len(data)))
        self._pending_bytes += len(data)
        while self._pending_bytes > IN_FLIGHT_BYTES:
            self._next_written()

    def flush(self) -> None:
        """Every temporary file complete on disk; the first failure is raised (the rest still finish)."""
        try:
            while self._pending:
                self._next_written()
        finally:
            self._settle()

    def _next_written(self) -> None:
        future, size = self._pending.popleft()
        self._pending_bytes -= size
        future.result()

    def done(self) -> None:
        """The journal (or an unchanged build's cleaning) now covers everything: drop the list."""
        self._settle()
        self._close()
        self.tree.remove(STAGING)

    def discard(self) -> None:
        """Undo this build's writes: its temporary files and the directories made for them."""
        self._settle()
        for path, token in self.temps:
            self.tree.remove_temp(path, token)
        self.temps.clear()
        self.tree.remove_created()
        self._close()
        if not self.inherited:
            self.tree.remove(STAGING)

    def _settle(self) -> None:
        """Let every write in flight finish (failed or not), so no worker creates a file after this."""
        wait([future for future, _ in self._pending])
        self._pending.clear()
        self._pending_bytes = 0
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def _close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
