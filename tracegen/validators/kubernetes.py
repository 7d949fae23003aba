"""Kubernetes, Istio and ingress artifacts against their real consumers: every object against the
Kubernetes OpenAPI schemas (strict) or its project's published CRD schema, istiod's MeshConfig
against istio.io/api's Go type, every kustomization through `kubectl kustomize`, and each app
component applied to a sample Deployment, whose result is validated in turn."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

import yaml

from tracegen.errors import ToolError
from tracegen.validators import EXTRA, Check, missing_modules, skip_all

NAME = "kubernetes schemas"
KINDS = {"kubernetes-manifest", "istio", "ingress", "operator-manifest"}
KUSTOMIZATION = "kustomization.yaml"
MESH_VALUES = "istiod-values.yaml"


def kustomize(directory: Path) -> tuple[bool, str]:
    """(built, output or error) of `kubectl kustomize DIRECTORY`."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        raise ToolError("kubectl is not installed (it runs kustomize)")
    result = subprocess.run([kubectl, "kustomize", str(directory)], capture_output=True, text=True, timeout=120)
    return result.returncode == 0, result.stdout if result.returncode == 0 else result.stderr.strip()


def documents(text: str) -> list[dict]:
    return [d for d in yaml.safe_load_all(text) if isinstance(d, dict)]


def check_objects(docs: list[dict]) -> tuple[bool, str]:
    from tracegen.toolchain.schemas import validate_object

    problems, against = [], set()
    for doc in docs:
        what, errors = validate_object(doc)
        against.add(what)
        name = f"{doc.get('kind')}/{(doc.get('metadata') or {}).get('name')}"
        problems += [f"{name}: {e}" for e in errors]
    if problems:
        return False, "\n".join(problems)
    return True, f"{len(docs)} object(s) valid against " + "; ".join(sorted(against))


SAMPLE_IMAGE = "example/app:1.0.0"
ROLLOUT_OPENAPI = "rollout-openapi.yaml"


def sample_workload(service: str, namespace: str | None, kind: str = "Deployment",
                    api_version: str = "apps/v1") -> dict:
    """A workload of the service as a team writes it, of the kind its component patches."""
    metadata = {"name": service, **({"namespace": namespace} if namespace else {})}
    pod = {"containers": [{"name": service, "image": SAMPLE_IMAGE, "env": [{"name": "PORT", "value": "8080"}]}]}
    template = {"metadata": {"labels": {"app": service}}, "spec": pod}
    spec: dict = {"selector": {"matchLabels": {"app": service}}, "template": template}
    if kind == "StatefulSet":
        spec["serviceName"] = service
    elif kind == "Rollout":
        spec["strategy"] = {"canary": {}}
    elif kind == "CronJob":
        pod["restartPolicy"] = "OnFailure"
        spec = {"schedule": "*/5 * * * *", "jobTemplate": {"spec": {"template": template}}}
    return {"apiVersion": api_version, "kind": kind, "metadata": metadata, "spec": spec}


def pod_spec(workload: dict) -> dict:
    spec = workload["spec"]
    return (spec["jobTemplate"]["spec"] if workload["kind"] == "CronJob" else spec)["template"]["spec"]


def check_component(component: Path, service: str) -> tuple[bool, str]:
    """Apply the component to a sample workload of the service (the kind it patches) and validate what
    comes out: the app's own container, image and variables survive the patch."""
    patch = documents((component / "otel-env.yaml").read_text(encoding="utf-8"))
    kind = patch[0].get("kind", "Deployment") if patch else "Deployment"
    api_version = patch[0].get("apiVersion", "apps/v1") if patch else "apps/v1"
    namespace = None
    for path in component.glob("*.yaml"):
        for doc in documents(path.read_text(encoding="utf-8")):
            namespace = namespace or (doc.get("metadata") or {}).get("namespace")
    with tempfile.TemporaryDirectory() as scratch:
        app = Path(scratch)
        (app / "deployment.yaml").write_text(yaml.safe_dump(sample_workload(service, namespace, kind, api_version)),
                                             encoding="utf-8")
        (app / KUSTOMIZATION).write_text(yaml.safe_dump({
            "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
            # kustomize refuses absolute paths: reach the component relatively, as a team would.
            "resources": ["deployment.yaml"],
            "components": [os.path.relpath(component.resolve(), app.resolve())]}), encoding="utf-8")
        built, output = kustomize(app)
    if not built:
        return False, output
    docs = documents(output)
    workload = next(d for d in docs if d["kind"] == kind)
    container = next(c for c in pod_spec(workload)["containers"] if c["name"] == service)
    names = [e["name"] for e in container.get("env", [])]
    if not patch or "OTEL_SERVICE_NAME" not in names:
        return False, "the component did not set OTEL_SERVICE_NAME on the service's container"
    if container.get("image") != SAMPLE_IMAGE or "PORT" not in names:
        return False, f"the component replaced the {kind}'s container instead of merging into it"
    for item in container.get("env", []):
        for ref in names:
            if f"$({ref})" in str(item.get("value", "")) and names.index(ref) > names.index(item["name"]):
                return False, f"{item['name']} refers to $({ref}), which is defined after it"
    ok, detail = check_objects(docs)
    return ok, f"applied to a sample {kind}: {detail}"


def _check_file(directory: Path, entry: dict) -> tuple[str, str]:
    path = PurePosixPath(entry["path"])
    full = directory / path
    if path.name == KUSTOMIZATION:
        if len(path.parts) >= 4 and path.parts[-4:-2] == ("kubernetes", "apps"):
            ok, detail = check_component(full.parent, path.parts[-2])
        else:
            ok, output = kustomize(full.parent)
            detail = f"kubectl kustomize: {len(documents(output))} object(s)" if ok else output
        return ("ok" if ok else "fail"), detail
    if "apps" in path.parts and path.name in ("otel-env.yaml", ROLLOUT_OPENAPI):
        ok, detail = check_component(full.parent, path.parts[-2])
        return ("ok" if ok else "fail"), f"patch, through its component: {detail}"
    text = full.read_text(encoding="utf-8")
    if path.name == MESH_VALUES:
        from tracegen.toolchain.schemas import validate_mesh_config

        problems = validate_mesh_config((yaml.safe_load(text) or {}).get("meshConfig", {}))
        if problems:
            return "fail", "\n".join(problems)
        return "ok", "meshConfig unmarshals into istio.io/api MeshConfig"
    ok, detail = check_objects(documents(text))
    return ("ok" if ok else "fail"), detail


def validate(directory: Path, entries: list[dict]) -> Iterator[Check]:
    missing = missing_modules("jsonschema", "kubernetes_validate")
    if missing:
        yield from skip_all([e for e in entries if e["path"].endswith((".yaml", ".yml"))], NAME,
                            f"needs the Python packages {', '.join(missing)}: {EXTRA}")
        return
    for entry in sorted(entries, key=lambda e: e["path"]):
        if not entry["path"].endswith((".yaml", ".yml")):
            continue
        try:
            status, detail = _check_file(directory, entry)
        except ToolError as error:
            status, detail = "skip", str(error).splitlines()[0]
        yield Check(entry["path"], NAME, status, detail)
