"""Kubernetes, Istio, Gateway API / Envoy Gateway and Argo CD artifacts against their real schemas.

Custom resources are checked against the CRDs each project publishes in its Go module (fetched
with `go mod download` at the versions pinned in tracegen.versions, cached under
${TRACEGEN_CACHE:-~/.cache/tracegen}/schemas), strictly; istiod's MeshConfig against istio.io/api's
Go type; every kustomization with `kubectl kustomize`. The whole runs through `tracegen validate`
on real builds, as a user would run it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tracegen import versions
from tracegen.errors import ToolError
from tracegen.toolchain import schemas
from tracegen.validators import kubernetes as validator
from tracegen.validators import read_manifest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
BLUEPRINTS = sorted([*(f"tests/golden_k8s/{p.parent.name}/blueprint.yaml"
                       for p in (ROOT / "tests" / "golden_k8s").glob("*/blueprint.yaml")),
                     *(f"blueprints/{p.name}" for p in (ROOT / "blueprints").glob("*.yaml"))])


@pytest.fixture(scope="module", autouse=True)
def toolchain():
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed")
    try:
        for module in schemas.CRD_SOURCES:
            schemas.ensure_crds(module)
        schemas.mesh_checker()
    except ToolError as error:
        pytest.skip(f"CRD schemas unavailable: {str(error).splitlines()[0]}")


def build(blueprint: str, out: Path) -> Path:
    result = subprocess.run([sys.executable, "-m", "tracegen", "build", blueprint, "-o", str(out)],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return out


@pytest.mark.parametrize("blueprint", BLUEPRINTS)
def test_tracegen_validate_accepts_every_kubernetes_artifact(blueprint, tmp_path):
    out = build(blueprint, tmp_path / "out")
    entries = [e for e in read_manifest(out) if e["kind"] in validator.KINDS]
    checks = list(validator.validate(out, entries))
    assert {c.status for c in checks} <= {"ok"}, "\n".join(
        f"{c.status} {c.artifact}: {c.detail}" for c in checks if c.status != "ok")
    assert len(checks) == len([e for e in entries if e["path"].endswith(".yaml")])
    details = " ".join(c.detail for c in checks)
    if "/istio/" in " ".join(e["path"] for e in entries):
        assert f"CRD from istio.io/api@{versions.ISTIO_API_VERSION}" in details
        assert "meshConfig unmarshals into istio.io/api MeshConfig" in details
    if any(e["path"].endswith("envoyproxy.yaml") for e in entries):
        assert f"CRD from github.com/envoyproxy/gateway@{versions.ENVOY_GATEWAY_VERSION}" in details
        assert f"CRD from sigs.k8s.io/gateway-api@{versions.GATEWAY_API_VERSION}" in details
    if any("/argocd/" in e["path"] for e in entries):
        assert f"CRD from github.com/argoproj/argo-cd/v3@{versions.ARGOCD_VERSION}" in details


def test_the_cli_runs_the_kubernetes_validator(tmp_path):
    out = build("blueprints/checkout.yaml", tmp_path / "out")
    result = subprocess.run([sys.executable, "-m", "tracegen", "validate", str(out), "--only", "kubernetes"],
                            cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 failed" in result.stdout


SEED_TELEMETRY = """
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: mesh-tracing, namespace: istio-system}
spec:
  selector: {}
  tracing:
  - providers:
    - name: otel
    randomSamplingPercentage: 10
  providers:
  - name: otel
    otel: {service: otel-collector.otel.svc.cluster.local, port: 4317}
"""


def test_the_playbooks_telemetry_form_is_rejected_by_istios_crd():
    _, problems = schemas.validate_object(yaml.safe_load(SEED_TELEMETRY))
    assert any("providers" in p for p in problems)


def test_crd_validation_is_strict_and_typed():
    proxy = {"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "EnvoyProxy",
             "metadata": {"name": "p", "namespace": "ingress"},
             "spec": {"telemetry": {"tracing": {"samplingRate": 0.1, "provider": {"type": "OpenTelemetry"},
                                                "collector": "otel-agent:4317"}}}}
    _, problems = schemas.validate_object(proxy)
    assert any("collector" in p for p in problems)       # unknown field
    assert any("samplingRate" in p for p in problems)    # an integer percentage, not a fraction
    app = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
           "metadata": {"name": "a", "namespace": "argocd", "bogus": True}, "spec": {
               "project": "default", "destination": {"name": "c"},
               "source": {"repoURL": "https://example.invalid/r.git", "path": "p"}}}
    _, problems = schemas.validate_object(app)
    assert any("metadata" in p and "bogus" in p for p in problems)


def test_istiod_rejects_a_provider_in_the_wrong_shape():
    service = "otel-agent.observability.svc.cluster.local"
    assert schemas.validate_mesh_config({"extensionProviders": [
        {"name": "otel", "opentelemetry": {"service": service, "port": 4317}}]}) == []
    problems = schemas.validate_mesh_config({"extensionProviders": [
        {"name": "otel", "otel": {"service": "otel-agent.observability.svc.cluster.local", "port": 4317}}]})
    assert problems and "otel" in problems[0]
