"""Rust SDK output checked by cargo, in a scratch copy of the generated crate: `cargo check`, a
warning failing it too (the pinned crates from crates.io, built once into the cached target directory,
tracegen.toolchain.rust). Not rustfmt: its layout of a literal array depends on the values' length,
and the code is generated, not edited."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from tracegen.errors import ToolError
from tracegen.validators import Check

NAME = "cargo check"
TIMEOUT_S = 3000


def check(directory: Path, service_dir: str, entries: list[dict]) -> Iterator[Check]:
    from tracegen.toolchain import rust

    judged = [e for e in entries if e["kind"] in ("sdk-code", "sdk-deps")]
    if not any(e["path"].endswith("/Cargo.toml") for e in judged):
        return                 # an environment's otel.env alone: nothing to build
    try:
        cargo = rust.cargo()
    except ToolError as error:
        for entry in judged:
            yield Check(entry["path"], NAME, "skip", str(error))
        return
    with tempfile.TemporaryDirectory(prefix="tracegen-rust-") as scratch:
        folder = Path(scratch) / "crate"
        shutil.copytree(directory / service_dir, folder)
        try:
            result = subprocess.run([cargo, "check", "--quiet"], cwd=folder,
                                    env=rust.env(), capture_output=True,
                                    text=True, timeout=TIMEOUT_S, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as error:
            for entry in judged:
                yield Check(entry["path"], NAME, "fail", f"{' '.join(error.cmd)} took over {error.timeout}s")
            return
    for entry in judged:
        # Warnings of the generated crate fail it too (not RUSTFLAGS=-D warnings: the cached
        # dependencies would all be rebuilt under other flags); dependencies' warnings are capped by cargo.
        if result.returncode != 0 or "warning:" in result.stderr:
            yield Check(entry["path"], NAME, "fail", (result.stdout + result.stderr).strip()[-3000:])
        else:
            yield Check(entry["path"], NAME, "ok", "cargo check clean (warnings denied)")
