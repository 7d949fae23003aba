"""Go SDK output checked by the Go toolchain, in a scratch copy of the generated module:
`go mod tidy` (from the module cache, then the Go module proxy when something is missing),
`gofmt -l`, `go build ./...` and `go vet ./...`; the declarative configuration is loaded with
otelconf, as the generated Setup loads it when OTEL_CONFIG_FILE is set."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

from tracegen.validators import Check

NAME = "go build+vet"
TIMEOUT_S = 900
_UNRESOLVED = re.compile(r"GOPROXY=off|module lookup disabled|dial tcp|no such host|i/o timeout|"
                         r"connection refused|TLS handshake", re.IGNORECASE)


def go_env(offline: bool = False) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env["GOTOOLCHAIN"] = "local"      # never download a toolchain
    env["GOFLAGS"] = " ".join(filter(None, [env.get("GOFLAGS", ""), "-buildvcs=false"]))
    if offline:
        env["GOPROXY"] = "off"
    return env


def _run(args: list[str], folder: Path, offline: bool = False) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=folder, capture_output=True, text=True, timeout=TIMEOUT_S,
                          env=go_env(offline), stdin=subprocess.DEVNULL)


def _text(result: subprocess.CompletedProcess) -> str:
    return (result.stdout + result.stderr).strip()


def tidy(go: str, folder: Path) -> subprocess.CompletedProcess:
    """`go mod tidy` from the module cache, or through the proxy when the cache lacks something."""
    result = _run([go, "mod", "tidy"], folder, offline=True)
    if result.returncode != 0 and _UNRESOLVED.search(_text(result)):
        result = _run([go, "mod", "tidy"], folder)
    return result


def check(directory: Path, service_dir: str, entries: list[dict]) -> Iterator[Check]:
    judged = [e for e in entries if e["kind"] in ("sdk-code", "sdk-deps")]
    code = [e for e in judged if e["path"].endswith((".go", "/go.mod"))]
    configs = [e for e in judged if e["path"].endswith(".yaml")]
    go = shutil.which("go")
    gofmt = shutil.which("gofmt")
    if not go or not gofmt:
        for entry in judged:
            yield Check(entry["path"], NAME, "skip", "needs Go (go, gofmt) on PATH")
        return
    if not any(e["path"].endswith("/go.mod") for e in code):
        return
    with tempfile.TemporaryDirectory(prefix="tracegen-go-") as scratch:
        folder = Path(scratch) / "module"
        shutil.copytree(directory / service_dir, folder)
        try:
            yield from _check(go, gofmt, folder, code, configs)
        except subprocess.TimeoutExpired as error:
            for entry in judged:
                yield Check(entry["path"], NAME, "fail", f"{' '.join(error.cmd)} took over {TIMEOUT_S}s")


def _check(go: str, gofmt: str, folder: Path, code: list[dict], configs: list[dict]) -> Iterator[Check]:
    tidied = tidy(go, folder)
    if tidied.returncode != 0:
        unreachable = _UNRESOLVED.search(_text(tidied))
        for entry in code + configs:
            yield Check(entry["path"], NAME, "skip" if unreachable else "fail",
                        ("modules unavailable (Go module proxy unreachable):\n" if unreachable else "go mod tidy:\n")
                        + _text(tidied)[-3000:])
        return
    unformatted = set(_run([gofmt, "-l", "."], folder).stdout.split())
    build = _run([go, "build", "./..."], folder)
    vet = _run([go, "vet", "./..."], folder) if build.returncode == 0 else build
    for entry in code:
        name = entry["path"].rsplit("/", 1)[-1]
        if build.returncode or vet.returncode:
            yield Check(entry["path"], NAME, "fail", _text(vet)[-3000:])
        elif name in unformatted:
            yield Check(entry["path"], NAME, "fail", "not gofmt-formatted")
        else:
            yield Check(entry["path"], NAME, "ok", "tidy, gofmt, build and vet clean")
    if not configs:
        return
    checker = folder / "tracegen_checkconfig"
    checker.mkdir()
    source = resources.files("tracegen").joinpath("templates/sdk/go/checkconfig.go.txt").read_text(encoding="utf-8")
    (checker / "main.go").write_text(source, encoding="utf-8")
    for entry in configs:
        loaded = _run([go, "run", "./tracegen_checkconfig", str(folder / entry["path"].rsplit("/", 1)[-1])], folder)
        yield Check(entry["path"], "otelconf", "ok" if loaded.returncode == 0 else "fail", _text(loaded)[-3000:])
