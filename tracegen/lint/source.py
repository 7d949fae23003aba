"""Read collector configs with positions: a plain config file, or Kubernetes manifests whose
ConfigMaps hold one (`data: {otelcol.yaml: |...}`), with the workloads that mount them.

Parsing is the blueprint loader's (YAML 1.2 core schema, depth and size limits, no tags, parse errors
that never quote the file). A config inside a ConfigMap's literal block (`|`) is parsed on its own and
its positions shifted to the manifest's lines and columns, so findings point into the file the user
edits. How many instances run a config (`deployment`) comes from the workload that mounts it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tracegen.blueprint.loader import read_text
from tracegen.blueprint.source import SourceMap, parse_yaml_documents
from tracegen.errors import BlueprintError
from tracegen.lint.config import CollectorConfig

WORKLOADS = ("DaemonSet", "Deployment", "StatefulSet")


def read(path: str) -> list[CollectorConfig]:
    """Every collector config in the file at `path` (BlueprintError, exit 2, when it is unreadable)."""
    text = read_text(Path(path))
    documents = parse_yaml_documents(text, path)
    if not documents:
        raise BlueprintError("the file is empty", path)
    configs: list[CollectorConfig] = []
    manifests = [(data, source) for data, source in documents if is_manifest(data)]
    for data, source in documents:
        if is_manifest(data):
            continue
        if not isinstance(data, dict):
            raise source.error("a collector config is a mapping (receivers:, exporters:, service:)")
        configs.append(CollectorConfig(path, data, source))
    mounts = _mounts([data for data, _ in manifests])
    lines = text.split("\n")
    for data, source in manifests:
        if data.get("kind") != "ConfigMap" or not isinstance(data.get("data"), dict):
            continue
        name = str((data.get("metadata") or {}).get("name", ""))
        for key, value in data["data"].items():
            if not isinstance(value, str) or not _looks_like_config(value):
                continue
            inner, inner_source = _embedded(value, key, source, lines, path)
            configs.append(CollectorConfig(path, inner, inner_source, origin=f"ConfigMap {name}:{key}",
                                           deployment=mounts.get(name), config_map=name))
    return configs


def is_manifest(data: Any) -> bool:
    return isinstance(data, dict) and "apiVersion" in data and "kind" in data


def _looks_like_config(text: str) -> bool:
    return any(line.startswith(("receivers:", "exporters:", "service:")) for line in text.splitlines())


def _embedded(value: str, key: str, outer: SourceMap, lines: list[str], path: str) -> tuple[dict, SourceMap]:
    """The config in a ConfigMap value, positions in the manifest's coordinates. A literal block's
    content starts on the line after its key, at the block's indentation; for other styles the
    key's own position is the best there is."""
    key_line, key_column = outer.positions[("data", key)]
    header = lines[key_line - 1][key_column - 1:] if key_line <= len(lines) else ""
    line_shift, column_shift = key_line - 1, key_column - 1
    literal = header.split(":", 1)[-1].strip().startswith("|")
    if literal:
        line_shift = key_line        # the block's line 1 is the line after its key
        first = next((n for n in range(key_line, len(lines)) if lines[n].strip()), None)
        column_shift = len(lines[first]) - len(lines[first].lstrip(" ")) if first is not None else 0
    try:
        documents = parse_yaml_documents(value, path)
    except BlueprintError as error:   # report it where it is in the manifest
        line = (error.line or 1) + line_shift if literal else key_line
        column = (error.column or 1) + column_shift if literal else key_column
        raise BlueprintError(f"ConfigMap key {key}: {error.message}", path, line, column) from None
    if len(documents) != 1 or not isinstance(documents[0][0], dict):
        raise BlueprintError(f"ConfigMap key {key} is not one collector config mapping", path, key_line, key_column)
    data, inner = documents[0]
    shifted = SourceMap(path)
    for inner_path, (line, column) in inner.positions.items():
        shifted.positions[inner_path] = ((line + line_shift, column + column_shift) if literal
                                         else (key_line, key_column))
    shifted.texts = dict(inner.texts)
    return data, shifted


def _mounts(manifests: list[dict]) -> dict[str, str]:
    """ConfigMap name -> how its workload runs it: `daemonset` (one per node), `replicated` (more than
    one replica behind a Service), or `single`."""
    found: dict[str, str] = {}
    for manifest in manifests:
        if manifest.get("kind") not in WORKLOADS:
            continue
        spec = manifest.get("spec") or {}
        pod = ((spec.get("template") or {}).get("spec") or {}) if isinstance(spec, dict) else {}
        volumes = pod.get("volumes") or [] if isinstance(pod, dict) else []
        replicas = spec.get("replicas", 1) if isinstance(spec, dict) else 1
        how = ("daemonset" if manifest["kind"] == "DaemonSet"
               else "replicated" if not isinstance(replicas, int) or replicas > 1 else "single")
        for volume in volumes if isinstance(volumes, list) else []:
            config_map = volume.get("configMap") if isinstance(volume, dict) else None
            if isinstance(config_map, dict) and config_map.get("name"):
                found[str(config_map["name"])] = how
    return found
