"""A real Jaeger (v2, the all-in-one `cmd/jaeger`) built from the Go module proxy, and its config for
a loopback run: the backend the end-to-end tests read their verdict from.

The module is ``github.com/jaegertracing/jaeger``; Jaeger v2 releases are published to Go as the
matching v1 tag (``v1.76.0`` is Jaeger v2.13.0, see ``versions.JAEGER_VERSION``). Its go.mod has a
``replace`` directive, so ``go install module@version`` refuses it: the source is fetched with
``go mod download`` and built in a copy with ``go build ./cmd/jaeger`` (no UI assets: the query API
is what the tests use). The binary is cached in ``${TRACEGEN_CACHE:-~/.cache/tracegen}/jaeger/<version>/``;
a build runs in a temporary directory beside it and is renamed into place only when the binary
exists, so a killed build leaves nothing that looks finished.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from tracegen.errors import ToolError
from tracegen.toolchain.collector import _go_env, _remove_stale, _require_go, _tail, cache_dir
from tracegen.versions import JAEGER_VERSION

JAEGER_MODULE = "github.com/jaegertracing/jaeger"
JAEGER_PACKAGE = "./cmd/jaeger"
BUILD_TIMEOUT_S = 3600
HOST = "127.0.0.1"
STORAGE = "memory_store"

Progress = Callable[[str], None]


def release_name(version: str = JAEGER_VERSION) -> str:
    """The Jaeger release a module version is: v1.N.P is v2.(N-63).P (v1.76.0 -> v2.13.0)."""
    major, minor, patch = (int(p) for p in version.lstrip("v").split("."))
    return f"v2.{minor - 63}.{patch}" if major == 1 and minor >= 63 else version


def binary_path(version: str = JAEGER_VERSION) -> Path:
    return cache_dir() / "jaeger" / version / "jaeger"


def _download(go: str, version: str) -> Path:
    """The module's source directory in the Go module cache (read-only)."""
    with tempfile.TemporaryDirectory() as scratch:
        result = subprocess.run([go, "mod", "download", "-json", f"{JAEGER_MODULE}@{version}"], cwd=scratch,
                                capture_output=True, text=True, env=_go_env(), timeout=BUILD_TIMEOUT_S)
    try:
        info = json.loads(result.stdout)
    except json.JSONDecodeError:
        info = {}
    if result.returncode != 0 or not info.get("Dir"):
        why = info.get("Error") or _tail(result.stderr)
        raise ToolError(f"`go mod download {JAEGER_MODULE}@{version}` failed: {why}")
    return Path(info["Dir"])


def _build(go: str, source: Path, staging: Path, version: str, progress: Progress | None) -> str:
    work = staging / "src"
    shutil.copytree(source, work)
    for path in [work, *work.rglob("*")]:          # the module cache is read-only; go may touch go.mod
        if not path.is_symlink():
            path.chmod(path.stat().st_mode | 0o200)
    version_flag = f"-X {JAEGER_MODULE}/internal/version.latestVersion={release_name(version)}"
    args = [go, "build", "-trimpath", "-mod=mod", "-ldflags", f"-s -w {version_flag}",
            "-o", str(staging / "jaeger"), JAEGER_PACKAGE]
    lines: list[str] = []
    with subprocess.Popen(args, cwd=work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          env=_go_env()) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            if progress:
                progress(line.rstrip("\n"))
    shutil.rmtree(work, ignore_errors=True)
    return "\n".join(lines)


def ensure_jaeger(version: str = JAEGER_VERSION, *, progress: Progress | None = None) -> Path:
    """The Jaeger v2 binary at module ``version``, built on first use (several minutes) and cached."""
    final = binary_path(version).parent
    if (final / "jaeger").is_file():
        return final / "jaeger"
    go = _require_go()
    parent = final.parent
    parent.mkdir(parents=True, exist_ok=True)
    _remove_stale(parent)
    shutil.rmtree(final, ignore_errors=True)       # a folder without its binary is no install
    source = _download(go, version)
    staging = Path(tempfile.mkdtemp(prefix=f".tmp-{version}-", dir=parent))
    try:
        log = _build(go, source, staging, version, progress)
        if not (staging / "jaeger").is_file():
            failed = parent / f"{version}.failed.log"
            failed.write_text(log)
            raise ToolError(f"building Jaeger {version} ({JAEGER_PACKAGE}) failed:\n{_tail(log)}\n(full log: {failed})")
        (staging / "build.log").write_text(log)
        try:
            staging.rename(final)
        except OSError:                            # a concurrent build finished first
            pass
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return final / "jaeger"


@dataclass(frozen=True)
class JaegerPorts:
    otlp_grpc: int
    otlp_http: int
    query_http: int
    query_grpc: int
    health: int


def config(ports: JaegerPorts, max_traces: int = 200_000) -> dict:
    """An all-in-one config as data: OTLP in, in-memory storage, the query API, all on 127.0.0.1.

    Only what is listed runs (no Jaeger/Zipkin receivers, no remote sampling, no own metrics or
    traces), so a run binds exactly the five ports given and sends nothing anywhere. The query API
    answers searches of up to ``max_traces - 1`` traces.
    """
    return {
        "extensions": {
            "jaeger_storage": {"backends": {STORAGE: {"memory": {"max_traces": max_traces}}}},
            # enable_tracing off: Jaeger would trace its own queries to localhost:4317.
            "jaeger_query": {"storage": {"traces": STORAGE}, "enable_tracing": False,
                             "http": {"endpoint": f"{HOST}:{ports.query_http}"},
                             "grpc": {"endpoint": f"{HOST}:{ports.query_grpc}"}},
            # The v2 status endpoint at "/": 200 once every component runs, as the collectors' health_check.
            "healthcheckv2": {"use_v2": True, "http": {"endpoint": f"{HOST}:{ports.health}",
                                                       "status": {"enabled": True, "path": "/"}}},
        },
        "receivers": {"otlp": {"protocols": {"grpc": {"endpoint": f"{HOST}:{ports.otlp_grpc}"},
                                             "http": {"endpoint": f"{HOST}:{ports.otlp_http}"}}}},
        "processors": {"batch": {}},
        "exporters": {"jaeger_storage_exporter": {"trace_storage": STORAGE}},
        "service": {
            "extensions": ["jaeger_storage", "jaeger_query", "healthcheckv2"],
            "pipelines": {"traces": {"receivers": ["otlp"], "processors": ["batch"],
                                     "exporters": ["jaeger_storage_exporter"]}},
            "telemetry": {"metrics": {"level": "none"}, "logs": {"level": "info"}},
        },
    }
