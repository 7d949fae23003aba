"""The collectors' own workloads -> `topology`: a Deployment or StatefulSet that mounts an imported
config is the gateway tier (its replicas, its container's memory and CPU limits); a DaemonSet is the
per-node agent tier tracegen emits by default."""

from __future__ import annotations

import re
from typing import Any

from tracegen.importer import Draft

MEMORY = re.compile(r"^(\d+)(Ki|Mi|Gi|K|M|G)?$")
MIB = {"Ki": 1 / 1024, "Mi": 1, "Gi": 1024, "K": 1000 / 1024 / 1024, "M": 1000 ** 2 / 1024 ** 2,
       "G": 1000 ** 3 / 1024 ** 2, None: 1 / 1024 ** 2}
CPU = re.compile(r"^\d+(\.\d+)?m?$")


def _limits(pod: dict[str, Any]) -> dict[str, Any]:
    containers = [c for c in pod.get("containers") or [] if isinstance(c, dict)]
    chosen = next((c for c in containers if "otel" in str(c.get("image", "")) or "collector" in str(c.get("image", ""))),
                  containers[0] if containers else {})
    limits = ((chosen.get("resources") or {}).get("limits") or {}) if isinstance(chosen, dict) else {}
    resources: dict[str, Any] = {}
    memory = MEMORY.match(str(limits.get("memory", "")))
    if memory:
        mib = int(int(memory.group(1)) * MIB[memory.group(2)])
        if mib >= 64:
            resources["memory_mib"] = mib
    if CPU.match(str(limits.get("cpu", ""))):
        resources["cpu"] = str(limits["cpu"])
    return resources


def from_workloads(draft: Draft, manifests: list[dict[str, Any]], config_maps: set[str]) -> None:
    for manifest in manifests:
        kind = manifest.get("kind")
        spec = manifest.get("spec") if isinstance(manifest.get("spec"), dict) else {}
        pod = (spec.get("template") or {}).get("spec") or {}
        mounted = {str((v.get("configMap") or {}).get("name")) for v in pod.get("volumes") or []
                   if isinstance(v, dict) and isinstance(v.get("configMap"), dict)}
        if kind not in ("Deployment", "StatefulSet", "DaemonSet") or not mounted & config_maps:
            continue
        name = (manifest.get("metadata") or {}).get("name", "?")
        topology = draft.data.setdefault("topology", {})
        resources = _limits(pod)
        if kind == "DaemonSet":
            topology.setdefault("agent", {})["placement"] = "daemonset"
            if resources:
                topology["agent"]["resources"] = {"cpu": "500m", "memory_mib": 512, **resources}
            continue
        gateway = topology.setdefault("gateway", {})
        replicas = spec.get("replicas", 1)
        if isinstance(replicas, int) and replicas >= 1:
            gateway["replicas"] = replicas
        if resources:
            gateway["resources"] = {"cpu": "1", "memory_mib": 2048, **resources}
        draft.note(f"the gateway tier from {kind} {name}: tracegen runs it as a StatefulSet of fixed replicas "
                   "behind agents that route by trace ID", ("topology", "gateway"))
