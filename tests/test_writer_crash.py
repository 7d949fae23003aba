"""Crash and concurrency safety of `tracegen build`, proven on the real CLI in a subprocess.

A build from blueprint A is overwritten by a build from blueprint B (files changed, added and no
longer produced). The B build is killed with SIGKILL at each dangerous point of the writer
(TRACEGEN_FAULT, see tracegen/writer/interrupts.py). After each kill: the output directory exists,
every file holds A's bytes or B's, the user's files are untouched, and the next build of B
completes without reporting phantom hand edits and leaves exactly what a clean build of B leaves.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
MINIMAL = ROOT / "blueprints" / "minimal.yaml"
USER = {"notes.md": b"my notes\n", "prod/collector/my-overlay.yaml": b"mine: true\n",
        "prod/sdk/hello2/local-patch.diff": b"in a directory B no longer produces\n",
        ".git/HEAD": b"ref: refs/heads/main\n"}
HELPERS = (".tracegen.lock", ".tracegen-journal.json", ".tracegen-staging")


def blueprints(directory: Path) -> None:
    """A: minimal plus a Node service; B: that service replaced by a Go one, a different baseline."""
    base = yaml.safe_load(MINIMAL.read_text())
    a, b = json.loads(json.dumps(base)), json.loads(json.dumps(base))
    a["services"]["hello2"] = {**base["services"]["hello"], "edge": False, "language": "node", "framework": "express"}
    hello3 = {k: v for k, v in base["services"]["hello"].items() if k != "framework"}
    b["services"]["hello3"] = {**hello3, "edge": False, "language": "go"}
    b["sampling"]["tail"]["policies"][2]["percentage"] = 20
    (directory / "A.yaml").write_text(yaml.safe_dump(a, sort_keys=False))
    (directory / "B.yaml").write_text(yaml.safe_dump(b, sort_keys=False))


def build(cwd: Path, blueprint: str, out: str, fault: str | None = None, *extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "TRACEGEN_FAULT": fault or ""}
    return subprocess.run([sys.executable, "-m", "tracegen", "build", blueprint, "-o", out, *extra], cwd=cwd,
                          capture_output=True, text=True, env=env, timeout=300)


def tree(directory: Path) -> dict[str, bytes]:
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in sorted(directory.rglob("*"))
            if p.is_file()}


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    """Clean builds of A and B (cwd-relative blueprint paths, so manifests compare byte for byte)."""
    work = tmp_path_factory.mktemp("writer-crash")
    blueprints(work)
    for name in ("A", "B"):
        result = build(work, f"{name}.yaml", f"clean-{name}")
        assert result.returncode == 0, result.stderr
    a, b = tree(work / "clean-A"), tree(work / "clean-B")
    assert a.keys() - b.keys() and b.keys() - a.keys() and any(a[k] != b[k] for k in a.keys() & b.keys())
    return work, a, b


def start(clean, name: str) -> Path:
    """A fresh copy of A's output with the user's files in it."""
    work, _, _ = clean
    out = work / name
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(work / "clean-A", out)
    for path, data in USER.items():
        (out / path).parent.mkdir(parents=True, exist_ok=True)
        (out / path).write_bytes(data)
    return out


def assert_old_or_new(out: Path, a: dict[str, bytes], b: dict[str, bytes]) -> None:
    assert out.is_dir()
    for path, data in tree(out).items():
        if path in USER:
            assert data == USER[path], path
        elif path in a or path in b:
            assert data in (a.get(path), b.get(path)), f"{path} is neither A's nor B's"
        else:
            assert path in HELPERS or ".tracegen-tmp-" in path, f"unexpected {path}"
    for path in a.keys() & b.keys():
        assert (out / path).is_file(), f"{path} vanished"
    assert USER.keys() <= tree(out).keys()


def assert_recovers(clean, out: Path) -> None:
    work, _, b = clean
    result = build(work, "B.yaml", out.name)
    assert result.returncode == 0, result.stderr
    assert "edited by hand" not in result.stderr and "unchanged" not in result.stdout
    assert tree(out) == {**b, **USER}
    again = build(work, "B.yaml", out.name)
    assert again.returncode == 0 and "unchanged" in again.stdout


# 9 files are no longer produced, 10 added and 12 changed: 22 temporary files and replacements.
POINTS = ["locked", "temp:1", "temp:22", "journal", "replace:1", "replace:11", "replace:22", "remove:1",
          "remove:9", "manifest", "committed"]


@pytest.mark.parametrize("point", POINTS)
def test_a_build_killed_at_each_dangerous_point_leaves_old_or_new_files_and_the_next_build_completes(clean,
                                                                                                     point):
    work, a, b = clean
    out = start(clean, f"out-{point.replace(':', '-')}")
    result = build(work, "B.yaml", out.name, point)
    assert result.returncode == -signal.SIGKILL, (point, result.stderr)
    assert_old_or_new(out, a, b)
    if point in ("locked", "temp:1", "temp:22", "journal"):
        assert {k: v for k, v in tree(out).items() if k in a} == a          # nothing replaced yet
    assert_recovers(clean, out)


def test_killed_twice_in_a_row_still_recovers(clean):
    work, a, b = clean
    out = start(clean, "out-twice")
    assert build(work, "B.yaml", out.name, "replace:5").returncode == -signal.SIGKILL
    assert build(work, "A.yaml", out.name, "replace:3").returncode == -signal.SIGKILL  # back towards A, killed
    assert_old_or_new(out, a, b)
    assert_recovers(clean, out)


def test_a_crash_then_a_different_blueprint_removes_the_crashed_builds_new_files(clean):
    work, a, _ = clean
    out = start(clean, "out-switch")
    assert build(work, "B.yaml", out.name, "remove:1").returncode == -signal.SIGKILL
    result = build(work, "A.yaml", out.name)
    assert result.returncode == 0 and "edited by hand" not in result.stderr, result.stderr
    assert tree(out) == {**a, **USER}


def test_killed_while_artifacts_stream_in_then_a_different_blueprint_leaves_no_temporary_file(clean):
    """Killed after B's last temporary file, before its journal: B's new directories (hello3's) are
    named by neither A's manifest nor A's artifacts, yet the next build of A cleans them."""
    work, a, _ = clean
    out = start(clean, "out-stream-switch")
    assert build(work, "B.yaml", out.name, "temp:22").returncode == -signal.SIGKILL
    assert any("hello3" in path and ".tracegen-tmp-" in path for path in tree(out))
    assert not (out / ".tracegen-journal.json").exists()
    result = build(work, "A.yaml", out.name)
    assert result.returncode == 0 and "edited by hand" not in result.stderr, result.stderr
    assert tree(out) == {**a, **USER}
    assert not [p for p in out.rglob("*") if "hello3" in p.as_posix()]       # its directories too


def _stalled(work: Path, out: str, point: str) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-m", "tracegen", "build", "B.yaml", "-o", out], cwd=work,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "TRACEGEN_FAULT": f"{point}:stall"})
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stderr], [], [], 1)
        if ready and "stalled at" in process.stderr.readline():
            return process
        assert process.poll() is None, process.stderr.read()
    process.kill()
    raise AssertionError("the build never reached the stall point")


def test_a_second_build_exits_3_naming_the_holder_and_a_dead_holders_lock_is_taken_over(clean):
    work, a, b = clean
    out = start(clean, "out-concurrent")
    first = _stalled(work, out.name, "replace:4")
    try:
        second = build(work, "A.yaml", out.name)
        assert second.returncode == 3, second.stderr
        assert "another tracegen build is writing" in second.stderr
        assert f"pid {first.pid} on {socket.gethostname()}, started 20" in second.stderr
        assert "edited by hand" not in second.stderr and "Traceback" not in second.stderr
        assert_old_or_new(out, a, b)
    finally:
        first.kill()
        first.wait()
    assert (out / ".tracegen.lock").exists()                 # left by the killed holder, naming a dead pid
    assert_recovers(clean, out)


def test_builds_racing_for_one_directory_serialise_without_phantom_hand_edits(clean):
    work, a, b = clean
    out = start(clean, "out-race")
    processes = [subprocess.Popen([sys.executable, "-m", "tracegen", "build", "B.yaml", "-o", out.name], cwd=work,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outcomes = [(p.wait(timeout=300), p.stderr.read()) for p in processes]
    for code, stderr in outcomes:
        assert code == 0 or (code == 3 and "another tracegen build is writing" in stderr), stderr
        assert "edited by hand" not in stderr
    assert any(code == 0 for code, _ in outcomes)
    assert tree(out) == {**b, **USER}


def test_only_rebuilds_one_target_and_keeps_the_others(clean):
    work, a, _ = clean
    out = start(clean, "out-only")
    (out / "sdk/hello/tracing.py").unlink()
    result = build(work, "A.yaml", out.name, None, "--only", "collector")
    assert result.returncode == 0, result.stderr
    assert not (out / "sdk/hello/tracing.py").exists()          # not this build's business
    result = build(work, "A.yaml", out.name, None, "--only", "sdk")
    assert result.returncode == 0, result.stderr
    assert tree(out) == {**a, **USER}                                # every target's files, and the manifest


def test_dash_o_dot_in_a_project_with_git_keeps_everything_not_in_the_manifest(clean):
    work, _, b = clean
    project = work / "project"
    shutil.rmtree(project, ignore_errors=True)
    project.mkdir()
    blueprints(project)
    for path, data in USER.items():
        (project / path).parent.mkdir(parents=True, exist_ok=True)
        (project / path).write_bytes(data)
    for blueprint in ("A.yaml", "B.yaml"):
        result = build(project, blueprint, ".", None, "--force")
        assert result.returncode == 0, result.stderr
    kept = tree(project)
    assert {p: kept[p] for p in USER} == USER
    assert {"A.yaml", "B.yaml"} <= kept.keys()
    assert {p: kept[p] for p in b} == b
