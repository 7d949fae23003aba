"""Exporters -> blueprint backends. The type comes from the backend registry (a type's key header
among the exporter's headers, else its name in the host); credentials become `${env:NAME}`
references, never values."""

from __future__ import annotations

import re
from typing import Any

from tracegen import backends, secrets
from tracegen.backends.base import shown
from tracegen.importer import Draft, safe_name
from tracegen.lint.config import CollectorConfig

GRPC = ("otlp", "otlp_grpc")
HTTP = ("otlphttp", "otlp_http")
DROPPED = {"debug": "the debug exporter writes spans to the collector log; tracegen emits none in production",
           "logging": "the logging exporter was removed in collector v0.111.0"}
ROUTING = ("loadbalancing", "load_balancing")
_BARE_REFERENCE = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9_-]* )?\$\{(?:env:)?(?P<name>[A-Za-z_][A-Za-z0-9_]*)\}$")


def env_name(*parts: str) -> str:
    return re.sub(r"[^A-Z0-9_]", "_", "_".join(parts).upper()).strip("_") or "SECRET"


def _type(headers: dict[str, str], host: str) -> str:
    lowered = {k.lower() for k in headers}
    for name, kind in backends.BACKENDS.items():
        if kind.key_header and kind.key_header.lower() in lowered:
            return name
    for name in backends.NAMES:
        if name != "otlp" and name in host.lower():
            return name
    return "otlp"


def _reference(value: str, fallback: str) -> tuple[str, bool]:
    """(a `${env:NAME}` reference, whether the config held the credential inline)."""
    match = _BARE_REFERENCE.match(value.strip())
    if match:
        return f"{match.group('scheme') or ''}${{env:{match.group('name')}}}", False
    return f"${{env:{fallback}}}", True


def exporter(draft: Draft, config: CollectorConfig, component_id: str, type_name: str,
             settings: dict[str, Any], taken: set[str]) -> str | None:
    """Add the backend for one exporter; its blueprint name, or None when it is not a backend."""
    if type_name in DROPPED:
        draft.note(f"exporter {component_id} not imported: {DROPPED[type_name]}")
        return None
    if type_name in ROUTING:
        draft.note(f"exporter {component_id} (trace-ID load balancing) is the agent tier's job: tracegen "
                   "emits it whenever gateways run (topology.gateway)", ("topology",))
        return None
    jaeger_legacy = type_name == "jaeger"
    if type_name not in GRPC + HTTP and not jaeger_legacy:
        draft.note(f"exporter {component_id} ({type_name}) has no blueprint backend type; not imported")
        return None
    endpoint = settings.get("endpoint") or settings.get("traces_endpoint")
    if not isinstance(endpoint, str) or not endpoint:
        draft.note(f"exporter {component_id} has no endpoint; not imported")
        return None
    name = safe_name(component_id.partition("/")[2] or component_id, "backend", taken)
    path = ("backends", name)
    raw_headers = settings.get("headers") if isinstance(settings.get("headers"), dict) else {}
    headers = {str(k): str(v) for k, v in raw_headers.items()}
    host = endpoint.split("://", 1)[-1].split("/", 1)[0]
    kind = backends.get(_type(headers, host))
    backend: dict[str, Any] = {"type": kind.name}
    if jaeger_legacy:
        host_only = host.rsplit(":", 1)[0]
        endpoint = f"{host_only}:4317"
        draft.note(f"was the removed jaeger exporter ({component_id}); exported with OTLP to Jaeger's OTLP port "
                   "4317 instead (check the port your Jaeger exposes)", path)
    if secrets.url_problems(endpoint):
        endpoint = shown(endpoint).removesuffix("?…")
        draft.note(f"the endpoint of {component_id} carried a credential (userinfo or query): removed; send it "
                   "in a header holding ${env:NAME} and rotate it", path + ("endpoint",))
    backend["endpoint"] = endpoint
    if type_name in HTTP:
        backend["protocol"] = "http"
    tls = settings.get("tls") if isinstance(settings.get("tls"), dict) else {}
    if tls.get("insecure") is True or endpoint.startswith("http://"):
        backend["tls"] = {"insecure": True}
        draft.note(f"{component_id} sent without TLS, as imported: `tracegen check` refuses it (TG504) for a "
                   "remote host; give tls.ca_file for a private CA", path + ("tls",))
    if isinstance(tls.get("ca_file"), str):
        backend.setdefault("tls", {})["ca_file"] = tls["ca_file"]
    kept: dict[str, str] = {}
    for header, value in headers.items():
        lowered = header.lower()
        if kind.key_header and lowered == kind.key_header.lower():
            reference, inline = _reference(value.removeprefix(kind.key_scheme), env_name(name, "API_KEY"))
            backend["api_key"] = reference
            if inline:
                draft.note(f"{component_id} carried its key inline: it is now {reference}; rotate the exposed key",
                           path + ("api_key",))
        elif kind.dataset_header and lowered == kind.dataset_header.lower():
            backend["dataset"] = value
        elif secrets.secret_name(header) or secrets.secret_value(value):
            reference, inline = _reference(value, env_name(name, header))
            kept[header] = reference
            if inline:
                draft.note(f"header {header} of {component_id} was a credential written inline: it is now "
                           f"{reference}; rotate the exposed value", path + ("headers",))
        elif "${" in value:
            draft.note(f"header {header} of {component_id} takes its value from the environment, but its name "
                       "does not say credential and tracegen sends such headers as written: not imported", path)
        else:
            kept[header] = value
    if kept:
        backend["headers"] = kept
    if kind.key_required and "api_key" not in backend:
        backend["api_key"] = f"${{env:{env_name(name, 'API_KEY')}}}"
        draft.note(f"{kind.name} needs a key and {component_id} sent none: set {backend['api_key']}",
                   path + ("api_key",))
    if kind.name == "honeycomb" and "dataset" not in backend:
        draft.note("classic Honeycomb environments need a dataset (x-honeycomb-dataset); add dataset: if yours "
                   "is one", path)
    draft.data.setdefault("backends", {})[name] = backend
    return name
