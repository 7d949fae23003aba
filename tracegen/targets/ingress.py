"""Ingress tracing, per Kubernetes environment with an `ingress` in its blueprint. The ingress is the
first hop: it makes the head decision at the blueprint's edge rate and exports to the agent Service.

- `envoy_gateway` (the maintained default; Gateway API): `<env>/ingress/envoyproxy.yaml`, an
  EnvoyProxy whose `telemetry.tracing` uses the OpenTelemetry provider with a backendRef to the
  agent Service, and `<env>/ingress/gatewayclass.yaml`, a GatewayClass `otel-traced` that references
  it. Use that class for your Gateways, or reference the EnvoyProxy from a Gateway in the same
  namespace (`spec.infrastructure.parametersRef`).
- `nginx` (ingress-nginx, retired in March 2026: legacy only): `<env>/ingress/ingress-nginx.yaml`,
  the OpenTelemetry keys of the controller's ConfigMap (apply server-side, as the Argo CD
  Application does, so the controller's other keys stay as they are).
- `istio`: the Istio ingress gateway is traced by the mesh-wide Telemetry in `<env>/istio/`.
"""

from __future__ import annotations

from fractions import Fraction

from tracegen.plan import model as pm
from tracegen.targets import kubernetes_common as kc
from tracegen.targets.artifact import Artifact
from tracegen.targets.serialize import to_yaml

DIRECTORY = kc.INGRESS_DIRECTORY
ENVOY_PROXY = "otel-tracing"
GATEWAY_CLASS = "otel-traced"
ENVOY_CONTROLLER = "gateway.envoyproxy.io/gatewayclass-controller"
NGINX_CONFIG_MAP = "ingress-nginx-controller"
KUSTOMIZE_API = "kustomize.config.k8s.io/v1beta1"


def sampling_fraction(ratio: float) -> dict:
    fraction = Fraction(str(ratio)).limit_denominator(1_000_000)
    return {"numerator": fraction.numerator, "denominator": fraction.denominator}


def envoy_gateway(env: pm.EnvironmentPlan, ing: pm.Ingress) -> dict[str, dict]:
    service, namespace = kc.split_service_host(ing.collector_service)
    proxy = {
        "apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "EnvoyProxy",
        "metadata": kc.meta(ENVOY_PROXY, ing.namespace, kc.labels(ENVOY_PROXY, "ingress", env)),
        "spec": {"telemetry": {"tracing": {
            # Applies only where no upstream decision came with the request.
            "samplingFraction": sampling_fraction(ing.sampling_ratio),
            "provider": {"type": "OpenTelemetry", "backendRefs": [
                {"name": service, "namespace": namespace, "port": ing.collector_port}]},
        }}},
    }
    gateway_class = {
        "apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
        "metadata": kc.meta(GATEWAY_CLASS, None, kc.labels(GATEWAY_CLASS, "ingress", env)),
        "spec": {"controllerName": ENVOY_CONTROLLER,
                 "parametersRef": {"group": "gateway.envoyproxy.io", "kind": "EnvoyProxy", "name": ENVOY_PROXY,
                                   "namespace": ing.namespace}},
    }
    return {"envoyproxy.yaml": proxy, "gatewayclass.yaml": gateway_class}


def nginx(env: pm.EnvironmentPlan, ing: pm.Ingress) -> dict[str, dict]:
    ratio = ing.sampling_ratio
    data = {
        "enable-opentelemetry": "true",
        "otlp-collector-host": ing.collector_service,
        "otlp-collector-port": str(ing.collector_port),
        "otel-service-name": "ingress-nginx",
        "otel-sampler": "AlwaysOn" if ratio >= 1 else "TraceIdRatioBased",
        "otel-sampler-ratio": f"{ratio:.10f}".rstrip("0").rstrip("."),
        # The edge decides: a client on the internet must not switch sampling on (or off) for us.
        "otel-sampler-parent-based": "false",
        "opentelemetry-trust-incoming-span": "false",
    }
    return {"ingress-nginx.yaml": {
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": kc.meta(NGINX_CONFIG_MAP, ing.namespace, {"app.kubernetes.io/managed-by": "tracegen"}),
        "data": data}}


def build(plan: pm.Plan) -> list[Artifact]:
    artifacts: list[Artifact] = []
    for env in plan.environments:
        if not kc.has_ingress_manifests(env):
            continue
        ing = env.ingress
        assert ing is not None
        files = envoy_gateway(env, ing) if ing.kind == "envoy_gateway" else nginx(env, ing)
        files["kustomization.yaml"] = {"apiVersion": KUSTOMIZE_API, "kind": "Kustomization",
                                       "resources": sorted(files)}
        for path, data in files.items():
            artifacts.append(Artifact(path=f"{env.name}/{DIRECTORY}/{path}", kind="ingress",
                                      content=to_yaml(data, source=plan.source_file), environment=env.name))
    return artifacts
