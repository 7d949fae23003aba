"""Files tracegen rewrites for a user outside a build: `tracegen lint --fix` replaces the config it
fixed, and `lint --validate` hands the collector a config cut out of a manifest."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tracegen.errors import WriteError


def replace_file(path: str, text: str) -> None:
    """Replace the file's content in one step (a temporary file beside it, then a rename), keeping its
    mode, so a crash leaves the old file or the new one."""
    target = Path(path)
    try:
        mode = target.stat().st_mode & 0o7777
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tracegen-tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
                out.write(text)
            os.chmod(temporary, mode)
            os.replace(temporary, target)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError as exc:
        raise WriteError(f"cannot write {path}: {exc.strerror}") from None


@contextmanager
def scratch_file(text: str, name: str = "config.yaml") -> Iterator[Path]:
    """`text` in a private temporary directory for the duration of the block."""
    with tempfile.TemporaryDirectory(prefix="tracegen-") as folder:
        path = Path(folder) / name
        path.write_text(text, encoding="utf-8")
        yield path


def create_file(path: str, text: str) -> None:
    """Write a new file (or replace one the user chose to replace) in one step."""
    target = Path(path)
    if not target.exists():
        try:
            target.touch(mode=0o644, exist_ok=True)
        except OSError as exc:
            raise WriteError(f"cannot write {path}: {exc.strerror}") from None
    replace_file(path, text)
