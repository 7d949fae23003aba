"""The one-way flow is enforced, not hoped for: import-linter checks the contracts in pyproject.toml
(targets never read the blueprint, nothing imports the CLI, layers flow cli -> writer -> targets ->
plan -> standards -> blueprint)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_hold():
    code = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
    result = subprocess.run([sys.executable, "-c", code, "--config", "pyproject.toml"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 4 kept, 0 broken" in result.stdout


def test_only_the_writer_and_toolchain_write_files():
    """Targets, plan, standards and the loader build values; the disk is the writer's business."""
    offenders = []
    for path in sorted((ROOT / "tracegen").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(("tracegen/toolchain/", "tracegen/validators/", "tracegen/writer/")) or (
                rel == "tracegen/cli.py"):
            continue
        text = path.read_text()
        for needle in (".write_text(", ".write_bytes(", "open(", "os.replace(", "shutil."):
            if needle in text:
                offenders.append(f"{rel}: {needle}")
    assert offenders == []
