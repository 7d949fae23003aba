"""Python SDK output checked with Python's own tools: every module byte-compiled (`py_compile`, into
a scratch file so the output stays clean), `requirements.txt` read as exact pins of one
instrumentation line, and `otel-config.yaml` loaded by opentelemetry-configuration (its schema and
file_format checks) when that package is installed here, else parsed and its file_format checked."""

from __future__ import annotations

import py_compile
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import yaml

from tracegen.validators import Check

NAME = "python"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)$")


def check(directory: Path, service_dir: str, entries: list[dict]) -> Iterator[Check]:
    for entry in entries:
        path = directory / entry["path"]
        if entry["kind"] not in ("sdk-code", "sdk-deps"):
            continue
        if path.suffix == ".py":
            yield _compile(entry["path"], path)
        elif path.name == "requirements.txt":
            yield _requirements(entry["path"], path)
        elif path.suffix in (".yaml", ".yml"):
            yield declarative_config(entry["path"], path)


def _compile(name: str, path: Path) -> Check:
    with tempfile.TemporaryDirectory(prefix="tracegen-pyc-") as scratch:
        try:
            py_compile.compile(str(path), cfile=str(Path(scratch) / "module.pyc"), doraise=True)
        except py_compile.PyCompileError as error:
            return Check(name, NAME, "fail", error.msg)
    return Check(name, NAME, "ok", "py_compile")


def _requirements(name: str, path: Path) -> Check:
    pins: dict[str, str] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _PIN.match(line)
        if not match:
            return Check(name, NAME, "fail", f"line {number}: {line!r} is not an exact pin (name==version)")
        pins[match.group(1).lower()] = match.group(2)
    lines = {v for k, v in pins.items() if k.startswith("opentelemetry-instrumentation")}
    if len(lines) > 1:
        return Check(name, NAME, "fail", f"instrumentation packages of several lines {sorted(lines)}: each pins "
                                         "opentelemetry-instrumentation exactly, so they cannot install together")
    if pins.get("opentelemetry-api") != pins.get("opentelemetry-sdk"):
        return Check(name, NAME, "fail", "opentelemetry-api and opentelemetry-sdk must be the same version")
    return Check(name, NAME, "ok", f"{len(pins)} exact pins, one instrumentation line")


def declarative_config(name: str, path: Path) -> Check:
    """An OpenTelemetry declarative configuration file, as the Python SDK loads it for OTEL_CONFIG_FILE."""
    try:
        from opentelemetry.configuration import ConfigurationError, load_config_file
    except ImportError:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as error:
            return Check(name, "otel-config", "fail", str(error))
        if not isinstance(data, dict) or not str(data.get("file_format", "")).startswith("1."):
            return Check(name, "otel-config", "fail", "file_format 1.x is required")
        return Check(name, "otel-config", "ok", "YAML with file_format 1.x; schema not checked (pip install "
                                                "opentelemetry-configuration to load it as the SDK does)")
    try:
        load_config_file(path)
    except ConfigurationError as error:
        return Check(name, "otel-config", "fail", str(error))
    return Check(name, "otel-config", "ok", "loaded by opentelemetry-configuration (schema and file_format)")
