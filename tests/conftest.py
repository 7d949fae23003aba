"""Shared pytest policy.

Under CI (`CI` set, as `.ci/run` is run) a test that skips because a tool is missing fails instead:
the CI command installs everything the tests need, so such a skip would hide a broken install step.
On a developer's partial machine the same tests skip with the reason.
"""

from __future__ import annotations

import os
import re

import pytest

MISSING_TOOL = re.compile(r"\b(needs?|missing|not installed|unavailable|cannot install)\b", re.IGNORECASE)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not os.environ.get("CI") or not report.skipped:
        return
    reason = str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else str(report.longrepr)
    if MISSING_TOOL.search(reason):
        report.outcome = "failed"
        report.longrepr = f"skipped under CI for a missing tool, which CI must install: {reason}"


def load_script(name: str):
    """A module from scripts/<name>.py (a benchmark script), registered while a test module uses it."""
    import importlib.util
    import sys
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "scripts" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"{name}_script", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
