"""Careful file operations inside the output directory.

Nothing here follows a symbolic link, opens a FIFO or a device, or leaves a half-written file under
an artifact's name: each file is written to a temporary name in its own directory and moved into
place with `os.replace`, which replaces the old version in one step. Temporary names end in
`.tracegen-tmp-<12 hex>`, so a later build can recognise (and remove) only its own leftovers.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import re
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from tracegen.errors import WriteError

_TEMP = re.compile(r"^\..*\.tracegen-tmp-[0-9a-f]{12}$")
_READ_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC
_CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


def _syncfs():
    try:
        return ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):      # not Linux/glibc: os.sync() does the same, for every file system
        return None


_SYNCFS = _syncfs()


@dataclass(frozen=True)
class OnDisk:
    """A regular file's hash and permission bits."""

    sha256: str
    mode: int


def _what(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISLNK, "a symbolic link"),
                       (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"), (stat.S_ISREG, "a file")):
        if test(mode):
            return name
    return "not a file"


def in_the_way(display: str, mode: int, needed: str = "a file") -> WriteError:
    return WriteError(f"{display} is {_what(mode)} where tracegen needs {needed}; move it away and build again "
                      f"(--force does not change this)")


class Tree:
    """The output directory, checked as it is walked: every parent of a path must be a real directory."""

    def __init__(self, root: Path, display: Path):
        self.root = root
        self.display = display
        self._prefix = os.path.join(root, "")        # string paths: pathlib costs more than the syscall here
        self._dirs: dict[str, bool] = {"": True}     # relative dir -> exists (a real directory)
        self.created: set[str] = set()                # directories this build made

    def show(self, rel: str) -> str:
        return (self.display / rel).as_posix()

    def at(self, rel: str) -> str:
        """rel's path on disk."""
        return self._prefix + rel

    def _dir_exists(self, rel_dir: str) -> bool:
        if rel_dir in self._dirs:
            return self._dirs[rel_dir]
        parent = parent_of(rel_dir)
        exists = self._dir_exists(parent) and parent not in self.created    # this build's: holds only its own
        if exists:
            try:
                mode = os.lstat(self.at(rel_dir)).st_mode
            except FileNotFoundError:
                exists = False
            else:
                if not stat.S_ISDIR(mode):
                    raise in_the_way(self.show(rel_dir), mode, "a directory")
        self._dirs[rel_dir] = exists
        return exists

    def inspect(self, rel: str) -> OnDisk | None:
        """The regular file at rel, or None if there is none; anything else there is an error."""
        rel_dir = parent_of(rel)
        if not self._dir_exists(rel_dir) or rel_dir in self.created:     # made by this build: nothing there yet
            return None
        path = self.at(rel)
        try:
            mode = os.lstat(path).st_mode
        except FileNotFoundError:
            return None
        if not stat.S_ISREG(mode):
            raise in_the_way(self.show(rel), mode)
        fd = os.open(path, _READ_FLAGS)
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise in_the_way(self.show(rel), info.st_mode)
            digest = hashlib.sha256()
            while chunk := os.read(fd, 1 << 20):
                digest.update(chunk)
        finally:
            os.close(fd)
        return OnDisk(digest.hexdigest(), stat.S_IMODE(info.st_mode))

    def read_text(self, rel: str) -> str | None:
        """A small file of tracegen's own (manifest, journal), or None if absent."""
        if self.inspect(rel) is None:
            return None
        fd = os.open(self.at(rel), _READ_FLAGS)
        with os.fdopen(fd, "rb") as handle:
            data = handle.read()
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return ""

    def temp_path(self, rel: str, token: str) -> str:
        """The temporary name beside rel that write_temp gave for token."""
        rel_dir, _, name = rel.rpartition("/")
        return f"{self._prefix}{rel_dir}{'/' if rel_dir else ''}.{name[:100]}.tracegen-tmp-{token}"

    def write_temp(self, rel: str, data: bytes, mode: int, sync: bool = False) -> str:
        """data under a fresh temporary name beside rel (temp_path(rel, <the token returned>)); the
        caller moves it into place."""
        token, temp = self.new_temp(rel)
        fill_temp(temp, data, mode, sync)
        return token

    def new_temp(self, rel: str) -> tuple[str, str]:
        """(token, path) of a fresh temporary name beside rel, its directory made: the part of
        write_temp that touches this Tree's state (fill_temp, the rest, may run on any thread)."""
        rel_dir = parent_of(rel)
        if not self._dirs.get(rel_dir):
            (self.root / rel_dir).mkdir(parents=True, exist_ok=True)
            while rel_dir and not self._dirs.get(rel_dir):
                self._dirs[rel_dir] = True
                self.created.add(rel_dir)
                rel_dir = parent_of(rel_dir)
        token = secrets.token_hex(6)
        return token, self.temp_path(rel, token)

    def replace(self, rel: str, token: str) -> None:
        """Move write_temp's file for token into place at rel."""
        os.replace(self.temp_path(rel, token), self.at(rel))

    def write_atomically(self, rel: str, data: bytes, sync: bool) -> None:
        self.replace(rel, self.write_temp(rel, data, 0o644, sync))
        if sync:
            self.sync_dir(parent_of(rel))

    def remove(self, rel: str) -> None:
        _unlink(self.at(rel))

    def remove_temp(self, rel: str, token: str) -> None:
        _unlink(self.temp_path(rel, token))

    def remove_created(self) -> None:
        """Remove the directories this build made, deepest first, where empty."""
        for rel_dir in sorted(self.created, key=lambda d: d.count("/"), reverse=True):
            try:
                os.rmdir(self.root / rel_dir)
            except OSError:
                continue
            self._dirs[rel_dir] = False
        self.created.clear()

    def sync_all(self) -> None:
        """Flush everything written to the output's file system: one syncfs instead of an fsync per file."""
        fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            if _SYNCFS is None or _SYNCFS(fd) != 0:
                os.sync()
        finally:
            os.close(fd)

    def sync_dir(self, rel_dir: str) -> None:
        fd = os.open(self.root / rel_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def clean_temps(self, rel_dirs: set[str]) -> list[str]:
        """Remove tracegen's own temporary files (left by a crash) from these directories."""
        removed = []
        for rel_dir in sorted(rel_dirs):
            if not self._dir_exists(rel_dir):
                continue
            with os.scandir(self.root / rel_dir) as entries:
                leftovers = [e.name for e in entries if _TEMP.match(e.name) and e.is_file(follow_symlinks=False)]
            for name in leftovers:
                rel = f"{rel_dir}/{name}" if rel_dir else name
                self.remove(rel)
                removed.append(rel)
        return removed

    def prune(self, rel_dirs: set[str]) -> None:
        """Remove these directories, deepest first, where emptied; never the output directory itself."""
        candidates = set()
        for rel_dir in rel_dirs:
            while rel_dir:
                candidates.add(rel_dir)
                rel_dir = parent_of(rel_dir)
        for rel_dir in sorted(candidates, key=lambda d: d.count("/"), reverse=True):
            try:
                os.rmdir(self.root / rel_dir)
            except OSError:
                continue
            self._dirs[rel_dir] = False


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def parent_of(rel: str) -> str:
    return rel.rpartition("/")[0]


def fill_temp(temp: str, data: bytes, mode: int, sync: bool = False) -> None:
    """Create the temporary file `temp` (never an existing one) with data and mode; on failure no
    file is left. Touches nothing but that file, so the staging may run it on a worker thread."""
    fd = os.open(temp, _CREATE_FLAGS, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fchmod(fd, mode)
        if sync:
            os.fsync(fd)
    except BaseException:
        os.close(fd)
        _unlink(temp)
        raise
    os.close(fd)
