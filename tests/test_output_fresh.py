"""output/ is the build of blueprints/: a change to tracegen or an example must regenerate it
(`bash scripts/regenerate-output.sh`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(p.stem for p in (ROOT / "blueprints").glob("*.yaml"))


def tree(directory: Path) -> dict[str, bytes]:
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("name", EXAMPLES)
def test_output_is_up_to_date(tmp_path, name):
    fresh = tmp_path / name
    result = subprocess.run([sys.executable, "-m", "tracegen", "build", f"blueprints/{name}.yaml", "-o", str(fresh)],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    committed = ROOT / "output" / name
    assert committed.is_dir(), f"output/{name} is missing: run bash scripts/regenerate-output.sh"
    expected, actual = tree(committed), tree(fresh)
    stale = sorted(k for k in expected.keys() | actual.keys() if expected.get(k) != actual.get(k))
    assert not stale, f"output/{name} is stale ({stale[:5]}...): run bash scripts/regenerate-output.sh"
