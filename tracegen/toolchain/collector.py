"""Build OpenTelemetry Collector distributions with the Collector Builder and check configs with them.

Builds are cached under ``${TRACEGEN_CACHE:-~/.cache/tracegen}``: the builder per version in
``bin/builder-<version>/``, each distribution in ``collectors/<key>/`` where the key hashes the
manifest (less ``dist.output_path``) and the builder version. A build runs in a temporary directory
beside the cache entry and is renamed into place only when the binary exists, so a killed build
leaves nothing that looks finished.
"""

from __future__ import annotations

import collections
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import yaml

from tracegen import components
from tracegen.errors import ToolError, ValidationFailed
from tracegen.versions import BUILDER_VERSION, COLLECTOR_VERSION, GO_MIN_VERSION

BUILDER_MODULE = "go.opentelemetry.io/collector/cmd/builder"
SECTIONS = {"receiver": "receivers", "processor": "processors", "exporter": "exporters",
            "connector": "connectors", "extension": "extensions"}
# env for ${env:...}, file for --config=FILE, yaml for --set. Listed so the binary has exactly
# these whatever a builder version defaults to (0.165 adds http and https when none are listed).
PROVIDERS = ("envprovider", "fileprovider", "yamlprovider")
DUMMY_SECRET = "tracegen-validate-placeholder"
# ${env:NAME}, ${env:NAME:-default} and the bare ${NAME} (env is the default scheme); $${...} is escaped.
_ENV_REF = re.compile(r"(?<!\$)\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}")
_STALE_BUILD_SECONDS = 6 * 3600

Progress = Callable[[str], None]


@dataclass(frozen=True)
class ValidateResult:
    ok: bool
    output: str

    def check(self, what: str = "collector config") -> None:
        """Raise ValidationFailed with the collector's own words when it rejected the config."""
        if not self.ok:
            raise ValidationFailed(f"{what} rejected by the collector:\n{self.output}")


def cache_dir() -> Path:
    return Path(os.environ.get("TRACEGEN_CACHE") or "~/.cache/tracegen").expanduser()


def _go_env() -> dict[str, str]:
    env = dict(os.environ)
    # -e lets `go mod tidy` finish when the proxy lacks a module only the components' tests import;
    # commands without -e ignore it. A module a build needs still fails in `go build`.
    env["GOFLAGS"] = " ".join(filter(None, [env.get("GOFLAGS", ""), "-e", "-buildvcs=false"]))
    env["GOTOOLCHAIN"] = "local"  # never download a toolchain: this machine cannot
    env["CGO_ENABLED"] = "0"
    return env


def _require_go() -> str:
    go = shutil.which("go")
    how = "install it from https://go.dev/dl (Debian's golang-go package is too old)"
    if not go:
        raise ToolError(f"building a collector needs Go >= {GO_MIN_VERSION} on PATH; {how}")
    found = subprocess.run([go, "env", "GOVERSION"], capture_output=True, text=True, env=_go_env()).stdout.strip()
    have = tuple(int(p) for p in re.findall(r"\d+", found)[:2])
    if have < tuple(int(p) for p in GO_MIN_VERSION.split(".")):
        raise ToolError(f"building a collector needs Go >= {GO_MIN_VERSION}, found {found or 'an unknown version'}; {how}")
    return go


def _tail(text: str, lines: int = 30) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def ensure_builder(version: str = BUILDER_VERSION) -> Path:
    """The Collector Builder at ``version``, installed with ``go install`` on first use."""
    target = cache_dir() / "bin" / f"builder-{version}"
    binary = target / "builder"
    if binary.is_file():
        return binary
    go = _require_go()
    shutil.rmtree(target, ignore_errors=True)  # a folder without its binary is no install
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".tmp-builder-{version}-", dir=target.parent))
    try:
        result = subprocess.run([go, "install", f"{BUILDER_MODULE}@v{version}"], capture_output=True, text=True,
                                env={**_go_env(), "GOBIN": str(staging)})
        if result.returncode != 0 or not (staging / "builder").is_file():
            raise ToolError(f"`go install {BUILDER_MODULE}@v{version}` failed:\n{_tail(result.stderr)}")
        try:
            staging.rename(target)
        except OSError:  # another process installed it meanwhile
            pass
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return binary


def builder_manifest(components_: Iterable[str], collector_version: str, name: str = "otelcol-tracegen") -> dict:
    """Builder manifest data listing exactly ``components_`` (canonical ids) for that collector."""
    sections: dict[str, set[str]] = {}
    for canonical in components_:
        sections.setdefault(SECTIONS[components.kind(canonical)], set()).add(
            components.gomod(canonical, collector_version))
    stable = components.core_stable_version(collector_version)
    manifest: dict = {"dist": {"name": name, "description": f"{name}, built by tracegen",
                               "version": collector_version, "output_path": f"./{name}"}}
    for section in SECTIONS.values():
        if section in sections:
            manifest[section] = [{"gomod": line} for line in sorted(sections[section])]
    manifest["providers"] = [{"gomod": f"{components.CORE}/confmap/provider/{p} {stable}"} for p in PROVIDERS]
    return manifest


def _manifest_collector_version(manifest: dict) -> str | None:
    """The core version a manifest's core component modules name (the builder must match it)."""
    versions = []
    for section in SECTIONS.values():
        for entry in manifest.get(section) or []:
            module, _, version = str(entry.get("gomod", "")).partition(" ")
            if module.startswith(components.CORE + "/") and re.fullmatch(r"v0\.\d+\.\d+", version):
                versions.append(components.parse_version(version))
    return "0.{1}.{2}".format(*max(versions)) if versions else None


def _cache_key(manifest: dict, builder_version: str) -> str:
    normal = json.loads(json.dumps(manifest))
    (normal.get("dist") or {}).pop("output_path", None)
    blob = json.dumps({"builder": builder_version, "manifest": normal}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def _diagnose(log: str) -> str:
    """The lines of a failed build that say why, ahead of the raw tail."""
    reasons = sorted(set(re.findall(r"(\S+@v\S+): reading \S+: 40[34]", log)))
    hints = [f"the Go module proxy does not serve {r}" for r in reasons[:10]]
    hints += sorted(set(re.findall(r"\S+ requires go >= \S+ \(running go \S+", log)))
    # With GOFLAGS=-e, tidy skips what it cannot download and `go build` then reports the package.
    missing = sorted(set(re.findall(r"missing go.sum entry for module providing package (\S+)", log)))
    hints += [f"no module providing {p} could be downloaded (is it served by the Go module proxy?)" for p in missing[:10]]
    return "\n".join(hints)


def _remove_stale(parent: Path) -> None:
    for old in parent.glob(".tmp-*"):
        try:
            if time.time() - old.stat().st_mtime > _STALE_BUILD_SECONDS:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            pass


def build_distribution(manifest_path: Path, *, progress: Progress | None = None,
                       collector_version: str | None = None) -> Path:
    """Build (or reuse) the distribution a builder manifest describes; returns the binary's path.

    The builder's version follows the manifest's core modules (or ``collector_version``). A first
    build downloads and compiles for several minutes; ``progress`` receives the builder's output.
    """
    try:
        manifest = yaml.safe_load(Path(manifest_path).read_text())
    except (OSError, yaml.YAMLError) as error:
        raise ToolError(f"cannot read builder manifest {manifest_path}: {error}") from error
    name = ((manifest or {}).get("dist") or {}).get("name") if isinstance(manifest, dict) else None
    if not name:
        raise ToolError(f"{manifest_path} is not a builder manifest: it has no dist.name")
    version = collector_version or _manifest_collector_version(manifest) or BUILDER_VERSION
    key = _cache_key(manifest, version)
    collectors = cache_dir() / "collectors"
    final = collectors / key
    if (final / name).is_file():
        return final / name
    builder = ensure_builder(version)
    collectors.mkdir(parents=True, exist_ok=True)
    _remove_stale(collectors)
    staging = Path(tempfile.mkdtemp(prefix=f".tmp-{key}-", dir=collectors))
    try:
        manifest["dist"]["output_path"] = str(staging)
        (staging / "manifest.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
        log = _run_builder(builder, staging, progress)
        if not (staging / name).is_file():
            failed = collectors / f"{key}.failed.log"
            failed.write_text(log)
            why = _diagnose(log) or "see the builder's output below"
            raise ToolError(f"building the collector from {manifest_path} failed: {why}\n"
                            f"{_tail(log)}\n(full log: {failed})")
        (staging / "build.log").write_text(log)
        try:
            staging.rename(final)
        except OSError:  # a concurrent build of the same manifest finished first
            pass
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return final / name


def _run_builder(builder: Path, staging: Path, progress: Progress | None) -> str:
    _require_go()
    lines: collections.deque[str] = collections.deque(maxlen=5000)
    with subprocess.Popen([str(builder), "--config", str(staging / "manifest.yaml")], cwd=staging,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=_go_env()) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            if progress:
                progress(line.rstrip("\n"))
    return "\n".join(lines)


def test_distribution_components(collector_version: str = COLLECTOR_VERSION) -> list[str]:
    """Every catalog component that can be built at that version (see components.PROXY_GAPS)."""
    return [c for c in components.all_components() if not components.unavailable(c, collector_version)]


def build_test_distribution(collector_version: str = COLLECTOR_VERSION, *, progress: Progress | None = None) -> Path:
    """A distribution with every buildable catalog component: the binary tests validate against."""
    manifest = builder_manifest(test_distribution_components(collector_version), collector_version,
                                name="otelcol-tracegen-test")
    folder = cache_dir() / "manifests"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"test-{collector_version}.yaml"
    path.write_text(yaml.safe_dump(manifest, sort_keys=False))
    return build_distribution(path, progress=progress, collector_version=collector_version)


def env_references(config_paths: Iterable[Path]) -> set[str]:
    """Names of the environment variables the configs reference."""
    return {m for path in config_paths for m in _ENV_REF.findall(Path(path).read_text())}


def _run_env(config_paths: list[Path], env: dict[str, str] | None) -> dict[str, str]:
    """The process environment for a check: every referenced variable comes from ``env`` or is a
    placeholder, never from the caller's shell, so no real secret is needed or read."""
    given = env or {}
    run = {**os.environ, **given}
    for name in env_references(config_paths):
        run[name] = given.get(name, DUMMY_SECRET)
    return run


def _command(binary: Path, config_paths: list[Path], *args: str) -> list[str]:
    if not Path(binary).is_file():
        raise ToolError(f"collector binary {binary} does not exist; build it first")
    return [str(binary), *args, *(f"--config={Path(p).resolve()}" for p in config_paths)]


def validate_config(binary: Path, config_paths: list[Path], env: dict[str, str] | None = None,
                    timeout: float = 120.0) -> ValidateResult:
    """``otelcol validate`` over the configs, merged in order (a later file overrides an earlier one).

    Validation needs no real secrets: each ``${env:NAME}`` (or ``${NAME}``) the files reference gets
    its value from ``env`` or a placeholder. It checks types and settings, not what only happens at
    start-up (see ``start_check``).
    """
    paths = [Path(p) for p in config_paths]
    try:
        result = subprocess.run(_command(binary, paths, "validate"), capture_output=True, text=True,
                                env=_run_env(paths, env), timeout=timeout)
    except subprocess.TimeoutExpired as error:
        raise ToolError(f"`{binary} validate` did not finish in {timeout:.0f}s") from error
    return ValidateResult(result.returncode == 0, (result.stdout + result.stderr).strip())


def start_check(binary: Path, config_paths: list[Path], env: dict[str, str] | None = None,
                seconds: float = 5.0) -> ValidateResult:
    """Start the collector and report whether it is still running after ``seconds``.

    Catches what ``validate`` lets through (tail_sampling's unnamed policies fail only here). Only
    for configs that listen on loopback and need no cluster or backend to start.
    """
    paths = [Path(p) for p in config_paths]
    with tempfile.TemporaryFile(mode="w+") as out:
        proc = subprocess.Popen(_command(binary, paths), stdout=out, stderr=subprocess.STDOUT, text=True,
                                env=_run_env(paths, env))
        try:
            proc.wait(timeout=seconds)
            running = False
        except subprocess.TimeoutExpired:
            running = True
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        out.seek(0)
        return ValidateResult(running, out.read().strip())


def loadable_types(binary: Path) -> dict[str, set[str]]:
    """Every type name the binary loads per kind, deprecated aliases included.

    ``components`` lists canonical names only; the aliases show in the "valid values" the collector
    prints for an unknown type, so this validates a config with one in each section.
    """
    probe = {section: {"tracegen_probe": {}} for section in SECTIONS.values()}
    probe["service"] = {"pipelines": {"traces": {"receivers": ["tracegen_probe"], "exporters": ["tracegen_probe"]}}}
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as handle:
        yaml.safe_dump(probe, handle)
        handle.flush()
        output = validate_config(binary, [Path(handle.name)]).output
    found = {kind: set() for kind in SECTIONS}
    for section, values in re.findall(r"'(\w+)' unknown type: \"tracegen_probe\".*?\(valid values: \[([^\]]*)\]\)",
                                      output):
        kind = next(k for k, s in SECTIONS.items() if s == section)
        found[kind] = set(values.split())
    return found


def listed_components(binary: Path) -> dict[str, set[str]]:
    """The type names ``<binary> components`` lists per kind (no aliases)."""
    result = subprocess.run(_command(binary, [], "components"), capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise ToolError(f"`{binary} components` failed:\n{_tail(result.stderr)}")
    data = yaml.safe_load(result.stdout) or {}
    return {kind: {entry["name"] for entry in data.get(section) or []} for kind, section in SECTIONS.items()}
