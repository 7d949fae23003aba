"""Artifacts read as documents to compare: structured data keyed by identity, or text.

- Kubernetes, Istio and ingress YAML (and any multi-document YAML of Kubernetes objects): one entry
  per object, keyed `apiVersion/kind/namespace/name`.
- Collector configs: the config itself, marked so the differ knows component IDs and pipelines.
  A ConfigMap (or any string) holding a collector config is read as one too.
- Other YAML and JSON: the data. `.env` files and Java `.properties`: variables by name.
- Source code, docs and anything unparseable: text, compared line by line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import yaml

STRUCTURED_SUFFIXES = (".yaml", ".yml", ".json", ".env", ".properties")


class CollectorConfig(dict):
    """A collector configuration (receivers/processors/exporters/connectors/extensions/service)."""


@dataclass(frozen=True)
class Document:
    data: Any = None             # structured content (None for text)
    text: str | None = None      # text content (None for structured)

    @property
    def structured(self) -> bool:
        return self.text is None


def read(path: str, kind: str, content: bytes) -> Document:
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return Document(text=f"<binary, {len(content)} bytes>")
    if kind == "collector-config" or path.endswith(STRUCTURED_SUFFIXES):
        data = _structured(path, kind, text)
        if data is not _UNPARSED:
            return Document(data=data)
    return Document(text=text)


_UNPARSED = object()


def _structured(path: str, kind: str, text: str) -> Any:
    try:
        if path.endswith(".json"):
            return _embed(json.loads(text))
        if path.endswith(".env"):
            return _assignments(text, "=")
        if path.endswith(".properties"):
            return _assignments(text, "=:")
        documents = [d for d in yaml.safe_load_all(text) if d is not None]
    except (ValueError, yaml.YAMLError):
        return _UNPARSED
    if kind == "collector-config" and len(documents) == 1 and isinstance(documents[0], dict):
        return CollectorConfig(_embed(documents[0]))
    if documents and all(identity(d) for d in documents):
        return {identity(d): _embed(d) for d in documents}
    if len(documents) == 1:
        return _embed(documents[0])
    return [_embed(d) for d in documents]


def identity(document: Any) -> str | None:
    """`apps/v1/Deployment/observability/otel-gateway` (no namespace for cluster-wide objects)."""
    if not isinstance(document, dict) or not isinstance(document.get("metadata"), dict):
        return None
    api, kind, meta = document.get("apiVersion"), document.get("kind"), document["metadata"]
    if not isinstance(api, str) or not isinstance(kind, str) or not isinstance(meta.get("name"), str):
        return None
    namespace = meta.get("namespace")
    return "/".join([api, kind] + ([str(namespace)] if namespace else []) + [meta["name"]])


def is_objects(data: Any) -> bool:
    """Kubernetes objects keyed by identity (what `read` makes of a manifest)."""
    return isinstance(data, dict) and bool(data) and all(identity(v) == k for k, v in data.items())


SECTIONS = frozenset({"receivers", "processors", "exporters", "connectors", "extensions", "service"})


def looks_like_collector(data: Any) -> bool:
    """A whole collector config: a service section and components."""
    return isinstance(data, dict) and isinstance(data.get("service"), dict) and (
        "receivers" in data or "exporters" in data)


def _collector_part(data: Any) -> bool:
    """A collector config or an overlay of one (a sampling mode's `processors:` only)."""
    return isinstance(data, dict) and bool(data) and set(data) <= SECTIONS and all(
        isinstance(v, dict) for v in data.values())


def _embed(data: Any) -> Any:
    """YAML held in a string (a ConfigMap's `gateway.yaml`, a mode overlay) becomes structured, so a
    change inside it is shown by key, and a collector config in it is judged by component ID like a
    collector-config file."""
    if isinstance(data, dict):
        out = {k: _embed(v) for k, v in data.items()}
        return CollectorConfig(out) if looks_like_collector(out) else out
    if isinstance(data, list):
        return [_embed(v) for v in data]
    if isinstance(data, str) and "\n" in data.strip() and ":" in data:
        try:
            parsed = yaml.safe_load(data)
        except yaml.YAMLError:
            return data
        if isinstance(parsed, dict):
            inner = _embed(parsed)
            return CollectorConfig(inner) if _collector_part(inner) else inner
    return data


def _assignments(text: str, separators: str) -> dict[str, str]:
    """`NAME=value` lines (comments and blanks skipped); a repeated name keeps its last value."""
    out: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", "!")):
            continue
        cut = min((line.find(s) for s in separators if s in line), default=-1)
        if cut < 0:
            out[line] = ""
            continue
        out[line[:cut].strip()] = line[cut + 1:].strip()
    return out
