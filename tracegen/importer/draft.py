"""Collector configs (and manifests) -> a Draft: what maps where, in one pass over the components,
then a check against the blueprint schema that drops (with a comment) anything that does not fit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tracegen.blueprint.loader import read_text
from tracegen.blueprint.model import Blueprint
from tracegen.blueprint.source import parse_yaml_documents
from tracegen.importer import Draft, backends, privacy, safe_name, sampling, services, topology
from tracegen.lint import source
from tracegen.lint.config import CollectorConfig
from tracegen.lint.rules.tl202_needs_trace_routing import deployment

PROCESSORS_HANDLED = {"memory_limiter": "tracegen sizes memory_limiter from topology.*.resources and puts it first",
                      "batch": "tracegen batches in the exporters' sending queues",
                      "k8sattributes": "tracegen adds k8s_attributes on Kubernetes agents",
                      "k8s_attributes": "tracegen adds k8s_attributes on Kubernetes agents",
                      "resource": "set resource values under standards.resource_attributes.values"}
MAX_FIXES = 100


def build(files: list[str], name: str, environment: str) -> Draft:
    draft = Draft({"schema_version": 1, "name": name})
    configs = [config for file in files for config in source.read(file)]
    manifests = [data for file in files for data, _ in parse_yaml_documents(read_text(Path(file)), file)
                 if source.is_manifest(data)]
    if not configs:
        draft.note("no collector config found in the files: only services were imported")
    taken: set[str] = set()
    several = False
    for config in configs:
        _config(draft, config, taken)
        several = several or deployment(config)[0] in ("daemonset", "replicated")
    services.from_workloads(draft, manifests)
    topology.from_workloads(draft, manifests, {c.config_map for c in configs if c.config_map})
    _required(draft, manifests, environment, several)
    _fit_schema(draft)
    return draft


def _config(draft: Draft, config: CollectorConfig, taken: set[str]) -> None:
    label = config.origin or config.file
    used = {item for _, pipeline in config.pipelines() for role in pipeline.values() for item in role}
    traces = {item for name, pipeline in config.pipelines() if name.split("/")[0] == "traces"
              for role in pipeline.values() for item in role}
    for component_id, type_name, settings in config.components("exporters"):
        if component_id not in traces:
            draft.note(f"exporter {component_id} of {label} is in no traces pipeline; not imported")
            continue
        backends.exporter(draft, config, component_id, type_name, settings, taken)
    for component_id, type_name, settings in config.components("processors"):
        if component_id not in used:
            draft.note(f"processor {component_id} of {label} is in no pipeline; not imported")
        elif type_name == "tail_sampling":
            sampling.tail(draft, config, component_id, settings)
        elif type_name == "attributes":
            privacy.attributes(draft, component_id, settings)
        elif type_name == "redaction":
            privacy.redaction(draft, component_id, settings)
        elif type_name == "transform" and settings.get("trace_statements"):
            privacy.transform(draft, component_id, settings)
        elif type_name in PROCESSORS_HANDLED:
            draft.note(f"processor {component_id}: {PROCESSORS_HANDLED[type_name]}")
        else:
            draft.note(f"processor {component_id} ({type_name}) of {label} has no blueprint equivalent; not imported")
    for component_id, type_name, _ in config.components("connectors"):
        if type_name in sampling.SPAN_METRICS + sampling.SERVICE_GRAPH and component_id in used:
            sampling.derived(draft, type_name)
        else:
            draft.note(f"connector {component_id} ({type_name}) of {label} is not imported")
    for component_id, type_name, _ in config.components("receivers"):
        if type_name != "otlp":
            draft.note(f"receiver {component_id} ({type_name}) of {label} is not imported: tracegen's collectors "
                       "receive OTLP")


def _required(draft: Draft, manifests: list[dict], environment: str, several: bool) -> None:
    data = draft.data
    if not data.get("services"):
        data["services"] = {"my-service": {"version": "1.0.0", "language": "none"}}
        draft.note("collector configs do not name the services that send to them: replace this placeholder "
                   "with yours (or import the Deployments' manifests with OTEL_SERVICE_NAME)", ("services",))
    namespaces = {str((m.get("metadata") or {}).get("namespace", "")) for m in manifests if m.get("kind") == "ConfigMap"}
    namespace = next((n for n in sorted(namespaces) if n), None)
    kubernetes: dict[str, Any] = {"cluster": "imported"}
    if namespace:
        kubernetes["namespace"] = safe_name(namespace, "observability", set(), 63)
    data["environments"] = {environment: {"platform": {"kubernetes": kubernetes}}}
    draft.note("set the cluster (and a vm or local platform if the collectors run there)",
               ("environments", environment, "platform"))
    tail = (data.get("sampling") or {}).get("tail")
    derived = (data.get("topology") or {}).get("derived_metrics")
    if (tail or derived) and several:
        draft.note("the original tail-sampled (or derived metrics) in every instance of a multi-instance "
                   "deployment: tracegen puts agents that route by trace ID in front of a gateway tier that "
                   "alone does it", ("topology",) if "topology" in data else ("sampling", "tail"))
    if not data.get("backends"):
        draft.note("no exporter mapped to a backend: add one under backends:")


def _fit_schema(draft: Draft) -> None:
    """Drop what the blueprint schema refuses (a hostile or unusual value), each with a comment."""
    for _ in range(MAX_FIXES):
        try:
            Blueprint.model_validate(draft.data)
            return
        except ValidationError as error:
            problem = error.errors()[0]
        path = _existing(draft.data, tuple(problem["loc"]))
        if len(path) < 2:
            return            # a top-level problem: leave it for `tracegen check` to report
        parent = draft.data
        for part in path[:-1]:
            parent = parent[part]
        parent.pop(path[-1]) if isinstance(parent, dict) else parent.pop(path[-1])
        where = ".".join(str(p) for p in path)
        draft.note(f"{where} was dropped: {problem['msg']}", path[:-1])


def _existing(data: Any, loc: tuple) -> tuple:
    path: list = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            continue
        path.append(part)
    return tuple(path)
