"""The Operator flavour against the OpenTelemetry Operator's own CRD schemas (its Go module at
tracegen.versions.OTEL_OPERATOR_VERSION, fetched with `go mod download` and cached under
${TRACEGEN_CACHE:-~/.cache/tracegen}/schemas): the OpenTelemetryCollector (v1beta1) and
Instrumentation (v1alpha1) resources of the OpenTelemetry demo's estate pass `tracegen validate`,
and the same resources with one wrong field are rejected (the schema is strict, not a rubber stamp)."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tracegen.errors import ToolError
from tracegen.toolchain import schemas

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
MODULE = "github.com/open-telemetry/opentelemetry-operator"


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed")
    try:
        schemas.ensure_crds(MODULE)
    except ToolError as error:
        pytest.fail(f"the Operator's CRDs could not be fetched: {str(error).splitlines()[0]}")
    out = tmp_path_factory.mktemp("otel-demo")
    result = subprocess.run([sys.executable, "-m", "tracegen", "build", "blueprints/otel-demo.yaml", "-o", str(out)],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return out


def _docs(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]


def test_tracegen_validate_accepts_the_operator_resources(demo):
    result = subprocess.run([sys.executable, "-m", "tracegen", "validate", str(demo), "--only", "kubernetes",
                             "--format", "json"], cwd=ROOT, capture_output=True, text=True, timeout=900)
    data = json.loads(result.stdout)
    checks = {c["artifact"]: c for c in (data["checks"] if isinstance(data, dict) else data)}
    for path in ("demo/operator/collectors.yaml", "demo/operator/instrumentation.yaml",
                 "demo/operator/kustomization.yaml", "demo/kubernetes/kustomization.yaml"):
        assert checks[path]["status"] == "ok", checks[path]
    assert f"CRD from {MODULE}@" in checks["demo/operator/collectors.yaml"]["detail"]
    assert f"CRD from {MODULE}@" in checks["demo/operator/instrumentation.yaml"]["detail"]
    # The environment's kustomization builds the Operator's resources with the rest.
    assert checks["demo/kubernetes/kustomization.yaml"]["status"] == "ok"


@pytest.mark.parametrize("kind, mutate, where", [
    ("OpenTelemetryCollector", lambda d: d["spec"].__setitem__("mode", "replicaset"), "spec/mode"),
    ("OpenTelemetryCollector", lambda d: d["spec"].pop("config"), "spec"),
    ("OpenTelemetryCollector", lambda d: d["spec"].__setitem__("args", {"feature-gates": 1}), "spec/args"),
    ("OpenTelemetryCollector", lambda d: d["spec"].__setitem__("hostPorts", True), "spec"),
    ("Instrumentation", lambda d: d["spec"].__setitem__("propagators", ["w3c"]), "spec/propagators"),
    ("Instrumentation", lambda d: d["spec"]["sampler"].__setitem__("type", "parentbased_jaeger_remote"),
     "spec/sampler/type"),
])
def test_a_wrong_field_is_rejected(demo, kind, mutate, where):
    docs = _docs(demo / "demo" / "operator" / "collectors.yaml") + \
        _docs(demo / "demo" / "operator" / "instrumentation.yaml")
    original = next(d for d in docs if d["kind"] == kind)
    assert schemas.validate_object(original)[1] == []
    broken = copy.deepcopy(original)
    mutate(broken)
    what, problems = schemas.validate_object(broken)
    assert MODULE in what
    assert any(p.startswith(where) for p in problems), problems


@pytest.mark.parametrize("blueprint", ["checkout.yaml", "mixed-estate.yaml"])
def test_other_estates_in_the_operator_flavour_validate(demo, blueprint):
    """checkout (mesh, ingress, tail sampling) and mixed-estate (mutual TLS with cert-manager, gateway
    exposure for VM agents) with topology.deployment: operator: every object valid against its schema."""
    from tracegen.blueprint.loader import load_text
    from tracegen.plan.builder import build_plan
    from tracegen.targets import build_all

    data = yaml.safe_load((ROOT / "blueprints" / blueprint).read_text(encoding="utf-8"))
    data.setdefault("topology", {})["deployment"] = "operator"
    artifacts = [a for a in build_all(build_plan(load_text(yaml.safe_dump(data), blueprint)))
                 if "/operator/" in a.path and a.path.endswith("collectors.yaml")]
    assert artifacts
    for artifact in artifacts:
        for doc in (d for d in yaml.safe_load_all(artifact.content) if d):
            assert schemas.validate_object(doc)[1] == [], (artifact.path, doc["kind"], doc["metadata"]["name"])
