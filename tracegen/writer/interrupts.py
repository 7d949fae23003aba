"""What may stop a build midway: the user's Ctrl-C, and the crash tests' fault hook.

Ctrl-C and SIGTERM are held back while files are being replaced, so an interrupted build leaves
either the previous output or the new one. Only SIGKILL (or a power cut) can stop it in between;
the journal lets the next build finish that.

The fault hook exists for the tests (tests/test_writer_crash.py): `TRACEGEN_FAULT=<point>:<n>`
kills the process with SIGKILL the n-th time the writer reaches `<point>` (n defaults to 1);
`TRACEGEN_FAULT=<point>:<n>:stall` prints `tracegen-fault: stalled at <point>` to stderr and
sleeps instead, so a test can act while the build is stopped there. Points, in order:
`locked`, `temp` (each temporary file written, as the artifacts stream in), `journal`, `replace`
(each file moved into place), `remove` (each stale file removed), `manifest` (before the manifest
is written), `committed` (after it, before the journal is removed).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator

FAULT_ENV = "TRACEGEN_FAULT"
POINTS = ("locked", "temp", "journal", "replace", "remove", "manifest", "committed")


class Faults:
    """Counts the points a build reaches; acts on the one TRACEGEN_FAULT names."""

    def __init__(self, spec: str | None = None):
        spec = os.environ.get(FAULT_ENV, "") if spec is None else spec
        parts = spec.split(":") if spec else []
        self.point = parts[0] if parts else None
        self.nth = int(parts[1]) if len(parts) > 1 and parts[1] else 1
        self.stall = len(parts) > 2 and parts[2] == "stall"
        if self.point is not None and self.point not in POINTS:
            raise ValueError(f"{FAULT_ENV}: unknown point {self.point!r}; points: {', '.join(POINTS)}")
        self.seen: Counter[str] = Counter()

    def reached(self, point: str) -> None:
        self.seen[point] += 1
        if point != self.point or self.seen[point] != self.nth:
            return
        if self.stall:
            sys.stderr.write(f"tracegen-fault: stalled at {point}\n")
            sys.stderr.flush()
            time.sleep(600)
        else:
            os.kill(os.getpid(), signal.SIGKILL)


@contextlib.contextmanager
def held_back() -> Iterator[None]:
    """Defer SIGINT and SIGTERM until the block is done, then deliver them."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = {sig: signal.signal(sig, lambda number, _frame: received.append(number))
                for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, signal.SIG_DFL if handler is None else handler)
        for sig in dict.fromkeys(received):
            signal.raise_signal(sig)
