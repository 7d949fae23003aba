"""The two sides of a diff: a build directory, artifacts built in memory, or a plain path -> bytes map."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

from tracegen.errors import RefusedError, UsageError
from tracegen.targets.artifact import Artifact

MANIFEST = "tracegen-manifest.json"


@dataclass(frozen=True)
class Build:
    """A build's files: path -> bytes, with each path's artifact kind (and environment/service when
    known). `label` names the side in the output (a directory, a blueprint, a migration phase)."""

    files: Mapping[str, bytes]
    kinds: Mapping[str, str] = field(default_factory=dict)
    label: str = ""
    details: Mapping[str, Mapping[str, str]] = field(default_factory=dict)   # path -> environment/service
    blueprint: str | None = None      # the blueprint named in the manifest, when read from one
    notes: tuple[str, ...] = ()

    def kind(self, path: str) -> str:
        return self.kinds.get(path) or guess_kind(path, self.files[path])

    @classmethod
    def from_artifacts(cls, artifacts: Iterable[Artifact], label: str = "<in memory>") -> Build:
        items = list(artifacts)
        return cls(files={a.path: a.content.encode("utf-8") for a in items},
                   kinds={a.path: a.kind for a in items}, label=label,
                   details={a.path: _details(a.environment, a.service) for a in items})

    @classmethod
    def from_mapping(cls, files: Mapping[str, bytes | str], kinds: Mapping[str, str] | None = None,
                     label: str = "<in memory>") -> Build:
        data = {p: (c.encode("utf-8") if isinstance(c, str) else bytes(c)) for p, c in files.items()}
        return cls(files=data, kinds=dict(kinds or {}), label=label)

    @classmethod
    def from_directory(cls, directory: Path | str, label: str | None = None) -> Build:
        """The files a build directory's manifest lists (files it does not list are the user's and
        are not compared). A listed file that is missing counts as removed, with a note."""
        root = Path(directory)
        if not root.is_dir():
            raise UsageError(f"{directory} is not a directory; name a `tracegen build` output directory")
        from tracegen.validators import read_manifest

        entries = read_manifest(root)
        files, kinds, details, notes = {}, {}, {}, []
        resolved = root.resolve()
        for entry in entries:
            path = entry.get("path")
            if not isinstance(path, str) or path.startswith("/") or ".." in path.split("/"):
                raise UsageError(f"{root / MANIFEST} lists a path outside the directory; it is not a tracegen manifest")
            target = root / path
            if not target.is_file() or not target.resolve().is_relative_to(resolved):
                notes.append(f"{label or directory}: {path} is listed in the manifest but missing")
                continue
            try:
                files[path] = target.read_bytes()
            except OSError as exc:
                raise UsageError(f"cannot read {target}: {exc.strerror}") from None
            kinds[path] = str(entry.get("kind") or "")
            details[path] = _details(entry.get("environment"), entry.get("service"))
        return cls(files=files, kinds=kinds, label=label or str(directory), details=details,
                   blueprint=_manifest_blueprint(root), notes=tuple(notes))


Side = Union[Build, Path, str, Mapping[str, Any], Iterable[Artifact]]


def as_build(side: Side, label: str | None = None) -> Build:
    """Whatever `diff_trees` was given, as a Build."""
    if isinstance(side, Build):
        return side
    if isinstance(side, (str, Path)):
        return Build.from_directory(side, label)
    if isinstance(side, Mapping):
        return Build.from_mapping(side, label=label or "<in memory>")
    return Build.from_artifacts(side, label or "<in memory>")


def from_blueprint(blueprint: Path | str, display: str | None = None, strict: bool = False) -> Build:
    """What `tracegen build BLUEPRINT` would write now, built in memory (check, plan, targets; the
    disk is never touched). `display` is the blueprint path written into generated headers."""
    from tracegen.blueprint.loader import load
    from tracegen.plan.builder import build_plan
    from tracegen.standards.engine import check
    from tracegen.targets import build_all

    loaded = load(str(blueprint))
    blocking = check(loaded).blocking(strict)
    if blocking:
        raise RefusedError(f"{blueprint} has {len(blocking)} blocking finding(s) and would not build; "
                           f"`tracegen check {blueprint}` lists them")
    plan = build_plan(loaded, display or Path(blueprint).as_posix())
    return Build.from_artifacts(build_all(plan), label=str(blueprint))


def guess_kind(path: str, content: bytes) -> str:
    """A kind for a file given without one (a plain path -> bytes map)."""
    from tracegen.diff.documents import CollectorConfig, is_objects, read

    data = read(path, "", content).data
    if isinstance(data, CollectorConfig):
        return "collector-config"
    return "kubernetes-manifest" if is_objects(data) else "file"


def _details(environment: Any, service: Any) -> dict[str, str]:
    return {k: str(v) for k, v in (("environment", environment), ("service", service)) if v is not None}


def _manifest_blueprint(root: Path) -> str | None:
    try:
        value = json.loads((root / MANIFEST).read_text(encoding="utf-8")).get("blueprint")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None
