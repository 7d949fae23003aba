"""The writer takes artifacts as a stream: it consumes them once, keeps none of their contents, and a
build that ends in a refusal or an exception midway leaves the output directory exactly as it was."""

from __future__ import annotations

import gc
import json
import tracemalloc
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from tracegen.errors import WriteError
from tracegen.targets import build_all, stream
from tracegen.targets.artifact import Artifact
from tracegen.writer import MANIFEST, write


def art(path: str, content: str, **extra) -> Artifact:
    return Artifact(path=path, kind="collector-config", content=content, environment=path.split("/")[0], **extra)


FIRST = [art("prod/collector/gateway.yaml", "gw: 1\n"), art("prod/collector/agent.yaml", "agent: 1\n"),
         art("prod/sdk/shop/tracing.py", "print('hi')\n")]
# Changes every file of FIRST and adds files in directories that do not exist yet.
SECOND = [art("prod/collector/gateway.yaml", "gw: 2\n"), art("prod/collector/agent.yaml", "agent: 2\n"),
          art("prod/sdk/shop/tracing.py", "print('v2')\n"), art("prod/sdk/cart/deep/tracing.py", "new\n"),
          art("stage/collector/agent.yaml", "agent: 2\n")]


def snapshot(directory: Path) -> dict[str, bytes | None]:
    """Every file's bytes and every directory (None), hidden ones included."""
    return {p.relative_to(directory).as_posix(): (None if p.is_dir() else p.read_bytes())
            for p in sorted(directory.rglob("*"))}


def test_a_refusal_found_late_in_the_stream_leaves_no_temporary_file_and_no_change(tmp_path):
    write(FIRST, tmp_path, "bp.yaml")
    (tmp_path / "stage/collector").mkdir(parents=True)
    (tmp_path / "stage/collector/agent.yaml").write_text("the user's\n")     # the stream's last artifact
    before = snapshot(tmp_path)
    with pytest.raises(WriteError, match=r"not written by tracegen.*stage/collector/agent\.yaml"):
        write(SECOND, tmp_path, "bp.yaml", force=True)
    assert snapshot(tmp_path) == before


def test_a_hand_edit_refused_after_streaming_leaves_everything_as_it_was(tmp_path):
    write(FIRST, tmp_path, "bp.yaml")
    (tmp_path / "prod/sdk/shop/tracing.py").write_text("my fix\n")
    before = snapshot(tmp_path)
    with pytest.raises(WriteError, match=r"edited by hand.*prod/sdk/shop/tracing\.py"):
        write(SECOND, tmp_path, "bp.yaml")
    assert snapshot(tmp_path) == before
    assert write(SECOND, tmp_path, "bp.yaml", force=True).replaced      # and --force then writes


def failing(artifacts: list[Artifact], after: int) -> Iterator[Artifact]:
    yield from artifacts[:after]
    raise RuntimeError("a target failed")


@pytest.mark.parametrize("after", [0, 3, 5])
def test_an_exception_from_a_target_midstream_leaves_the_directory_exactly_as_before(tmp_path, after):
    write(FIRST, tmp_path, "bp.yaml")
    before = snapshot(tmp_path)
    with pytest.raises(RuntimeError, match="a target failed"):
        write(failing(SECOND, after), tmp_path, "bp.yaml")
    assert snapshot(tmp_path) == before         # no temporary file, journal, staging list or new directory


def test_an_exception_in_a_first_build_leaves_no_output_directory(tmp_path):
    with pytest.raises(RuntimeError):
        write(failing(SECOND, 4), tmp_path / "out", "bp.yaml")
    assert list(tmp_path.iterdir()) == []


def test_two_artifacts_claiming_one_path_write_nothing(tmp_path):
    write(FIRST, tmp_path, "bp.yaml")
    before = snapshot(tmp_path)
    with pytest.raises(ValueError, match="two artifacts claim prod/collector/agent.yaml"):
        write([*SECOND, art("prod/collector/agent.yaml", "again\n")], tmp_path, "bp.yaml")
    assert snapshot(tmp_path) == before


def test_the_manifest_is_sorted_whatever_order_the_artifacts_come_in(tmp_path):
    write(reversed(SECOND), tmp_path / "a", "bp.yaml")
    write(sorted(SECOND, key=lambda a: a.path), tmp_path / "b", "bp.yaml")
    paths = [e["path"] for e in json.loads((tmp_path / "a" / MANIFEST).read_text())["artifacts"]]
    assert paths == sorted(paths)
    assert snapshot(tmp_path / "a") == snapshot(tmp_path / "b")


SIZE = 1 << 20          # 1 MiB each


def test_the_writer_keeps_no_artifact_once_it_has_taken_the_next(tmp_path):
    """40 MiB of artifacts stream through; at most the one in hand and its bytes are alive at once."""
    alive: list[weakref.ref] = []
    count = 40

    def artifacts() -> Iterator[Artifact]:
        for i in range(count):
            if i >= 2:
                gc.collect()
                assert alive[i - 2]() is None, f"artifact {i - 2} is still held when {i} is asked for"
            artifact = art(f"prod/big/{i:03}.txt", chr(ord("a") + i % 26) * SIZE)
            alive.append(weakref.ref(artifact))
            yield artifact

    tracemalloc.start()
    try:
        result = write(artifacts(), tmp_path, "bp.yaml")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.written == count and len(result.replaced) == count
    assert (tmp_path / "prod/big/039.txt").stat().st_size == SIZE
    assert peak < 6 * SIZE, f"peak {peak / SIZE:.1f} MiB while writing {count} MiB"


def test_stream_yields_what_build_all_lists_and_refuses_duplicates(monkeypatch):
    from tracegen import targets

    monkeypatch.setattr(targets, "TARGETS", {"one": lambda plan: iter(SECOND[:2]), "two": lambda plan: SECOND[2:]})
    assert list(stream(None)) == SECOND
    assert build_all(None) == sorted(SECOND, key=lambda a: a.path)
    assert list(stream(None, {"two"})) == SECOND[2:]
    monkeypatch.setitem(targets.TARGETS, "three", lambda plan: [SECOND[0]])
    with pytest.raises(ValueError, match="two artifacts claim prod/collector/gateway.yaml"):
        list(stream(None))


@pytest.mark.parametrize("count", [0, 1, 3])
def test_the_manifest_joined_from_entry_texts_is_what_to_json_prints(count):
    from tracegen import __version__
    from tracegen.targets.serialize import to_json
    from tracegen.writer.manifest import entry_of, entry_text, manifest_text

    artifacts = [art("prod/sdk/zürich/run.sh", "é\n", service="zürich", language="python", executable=True),
                 art("prod/collector/agent.yaml", 'a: "b\\n"\n', role="agent"),
                 Artifact(path="README.md", kind="docs", content="")][:count]       # environment null
    entries = [entry_of(a, a.content.encode()) for a in artifacts]
    expected = to_json({"generator": "tracegen", "version": __version__, "blueprint": "bp \"ü\".yaml",
                        "artifacts": sorted(entries, key=lambda e: e["path"])})
    assert manifest_text({e["path"]: entry_text(e) for e in entries}, "bp \"ü\".yaml") == expected


def test_a_temporary_file_that_cannot_be_written_midway_leaves_the_directory_as_it_was(tmp_path, monkeypatch):
    """The disk fills up at the 7th temporary file of a build: the build fails like any write error
    (exit 3) and every temporary file and new directory of it is gone."""
    from tracegen.writer import files, staging

    out = tmp_path / "out"
    write([art(f"prod/a/{i}.txt", f"first {i}") for i in range(5)], out, "bp.yaml")
    before = snapshot(out)
    real = files.fill_temp
    calls = []

    def failing(temp, data, mode, sync=False):
        calls.append(temp)
        if len(calls) == 7:
            raise OSError(28, "No space left on device", temp)
        real(temp, data, mode, sync)

    monkeypatch.setattr(staging, "fill_temp", failing)
    with pytest.raises(WriteError, match="No space left on device"):
        write([art(f"prod/{d}/{i}.txt", f"second {i}") for d in ("a", "b") for i in range(6)], out, "bp.yaml")
    assert snapshot(out) == before and len(calls) >= 7
