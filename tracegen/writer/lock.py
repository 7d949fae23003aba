"""One build at a time per output directory.

The lock is `.tracegen.lock` in the output directory, held with `flock` for the whole build and
carrying the holder's pid, host and start time so that a second build can say who holds it. The
kernel drops an `flock` when its process dies, however it dies, so a lock left by a killed build
(a file naming a dead pid) is simply taken over; there is no stale-lock guessing. The file is
removed when the build ends.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import json
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

from tracegen.errors import WriteError

LOCK = ".tracegen.lock"
_FLAGS = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC


def _holder(fd: int) -> str:
    for _ in range(10):     # the holder writes its record just after taking the lock
        try:
            info = json.loads(os.pread(fd, 4096, 0).decode("utf-8"))
            return f"pid {int(info['pid'])} on {info['host']}, started {info['started']}"
        except (OSError, ValueError, KeyError, TypeError):
            time.sleep(0.05)
    return "holder not recorded"


def _same_file(path: Path, fd: int) -> bool:
    try:
        return os.stat(path, follow_symlinks=False).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False


def _acquire(path: Path, display: str) -> int:
    for _ in range(20):
        fd = os.open(path, _FLAGS, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            raise WriteError(f"another tracegen build is writing {display} ({holder}); "
                             "wait for it to finish and build again") from None
        except BaseException:
            os.close(fd)
            raise
        # The previous holder may have removed the file between our open and our flock.
        if _same_file(path, fd):
            return fd
        os.close(fd)
    raise WriteError(f"cannot take the build lock {display}/{LOCK}: it keeps changing under us")


@contextlib.contextmanager
def held(root: Path, display: str) -> Iterator[None]:
    """Hold the output directory's build lock; WriteError (exit 3) naming the holder if it is taken."""
    path = root / LOCK
    fd = _acquire(path, display)
    try:
        started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        record = json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "started": started})
        os.ftruncate(fd, 0)
        os.pwrite(fd, record.encode() + b"\n", 0)
        yield
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
        os.close(fd)
