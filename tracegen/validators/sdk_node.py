"""Node.js SDK output checked with Node's own tools: every `.js` file by `node --check` (syntax, as
the runtime parses it), `package.json` as JSON with exact versions and `engines.node`, and
`otel-config.yaml` as the Python checker reads it (the schema is the same for every SDK). Without
`node` on PATH the JavaScript checks are skipped with the reason."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

from tracegen.validators import Check
from tracegen.validators.sdk_python import declarative_config

NAME = "node"
_EXACT = re.compile(r"^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$")


def check(directory: Path, service_dir: str, entries: list[dict]) -> Iterator[Check]:
    node = shutil.which("node")
    for entry in entries:
        path = directory / entry["path"]
        if entry["kind"] not in ("sdk-code", "sdk-deps"):
            continue
        if path.suffix == ".js":
            if node is None:
                yield Check(entry["path"], NAME, "skip", "needs node on PATH for `node --check`")
                continue
            result = subprocess.run([node, "--check", str(path)], capture_output=True, text=True, timeout=60)
            yield Check(entry["path"], NAME, "ok" if result.returncode == 0 else "fail",
                        "node --check" if result.returncode == 0 else (result.stderr or result.stdout).strip()[-2000:])
        elif path.name == "package.json":
            yield _package(entry["path"], path)
        elif path.suffix in (".yaml", ".yml"):
            yield declarative_config(entry["path"], path)


def _package(name: str, path: Path) -> Check:
    try:
        package = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        return Check(name, NAME, "fail", f"not JSON: {error}")
    if not isinstance(package, dict) or not isinstance(package.get("dependencies"), dict):
        return Check(name, NAME, "fail", "no dependencies object")
    loose = sorted(k for k, v in package["dependencies"].items() if not _EXACT.match(str(v)))
    if loose:
        return Check(name, NAME, "fail", f"not pinned to an exact version: {', '.join(loose)}")
    if not (package.get("engines") or {}).get("node"):
        return Check(name, NAME, "fail", "engines.node (the minimum Node version) is missing")
    return Check(name, NAME, "ok", f"{len(package['dependencies'])} exact pins, engines.node {package['engines']['node']}")
