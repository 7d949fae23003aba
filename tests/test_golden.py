"""Golden files: each tests/golden/<case>/blueprint.yaml renders to exactly its expected/ tree.

Only the collector and distribution targets render here for now. To accept a change on purpose:
`TRACEGEN_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py`, then read the diff.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tracegen.blueprint.loader import load_text
from tracegen.plan.builder import build_plan
from tracegen.targets import collector, distribution

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "blueprint.yaml").is_file())
TARGETS = (collector.build, distribution.build)
UPDATE = os.environ.get("TRACEGEN_UPDATE_GOLDEN") == "1"


def render(case: str) -> dict[str, str]:
    """Artifacts of one case, path -> text. The blueprint is named relative to the repository root,
    as a user would run tracegen there, so no machine path reaches the output."""
    name = f"tests/golden/{case}/blueprint.yaml"
    plan = build_plan(load_text((ROOT / name).read_text(encoding="utf-8"), name))
    return {a.path: a.content for build in TARGETS for a in build(plan)}


def tree(directory: Path) -> dict[str, str]:
    return {p.relative_to(directory).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted(directory.rglob("*")) if p.is_file()}


def write(directory: Path, files: dict[str, str]) -> None:
    if directory.exists():
        shutil.rmtree(directory)
    for path, text in files.items():
        target = directory / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


@pytest.mark.parametrize("case", CASES)
def test_golden(case):
    expected_dir = GOLDEN / case / "expected"
    actual = render(case)
    if UPDATE:
        write(expected_dir, actual)
    assert expected_dir.is_dir(), f"no expected/ for {case}: run with TRACEGEN_UPDATE_GOLDEN=1"
    expected = tree(expected_dir)
    assert sorted(actual) == sorted(expected), "the set of files differs"
    for path in sorted(expected):
        assert actual[path] == expected[path], f"{case}/expected/{path} differs"


def test_cases_cover_the_shapes():
    assert {"checkout", "vm", "local", "minimal"} <= set(CASES)
