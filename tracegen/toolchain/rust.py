"""Cargo for the Rust SDK output's checks: found on PATH or in rustup's default place
(~/.cargo/bin), building into one target directory cached under
${TRACEGEN_CACHE:-~/.cache/tracegen}/rust/target, so the crates of the pinned release compile once."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from tracegen.errors import ToolError
from tracegen.toolchain.schemas import cache_root


def cargo() -> str:
    found = shutil.which("cargo") or next(
        (str(p) for p in (Path.home() / ".cargo" / "bin" / "cargo",) if p.is_file()), None)
    if found is None:
        raise ToolError("cargo is not installed (rustup: https://rustup.rs); it builds the Rust SDK output")
    return found


def target_dir() -> Path:
    path = cache_root() / "rust" / "target"
    path.mkdir(parents=True, exist_ok=True)
    return path


def env() -> dict[str, str]:
    """The environment cargo runs with: the cached target directory, nothing of the tests' OTEL_*."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    return {**base, "CARGO_TARGET_DIR": str(target_dir()), "CARGO_TERM_COLOR": "never",
            "PATH": f"{Path(cargo()).parent}{os.pathsep}{base.get('PATH', '')}"}
