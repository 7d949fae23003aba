"""Collector configs against the real collector: build the distribution each environment's builder
manifest describes (cached), then `otelcol validate` every config; a sampling-mode overlay is
validated merged over its gateway config, as the collector will run it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from tracegen.errors import ToolError
from tracegen.plan.collector_privacy import K8S_NODE_ENV
from tracegen.plan.collectors import MODES_DIRECTORY
from tracegen.validators import Check

NAME = "otelcol validate"
# Variables components read from the process environment at start (not through ${env:...}):
# k8s_attributes refuses to load without the node name its DaemonSet passes from spec.nodeName.
RUNTIME_ENV = {K8S_NODE_ENV: "validate-node"}
KINDS = {"collector-config", "collector-distribution"}


def _by_environment(entries: list[dict]) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = defaultdict(list)
    for entry in entries:
        grouped[entry.get("environment") or ""].append(entry)
    return grouped


def validate(directory: Path, entries: list[dict]) -> Iterator[Check]:
    from tracegen.toolchain.collector import build_distribution, validate_config

    for environment, items in sorted(_by_environment(entries).items()):
        manifests = [e for e in items if e["kind"] == "collector-distribution"]
        configs = sorted((e for e in items if e["kind"] == "collector-config"), key=lambda e: e["path"])
        if not manifests:
            for entry in configs:
                yield Check(entry["path"], NAME, "skip", "no collector-distribution manifest in this environment")
            continue
        try:
            binary = build_distribution(directory / manifests[0]["path"])
        except ToolError as error:
            for entry in configs:
                yield Check(entry["path"], NAME, "skip", str(error).splitlines()[0])
            continue
        yield Check(manifests[0]["path"], "collector builder", "ok", str(binary))
        overlays = [e for e in configs if f"/{MODES_DIRECTORY}/" in e["path"]]
        bases = [e for e in configs if e not in overlays]
        for entry in bases:
            result = validate_config(binary, [directory / entry["path"]], env=RUNTIME_ENV)
            yield Check(entry["path"], NAME, "ok" if result.ok else "fail", result.output.strip())
        for entry in overlays:
            # An overlay is merged over the base config of the same role (gateway, or a lone agent).
            same_role = [e for e in bases if e.get("role") == entry.get("role")]
            if not same_role:
                yield Check(entry["path"], NAME, "fail", f"a mode overlay without a {entry.get('role')} config")
                continue
            result = validate_config(binary, [directory / same_role[0]["path"], directory / entry["path"]],
                                     env=RUNTIME_ENV)
            yield Check(entry["path"], NAME, "ok" if result.ok else "fail",
                        f"merged over {same_role[0]['path']}: {result.output.strip()}")
