"""What a target produces: a file's relative path, its bytes and what it is."""

from __future__ import annotations

from dataclasses import dataclass

KINDS = frozenset({
    "collector-config", "collector-distribution", "kubernetes-manifest", "istio", "ingress",
    "ansible-playbook", "ansible-inventory", "ansible-vars", "sdk-code", "sdk-deps", "sdk-env", "docs",
    "sampling-strategies", "operator-manifest", "prometheus-rules", "grafana-dashboard",
})


@dataclass(frozen=True)
class Artifact:
    path: str                       # relative, POSIX separators
    kind: str
    content: str
    environment: str | None = None
    role: str | None = None         # agent | gateway
    service: str | None = None
    language: str | None = None
    executable: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown artifact kind {self.kind!r}")
        if self.path.startswith("/") or ".." in self.path.split("/"):
            raise ValueError(f"artifact path must be relative and inside the output: {self.path!r}")
