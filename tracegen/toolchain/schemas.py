"""Real schemas for the Kubernetes objects tracegen emits, never hand-written ones.

- Core Kubernetes kinds: the OpenAPI schemas kubernetes-validate ships, for
  `versions.KUBERNETES_VERSION`, in strict mode (unknown fields are errors).
- Custom resources (Istio, Gateway API, Envoy Gateway, Argo CD, the OpenTelemetry Operator): the `openAPIV3Schema` of the CRDs
  each project publishes in its Go module, fetched with `go mod download` and cached under
  `${TRACEGEN_CACHE:-~/.cache/tracegen}/schemas/`. Objects without
  `x-kubernetes-preserve-unknown-fields` get `additionalProperties: false`, as the API server
  prunes (and `kubectl --validate=strict` rejects) unknown fields. CEL rules
  (`x-kubernetes-validations`) are not evaluated.
- Istio's MeshConfig: unmarshalled strictly into istio.io/api's own Go type by a small checker
  built once into the cache, as istiod parses it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import yaml

from tracegen import versions
from tracegen.errors import ToolError

# module -> (version, paths in the module holding CRD YAML)
CRD_SOURCES: dict[str, tuple[str, tuple[str, ...]]] = {
    "istio.io/api": (versions.ISTIO_API_VERSION, ("kubernetes/customresourcedefinitions.gen.yaml",)),
    "sigs.k8s.io/gateway-api": (versions.GATEWAY_API_VERSION, ("config/crd/standard",)),
    "github.com/envoyproxy/gateway": (versions.ENVOY_GATEWAY_VERSION,
                                      ("charts/gateway-helm/charts/crds/crds/generated",)),
    "github.com/argoproj/argo-cd/v3": (versions.ARGOCD_VERSION, ("manifests/crds",)),
    "github.com/open-telemetry/opentelemetry-operator": (versions.OTEL_OPERATOR_VERSION, ("config/crd/bases",)),
    "github.com/argoproj/argo-rollouts": (versions.ARGO_ROLLOUTS_VERSION, ("manifests/crds",)),
    "github.com/cert-manager/cert-manager": (versions.CERT_MANAGER_VERSION, ("deploy/crds",)),
}
GROUP_SOURCES = {
    "telemetry.istio.io": "istio.io/api", "networking.istio.io": "istio.io/api",
    "security.istio.io": "istio.io/api", "extensions.istio.io": "istio.io/api",
    "gateway.networking.k8s.io": "sigs.k8s.io/gateway-api",
    "gateway.envoyproxy.io": "github.com/envoyproxy/gateway",
    "argoproj.io": "github.com/argoproj/argo-cd/v3",
    "opentelemetry.io": "github.com/open-telemetry/opentelemetry-operator",
    "cert-manager.io": "github.com/cert-manager/cert-manager",
}
# Kinds whose group another project's module also serves (Argo Rollouts share argoproj.io with Argo CD).
KIND_SOURCES = {("argoproj.io", "Rollout"): "github.com/argoproj/argo-rollouts"}
INDEX = "index.json"
GO_TIMEOUT_S = 600


def cache_root() -> Path:
    return Path(os.environ.get("TRACEGEN_CACHE") or Path.home() / ".cache" / "tracegen")


def _go_env() -> dict[str, str]:
    return {**os.environ, "GOFLAGS": "-mod=mod", "GOTOOLCHAIN": "local"}


def _go() -> str:
    go = shutil.which("go")
    if go is None:
        raise ToolError("go is not installed: it fetches the CRD schemas (Go modules) the first time")
    return go


def download_module(module: str, version: str) -> Path:
    """The module's directory in the Go module cache (`go mod download`, outside any module)."""
    with tempfile.TemporaryDirectory() as scratch:
        result = subprocess.run([_go(), "mod", "download", "-json", f"{module}@{version}"], cwd=scratch,
                                env=_go_env(), capture_output=True, text=True, timeout=GO_TIMEOUT_S)
    try:
        info = json.loads(result.stdout)
    except ValueError:
        info = {}
    if result.returncode != 0 or "Dir" not in info:
        detail = info.get("Error") or result.stderr.strip() or result.stdout.strip()
        raise ToolError(f"go mod download {module}@{version} failed: {detail}")
    return Path(info["Dir"])


def _crd_files(root: Path, paths: tuple[str, ...]) -> Iterator[Path]:
    for relative in paths:
        path = root / relative
        if path.is_dir():
            yield from sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml"))
        elif path.is_file():
            yield path
        else:
            raise ToolError(f"{relative} is missing from the module at {root.name}")


def _crd_schemas(root: Path, paths: tuple[str, ...]) -> Iterator[tuple[str, str, str, dict]]:
    """(group, version, kind, openAPIV3Schema) of every CRD version in the files."""
    for path in _crd_files(root, paths):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if not isinstance(doc, dict) or doc.get("kind") != "CustomResourceDefinition":
                continue
            spec = doc["spec"]
            for version in spec.get("versions", []):
                schema = (version.get("schema") or {}).get("openAPIV3Schema")
                if schema:
                    yield spec["group"], version["name"], spec["names"]["kind"], schema


def _module_cache(module: str, version: str) -> Path:
    return cache_root() / "schemas" / f"{module.replace('/', '_')}@{version}"


def ensure_crds(module: str) -> Path:
    """Extract every CRD schema of the pinned module version into the cache (once)."""
    version, paths = CRD_SOURCES[module]
    target = _module_cache(module, version)
    if (target / INDEX).is_file():
        return target
    root = download_module(module, version)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=_ensure_dir(target.parent)))
    index = []
    for group, ver, kind, schema in _crd_schemas(root, paths):
        out = staging / group / ver / f"{kind}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(schema, sort_keys=True), encoding="utf-8")
        index.append(f"{group}/{ver}/{kind}")
    (staging / INDEX).write_text(json.dumps({"module": module, "version": version, "paths": list(paths),
                                             "schemas": sorted(index)}, indent=2), encoding="utf-8")
    if target.exists():
        shutil.rmtree(target)
    os.replace(staging, target)
    return target


def _ensure_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def source_module(api_version: str, kind: str) -> str | None:
    group = api_version.rpartition("/")[0]
    return KIND_SOURCES.get((group, kind)) or GROUP_SOURCES.get(group)


def crd_schema(api_version: str, kind: str) -> dict | None:
    """The CRD's openAPIV3Schema for apiVersion/kind, or None when no source is known for its group."""
    group, _, version = api_version.rpartition("/")
    module = source_module(api_version, kind)
    if module is None:
        return None
    path = ensure_crds(module) / group / version / f"{kind}.json"
    if not path.is_file():
        raise ToolError(f"{module}@{CRD_SOURCES[module][0]} publishes no CRD for {api_version} {kind}")
    return json.loads(path.read_text(encoding="utf-8"))


def strict(schema: dict) -> dict:
    """A copy in which every object that lists its properties rejects others."""
    if not isinstance(schema, dict):
        return schema
    out = {key: ({k: strict(v) for k, v in value.items()} if key == "properties" else
                 [strict(v) for v in value] if isinstance(value, list) else
                 strict(value) if isinstance(value, dict) else value)
           for key, value in schema.items()}
    if ("properties" in out and "additionalProperties" not in out
            and not out.get("x-kubernetes-preserve-unknown-fields")):
        out["additionalProperties"] = False
    return out


def _format(error) -> str:
    where = "/".join(str(p) for p in error.absolute_path) or "(root)"
    return f"{where}: {error.message}"


def validate_custom(obj: dict, schema: dict) -> list[str]:
    import jsonschema

    # CRD schemas are OpenAPI 3.0 (draft 4 style: boolean exclusiveMinimum/Maximum).
    # The API server accepts these on every custom resource, whether or not the CRD lists them.
    implicit = {"apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {"type": "object"}}
    root = {**schema, "properties": {**implicit, **schema.get("properties", {})}}
    validator = jsonschema.Draft4Validator(strict(root))
    errors = sorted(validator.iter_errors(obj), key=lambda e: list(e.absolute_path))
    problems = [_format(e) for e in errors]
    # metadata is a bare `type: object` in CRDs; check it against the real ObjectMeta.
    return problems + [f"metadata: {p}" for p in validate_core(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": obj.get("metadata", {})})]


def validate_core(obj: dict) -> list[str]:
    import kubernetes_validate

    try:
        kubernetes_validate.validate(obj, versions.KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.SchemaNotFoundError as error:
        return [error.message]
    except kubernetes_validate.ValidationError as error:
        return [_format(error)]
    return []


def validate_object(obj: dict) -> tuple[str, list[str]]:
    """(what it was checked against, problems). Raises ToolError when a CRD schema cannot be had."""
    api_version, kind = str(obj.get("apiVersion", "")), str(obj.get("kind", ""))
    schema = crd_schema(api_version, kind)
    if schema is not None:
        module = source_module(api_version, kind)
        return f"CRD from {module}@{CRD_SOURCES[module][0]}", validate_custom(obj, schema)
    return f"Kubernetes {versions.KUBERNETES_VERSION} OpenAPI (strict)", validate_core(obj)


MESH_CHECK_GO = """package main

import (
	"fmt"
	"io"
	"os"

	"google.golang.org/protobuf/encoding/protojson"
	meshconfig "istio.io/api/mesh/v1alpha1"
)

// Reads MeshConfig as JSON on stdin and unmarshals it strictly, as istiod does with its mesh config.
func main() {
	data, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var mesh meshconfig.MeshConfig
	if err := (protojson.UnmarshalOptions{DiscardUnknown: false}).Unmarshal(data, &mesh); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
"""


def mesh_checker() -> Path:
    """Build (once) a checker linked against istio.io/api at the pinned version."""
    directory = cache_root() / "schemas" / f"meshcheck@{versions.ISTIO_API_VERSION}"
    binary = directory / "meshcheck"
    if binary.is_file():
        return binary
    go = _go()
    _ensure_dir(directory)
    (directory / "main.go").write_text(MESH_CHECK_GO, encoding="utf-8")
    (directory / "go.mod").write_text("module tracegen.local/meshcheck\n\ngo 1.24\n", encoding="utf-8")
    steps = [[go, "get", f"istio.io/api@{versions.ISTIO_API_VERSION}", "google.golang.org/protobuf"],
             [go, "mod", "tidy"], [go, "build", "-o", "meshcheck.tmp", "."]]
    for step in steps:
        result = subprocess.run(step, cwd=directory, env=_go_env(), capture_output=True, text=True,
                                timeout=GO_TIMEOUT_S)
        if result.returncode != 0:
            raise ToolError(f"building the MeshConfig checker failed at `{' '.join(step[1:])}`: "
                            f"{result.stderr.strip()[-2000:]}")
    os.replace(directory / "meshcheck.tmp", binary)
    return binary


def validate_mesh_config(mesh_config: dict) -> list[str]:
    result = subprocess.run([str(mesh_checker())], input=json.dumps(mesh_config), capture_output=True,
                            text=True, timeout=60)
    return [] if result.returncode == 0 else [result.stderr.strip() or f"exit {result.returncode}"]
