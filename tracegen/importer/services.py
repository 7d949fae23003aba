"""Services from Kubernetes workloads whose containers carry OTEL_SERVICE_NAME (the standard SDK
environment): name, version, a language guess from the agent variables, and the head sampler."""

from __future__ import annotations

from typing import Any

from tracegen.importer import Draft, safe_name

# Variables that give a language away (set by the language's agent or its Operator injection).
LANGUAGE_HINTS = (("JAVA_TOOL_OPTIONS", "javaagent", "java"), ("NODE_OPTIONS", "opentelemetry", "node"),
                  ("OTEL_PYTHON_", "", "python"), ("OTEL_GO_", "", "go"), ("CORECLR_", "", "dotnet"),
                  ("OTEL_DOTNET_", "", "dotnet"))


def _env(container: dict[str, Any]) -> dict[str, str]:
    return {str(e["name"]): str(e["value"]) for e in container.get("env") or []
            if isinstance(e, dict) and "name" in e and isinstance(e.get("value"), (str, int, float))}


def _language(env: dict[str, str]) -> str | None:
    for variable, needle, language in LANGUAGE_HINTS:
        for name, value in env.items():
            if name.startswith(variable) and needle.lower() in value.lower():
                return language
    return None


def from_workloads(draft: Draft, manifests: list[dict[str, Any]]) -> None:
    taken: set[str] = set(draft.data.get("services", {}))
    for manifest in manifests:
        if manifest.get("kind") not in ("Deployment", "StatefulSet", "DaemonSet"):
            continue
        pod = ((manifest.get("spec") or {}).get("template") or {}).get("spec") or {}
        for container in pod.get("containers") or []:
            env = _env(container) if isinstance(container, dict) else {}
            if "OTEL_SERVICE_NAME" not in env:
                continue
            name = safe_name(env["OTEL_SERVICE_NAME"], "service", taken, 63)
            path = ("services", name)
            attributes = dict(pair.split("=", 1) for pair in env.get("OTEL_RESOURCE_ATTRIBUTES", "").split(",")
                              if "=" in pair)
            image = str(container.get("image", ""))
            version = attributes.get("service.version") or (image.rsplit(":", 1)[1] if ":" in image.split("/")[-1]
                                                            else "0.0.0")
            language = _language(env)
            service: dict[str, Any] = {"version": version, "language": language or "none"}
            if language is None:
                draft.note(f"the language of {name} is not visible in its manifest: set it (node, java, go, python, "
                           "...); none means a proxy with its own tracer", path + ("language",))
            draft.note(f"from {manifest['kind']} {(manifest.get('metadata') or {}).get('name', '?')}: set owner, "
                       "peak_rps, inbound and calls", path)
            sampler = env.get("OTEL_TRACES_SAMPLER", "")
            if "ratio" in sampler:
                draft.note(f"{name} head-samples ({sampler} {env.get('OTEL_TRACES_SAMPLER_ARG', '')}): tracegen's "
                           "default strategy records every trace and lets the gateways decide", path)
            draft.data.setdefault("services", {})[name] = service
