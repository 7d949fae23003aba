"""Every pinned version tracegen emits or installs, in one place.

Bump here, regenerate output/ (`python -m tracegen build` via tests/test_output_fresh.py), and the
real-consumer tests tell you whether the new versions still accept what tracegen emits.
"""

# OpenTelemetry Collector (core and contrib release together). 0.165.0 is the newest release, but the
# Go module proxy this project builds from does not serve several of its contrib modules
# (load_balancing, service_graph, prometheus) nor dependencies of tail_sampling/attributes/transform
# (see components.PROXY_GAPS): 0.160.0 is the newest version whose every component tracegen emits
# builds and passes `otelcol validate` here. Component names are the same at 0.160 and 0.165.
COLLECTOR_VERSION = "0.160.0"
# The builder (ocb) is released with the collector core.
BUILDER_VERSION = COLLECTOR_VERSION

# Kubernetes API version the manifests are validated against (kubernetes-validate ships its
# OpenAPI schemas); the manifests use only APIs that are GA in it (ValidatingAdmissionPolicy v1: 1.30).
KUBERNETES_VERSION = "1.35.0"
# The collector image the manifests run: the upstream all-in-one contrib image at COLLECTOR_VERSION.
COLLECTOR_IMAGE = "otel/opentelemetry-collector-contrib"
# CRD schemas come from these Go modules (`go mod download`; each module's go line must be accepted
# by the local Go toolchain, which is why Gateway API and Argo CD sit one minor behind their newest).
ISTIO_API_VERSION = "v1.31.4"          # istio.io/api: kubernetes/customresourcedefinitions.gen.yaml
GATEWAY_API_VERSION = "v1.6.3"         # sigs.k8s.io/gateway-api: config/crd/
ENVOY_GATEWAY_VERSION = "v1.9.1"       # github.com/envoyproxy/gateway: charts/gateway-helm/charts/crds/
ARGOCD_VERSION = "v3.5.7"              # github.com/argoproj/argo-cd/v3: manifests/crds/

# Go toolchain the collector builder needs: the collector's modules declare `go 1.26.0` (0.160-0.165).
# GOTOOLCHAIN=local, so an older Go fails rather than downloading a newer one.
GO_MIN_VERSION = "1.26"
