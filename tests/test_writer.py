"""The writer keeps the user's files safe: it replaces or removes only what its manifest lists, leaves
everything else (and, under --only, other targets' files) alone, restores deleted artifacts, refuses
what is in the way with a message naming it, and lets one build at a time write a directory."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import threading
from pathlib import Path

import pytest

from tracegen.errors import WriteError
from tracegen.targets.artifact import Artifact
from tracegen.writer import MANIFEST, lock, write
from tracegen.writer.interrupts import held_back


def art(path: str, content: str, kind: str = "collector-config", **extra) -> Artifact:
    return Artifact(path=path, kind=kind, content=content, environment=path.split("/")[0], **extra)


FIRST = [art("prod/collector/gateway.yaml", "gw: 1\n", role="gateway"),
         art("prod/collector/agent.yaml", "agent: 1\n", role="agent"),
         art("prod/sdk/shop/tracing.py", "print('hi')\n", kind="sdk-code", service="shop", language="python"),
         art("prod/sdk/shop/run.sh", "#!/bin/sh\n", kind="sdk-code", service="shop", executable=True)]


def files(directory: Path) -> dict[str, bytes]:
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in sorted(directory.rglob("*"))
            if p.is_file() and not p.is_symlink()}


def put(directory: Path, content: dict[str, bytes]) -> None:
    for path, data in content.items():
        (directory / path).parent.mkdir(parents=True, exist_ok=True)
        (directory / path).write_bytes(data)


def manifest_paths(directory: Path) -> list[str]:
    return [e["path"] for e in json.loads((directory / MANIFEST).read_text())["artifacts"]]


def test_first_build_writes_artifacts_manifest_and_modes_and_leaves_no_helpers(tmp_path):
    out = tmp_path / "out"
    result = write(FIRST, out, "bp.yaml")
    assert not result.unchanged and sorted(result.replaced) == sorted(a.path for a in FIRST)
    assert files(out) == {**{a.path: a.content.encode() for a in FIRST}, MANIFEST: (out / MANIFEST).read_bytes()}
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["blueprint"] == "bp.yaml" and manifest["generator"] == "tracegen"
    assert manifest["artifacts"][0] == {"path": "prod/collector/agent.yaml", "kind": "collector-config",
                                        "environment": "prod", "role": "agent",
                                        "sha256": manifest["artifacts"][0]["sha256"]}
    assert stat.S_IMODE((out / "prod/sdk/shop/run.sh").stat().st_mode) == 0o755
    assert stat.S_IMODE((out / "prod/sdk/shop/tracing.py").stat().st_mode) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]          # no staging beside it


def test_flushing_to_disk_when_asked_writes_the_same(tmp_path, monkeypatch):
    import tracegen.writer

    monkeypatch.setattr(tracegen.writer, "SYNC", True)
    write(FIRST, tmp_path / "a", "bp.yaml")
    write(FIRST[:2], tmp_path / "a", "bp.yaml")
    write(FIRST[:2], tmp_path / "b", "bp.yaml")
    assert files(tmp_path / "a") == files(tmp_path / "b")


def test_rebuild_with_nothing_changed_is_unchanged_and_touches_nothing(tmp_path):
    write(FIRST, tmp_path, "bp.yaml")
    before = {p: os.stat(tmp_path / p).st_mtime_ns for p in files(tmp_path)}
    result = write(FIRST, tmp_path, "bp.yaml")
    assert result.unchanged and result.replaced == [] and result.removed == []
    assert {p: os.stat(tmp_path / p).st_mtime_ns for p in files(tmp_path)} == before


def test_only_changed_files_are_replaced(tmp_path):
    write(FIRST, tmp_path, "bp.yaml")
    changed = [art("prod/collector/gateway.yaml", "gw: 2\n", role="gateway"), *FIRST[1:]]
    result = write(changed, tmp_path, "bp.yaml")
    assert result.replaced == ["prod/collector/gateway.yaml"]
    assert (tmp_path / "prod/collector/gateway.yaml").read_text() == "gw: 2\n"


def test_a_deleted_generated_file_is_restored(tmp_path):
    write(FIRST, tmp_path, "bp.yaml")
    (tmp_path / "prod/collector/agent.yaml").unlink()
    result = write(FIRST, tmp_path, "bp.yaml")
    assert not result.unchanged and result.replaced == ["prod/collector/agent.yaml"]
    assert (tmp_path / "prod/collector/agent.yaml").read_text() == "agent: 1\n"


def test_unknown_files_survive_builds_and_stale_removal_even_with_force(tmp_path):
    user = {"notes.md": b"mine", "prod/collector/overlay.yaml": b"my overlay", "prod/sdk/shop/local.cfg": b"x",
            "checkout.yaml": b"the blueprint beside its output"}
    put(tmp_path, user)
    write(FIRST, tmp_path, "bp.yaml")                       # a directory tracegen never wrote: builds into it
    result = write(FIRST[:1], tmp_path, "bp.yaml", force=True)   # three artifacts no longer produced
    assert sorted(result.removed) == sorted(a.path for a in FIRST[1:])
    on_disk = files(tmp_path)
    assert {p: on_disk[p] for p in user} == user
    assert set(on_disk) == set(user) | {FIRST[0].path, MANIFEST}
    assert (tmp_path / "prod/sdk/shop").is_dir()            # still holds the user's file


def test_stale_directories_are_pruned_when_emptied(tmp_path):
    write(FIRST, tmp_path, "bp.yaml")
    write(FIRST[:2], tmp_path, "bp.yaml")
    assert not (tmp_path / "prod/sdk").exists()
    assert manifest_paths(tmp_path) == sorted(a.path for a in FIRST[:2])


def test_a_project_directory_with_git_loses_nothing(tmp_path):
    git = {".git/HEAD": b"ref: refs/heads/main\n", ".git/objects/ab/cdef": b"blob", "src/app.py": b"app",
           "prod/README.md": b"the user's own readme in a directory tracegen also writes"}
    put(tmp_path, git)
    write(FIRST, tmp_path, "bp.yaml", force=True)
    write(FIRST[:1], tmp_path, "bp.yaml", force=True)
    (tmp_path / MANIFEST).write_text("garbage")                  # even a broken manifest changes nothing
    with pytest.raises(WriteError):
        write(FIRST, tmp_path, "bp.yaml")
    with pytest.raises(WriteError, match="not written by tracegen"):
        write([art("prod/collector/gateway.yaml", "gw: 9\n")], tmp_path, "bp.yaml", force=True)
    on_disk = files(tmp_path)
    assert {p: on_disk[p] for p in git} == git


def test_a_foreign_file_at_an_artifact_path_is_refused_by_name_even_with_force(tmp_path):
    (tmp_path / "prod/collector").mkdir(parents=True)
    (tmp_path / "prod/collector/gateway.yaml").write_text("someone else's")
    for force in (False, True):
        with pytest.raises(WriteError, match=r"not written by tracegen.*prod/collector/gateway\.yaml"):
            write(FIRST, tmp_path, "bp.yaml", force=force)
    assert (tmp_path / "prod/collector/gateway.yaml").read_text() == "someone else's"
    assert not (tmp_path / MANIFEST).exists()


def test_a_foreign_file_with_the_artifacts_exact_bytes_is_adopted(tmp_path):
    (tmp_path / "prod/collector").mkdir(parents=True)
    (tmp_path / "prod/collector/gateway.yaml").write_text("gw: 1\n")
    write(FIRST, tmp_path, "bp.yaml")
    assert "prod/collector/gateway.yaml" in manifest_paths(tmp_path)


def test_hand_edits_are_refused_without_force_also_for_files_that_would_be_removed(tmp_path):
    write(FIRST, tmp_path, "bp.yaml")
    (tmp_path / "prod/collector/agent.yaml").write_text("agent: tweaked\n")
    (tmp_path / "prod/sdk/shop/tracing.py").write_text("# tweaked\n")
    with pytest.raises(WriteError, match=r"2 file\(s\).*edited by hand.*agent\.yaml.*tracing\.py"):
        write(FIRST[:2], tmp_path, "bp.yaml")
    assert (tmp_path / "prod/sdk/shop/tracing.py").read_text() == "# tweaked\n"
    write(FIRST[:2], tmp_path, "bp.yaml", force=True)
    assert (tmp_path / "prod/collector/agent.yaml").read_text() == "agent: 1\n"
    assert not (tmp_path / "prod/sdk/shop/tracing.py").exists()


def test_an_edit_that_matches_the_new_output_is_not_a_conflict(tmp_path):
    write(FIRST, tmp_path, "bp.yaml")
    (tmp_path / "prod/collector/gateway.yaml").write_text("gw: 2\n")
    result = write([art("prod/collector/gateway.yaml", "gw: 2\n", role="gateway"), *FIRST[1:]], tmp_path, "bp.yaml")
    assert result.replaced == []


def test_partial_build_updates_its_files_and_keeps_every_other_artifact(tmp_path):
    write(FIRST, tmp_path, "bp.yaml")
    before = files(tmp_path)
    sdk_only = [art("prod/sdk/shop/tracing.py", "print('v2')\n", kind="sdk-code", service="shop", language="python"),
                art("prod/sdk/shop/extra.py", "x = 1\n", kind="sdk-code", service="shop", language="python")]
    result = write(sdk_only, tmp_path, "bp.yaml", partial=True)
    assert result.removed == [] and sorted(result.replaced) == ["prod/sdk/shop/extra.py", "prod/sdk/shop/tracing.py"]
    after = files(tmp_path)
    for path in ("prod/collector/gateway.yaml", "prod/collector/agent.yaml", "prod/sdk/shop/run.sh"):
        assert after[path] == before[path]
    assert after["prod/sdk/shop/tracing.py"] == b"print('v2')\n"
    manifest = {e["path"]: e for e in json.loads(after[MANIFEST])["artifacts"]}
    assert sorted(manifest) == sorted([a.path for a in FIRST] + ["prod/sdk/shop/extra.py"])
    assert manifest["prod/collector/gateway.yaml"]["role"] == "gateway"
    assert write(FIRST, tmp_path, "bp.yaml").removed == ["prod/sdk/shop/extra.py"]   # a full build tidies


def test_partial_build_leaves_a_hand_edit_outside_its_targets_alone(tmp_path):
    write(FIRST, tmp_path, "bp.yaml")
    (tmp_path / "prod/collector/agent.yaml").write_text("tweak\n")
    write([art("prod/sdk/shop/tracing.py", "v2\n", kind="sdk-code")], tmp_path, "bp.yaml", partial=True)
    assert (tmp_path / "prod/collector/agent.yaml").read_text() == "tweak\n"
    with pytest.raises(WriteError, match="edited by hand"):
        write(FIRST, tmp_path, "bp.yaml")


@pytest.mark.parametrize("make, what", [
    (lambda p: p.mkdir(), "a directory"),
    (lambda p: os.mkfifo(p), "a FIFO"),
    (lambda p: p.symlink_to("/etc/hostname"), "a symbolic link"),
])
def test_something_else_where_a_file_goes_is_refused_by_name_without_hanging(tmp_path, make, what):
    write(FIRST, tmp_path, "bp.yaml")
    target = tmp_path / "prod/collector/agent.yaml"
    target.unlink()
    make(target)
    signal.alarm(20)                     # a FIFO opened for reading without O_NONBLOCK would block for ever
    try:
        for force in (False, True):
            with pytest.raises(WriteError, match=rf"prod/collector/agent\.yaml is {what} where tracegen needs a file"):
                write(FIRST, tmp_path, "bp.yaml", force=force)
    finally:
        signal.alarm(0)
    assert os.path.lexists(target)


def test_a_file_where_a_directory_belongs_is_refused_by_name(tmp_path):
    write(FIRST, tmp_path, "bp.yaml")
    for path in ("prod/collector/agent.yaml", "prod/collector/gateway.yaml"):
        (tmp_path / path).unlink()
    (tmp_path / "prod/collector").rmdir()
    (tmp_path / "prod/collector").write_text("mine")
    with pytest.raises(WriteError, match=r"prod/collector is a file where tracegen needs a directory"):
        write(FIRST, tmp_path, "bp.yaml", force=True)
    assert (tmp_path / "prod/collector").read_text() == "mine"


def test_something_else_where_a_no_longer_produced_file_was_is_the_users(tmp_path):
    write(FIRST, tmp_path, "bp.yaml")
    (tmp_path / "prod/sdk/shop/run.sh").unlink()
    (tmp_path / "prod/sdk/shop/run.sh").mkdir()
    (tmp_path / "prod/sdk/shop/run.sh/mine.txt").write_text("mine")
    result = write(FIRST[:3], tmp_path, "bp.yaml")
    assert result.removed == [] and (tmp_path / "prod/sdk/shop/run.sh/mine.txt").read_text() == "mine"
    assert "prod/sdk/shop/run.sh" not in manifest_paths(tmp_path)


def test_a_symlinked_directory_inside_the_output_is_never_followed(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "agent.yaml").write_text("not tracegen's")
    out = tmp_path / "out"
    write(FIRST, out, "bp.yaml")
    for path in ("prod/collector/agent.yaml", "prod/collector/gateway.yaml"):
        (out / path).unlink()
    (out / "prod/collector").rmdir()
    (out / "prod/collector").symlink_to(outside)
    with pytest.raises(WriteError, match=r"prod/collector is a symbolic link"):
        write(FIRST, out, "bp.yaml", force=True)
    assert [p.name for p in outside.iterdir()] == ["agent.yaml"]
    assert (outside / "agent.yaml").read_text() == "not tracegen's"


def test_a_second_build_is_refused_naming_the_holder(tmp_path):
    write(FIRST, tmp_path, "bp.yaml")
    with lock.held(tmp_path, str(tmp_path)):
        with pytest.raises(WriteError) as raised:
            write(FIRST, tmp_path, "bp.yaml")
    message = str(raised.value)
    assert "another tracegen build" in message
    assert f"pid {os.getpid()} on {socket.gethostname()}, started 20" in message
    assert not (tmp_path / lock.LOCK).exists()


def test_a_lock_left_by_a_dead_process_is_taken_over(tmp_path):
    write(FIRST, tmp_path, "bp.yaml")
    (tmp_path / lock.LOCK).write_text(json.dumps({"pid": 2**22 + 17, "host": socket.gethostname(),
                                                  "started": "2026-01-01T00:00:00Z"}))
    (tmp_path / "prod/collector/agent.yaml").unlink()
    assert not write(FIRST, tmp_path, "bp.yaml").unchanged
    assert not (tmp_path / lock.LOCK).exists()


def test_own_leftover_temporary_files_are_cleaned_and_nothing_else(tmp_path):
    write(FIRST, tmp_path, "bp.yaml")
    ours = [tmp_path / "prod/collector/.agent.yaml.tracegen-tmp-0123456789ab", tmp_path / ".tracegen-manifest.json"
            ".tracegen-tmp-abcdef012345"]
    theirs = [tmp_path / "prod/collector/.agent.yaml.tracegen-tmp-mine", tmp_path / "prod/collector/agent.yaml.bak"]
    for path in ours + theirs:
        path.write_text("leftover")
    assert write(FIRST, tmp_path, "bp.yaml").unchanged
    assert not any(p.exists() for p in ours) and all(p.exists() for p in theirs)


def test_old_swap_leftovers_are_recovered(tmp_path):
    """Earlier versions swapped directories: a crash left `.out.old-*` (and no out) or `.out.staging-*`."""
    out = tmp_path / "out"
    write(FIRST, out, "bp.yaml")
    (out / "notes.md").write_text("mine")
    out.rename(tmp_path / ".out.old-abcd_123")
    (tmp_path / ".out.staging-zz99aa00" / "prod").mkdir(parents=True)
    result = write(FIRST, out, "bp.yaml")
    assert result.unchanged and (out / "notes.md").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert any("restored out" in note for note in result.notes)


def test_an_old_directory_beside_existing_output_loses_only_tracegen_files(tmp_path):
    out = tmp_path / "out"
    write(FIRST, out, "bp.yaml")
    old = tmp_path / ".out.old-abcdefgh"
    write(FIRST, old, "bp.yaml")
    (old / "notes.md").write_text("mine")
    result = write(FIRST, out, "bp.yaml")
    assert files(old) == {"notes.md": b"mine"}
    assert any("left in place" in note for note in result.notes)


def test_output_that_is_a_file_or_cannot_be_created_is_a_write_error(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(WriteError, match="not a directory"):
        write(FIRST, tmp_path / "file", "bp.yaml")
    with pytest.raises(WriteError, match="cannot write"):
        write(FIRST, tmp_path / "file" / "out", "bp.yaml")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_interrupts_during_the_commit_are_delivered_after_it():
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals are delivered to the main thread only")
    done = []
    # A job started in the background by a non-interactive shell (as CI may run us) inherits SIGINT
    # ignored; the user's Ctrl-C case is the default handler, so install it for this test.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            with held_back():
                os.kill(os.getpid(), signal.SIGINT)
                done.append("the commit finished")
    finally:
        signal.signal(signal.SIGINT, previous)
    assert done == ["the commit finished"]
