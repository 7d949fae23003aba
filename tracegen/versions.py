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
# The collector versions tracegen writes configs for: tracegen/components.py has verified every
# component's name (and module version) from the oldest to the newest. A blueprint asking for
# another `topology.collector_version` gets a positioned error (components.check_supported).
MIN_SUPPORTED_COLLECTOR_VERSION = "0.120.0"
NEWEST_VERIFIED_COLLECTOR_VERSION = "0.165.0"

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
# The OpenTelemetry Operator's CRDs (OpenTelemetryCollector v1beta1, Instrumentation v1alpha1): v0.140.0 is
# the newest the module proxy serves here (v0.150.0, v0.157.0 and v0.158.0 are refused).
OTEL_OPERATOR_VERSION = "v0.140.0"     # github.com/open-telemetry/opentelemetry-operator: config/crd/bases/
# github.com/argoproj/argo-rollouts: manifests/crds/ (a Component may patch a Rollout). v1.10.2 needs Go 1.26.10.
ARGO_ROLLOUTS_VERSION = "v1.10.1"
CERT_MANAGER_VERSION = "v1.21.2"       # github.com/cert-manager/cert-manager: deploy/crds/ (Certificate)

# Jaeger the end-to-end tests export to (tracegen/toolchain/jaeger.py builds its all-in-one
# `cmd/jaeger` from the Go module proxy). Jaeger v2 is published to Go as the matching v1 tag:
# v1.76.0 is Jaeger v2.13.0, the newest the module proxy serves here.
JAEGER_VERSION = "v1.76.0"

# Go toolchain the collector builder needs: the collector's modules declare `go 1.26.0` (0.160-0.165).
# GOTOOLCHAIN=local, so an older Go fails rather than downloading a newer one.
GO_MIN_VERSION = "1.26"

# Java SDK output (targets/sdk/java.py): the Java agent 2.x route. The instrumentation BOM pins
# opentelemetry-api (through opentelemetry-bom) and -instrumentation-annotations to the agent's release.
# Maven plugins: their prerequisites admit Maven 3.6.3+ (this machine has 3.8.7).
SDK_VERSIONS_JAVA = {
    "opentelemetry-javaagent": "2.33.1",
    "opentelemetry-instrumentation-bom": "2.33.1",
    "prometheus-metrics": "1.10.0",          # io.prometheus:prometheus-metrics-core (client_java 1.x)
    "java-release": "17",
    "maven-compiler-plugin": "3.16.0",
    "maven-dependency-plugin": "3.11.0",
    "maven-jar-plugin": "3.4.2",
    "maven-resources-plugin": "3.3.1",
    # Only the end-to-end sample app (tests/e2e/sdk_apps/java) uses Spring Boot.
    "spring-boot": "4.1.2",
}

# The Java agent the VM rollout installs for JVM services (targets/ansible.py, roles/otel_app): the jar
# SDK_VERSIONS_JAVA pins, from Maven Central, checked against this SHA-256 before it is put in place.
# Computed from the real jar (Maven Central's own .sha1 of it matched) when the version was pinned, never
# fetched at build time: a version without its checksum here fails tests/test_app_rollout.py.
JAVA_AGENT_GROUP = "io.opentelemetry.javaagent"
JAVA_AGENT_ARTIFACT = "opentelemetry-javaagent"
JAVA_AGENT_SHA256 = {
    "2.33.1": "e43a270df53c6f423e0ab157be9c27ccc01d5dc3232e162fe54777573db2f149",
}
# Kubernetes pods copy the agent from the OpenTelemetry Operator's image in an init container. The
# Operator publishes that image only for the agent versions it ships (not every agent release): 2.31.1
# is the default of Operator 0.160 (its release notes), the newest tag found published, so pods run
# an agent two minor releases behind the VMs' 2.33.1 until the Operator ships a newer image.
JAVA_AGENT_IMAGE = "ghcr.io/open-telemetry/opentelemetry-operator/autoinstrumentation-java"
JAVA_AGENT_IMAGE_VERSION = "2.31.1"

# Go SDK output (targets/sdk/go.py). Every module's go directive is 1.26.0, which the local toolchain
# (GOTOOLCHAIN=local) accepts. The contrib modules v0.72.0 / v1.47.0 are built against otel v1.47.0,
# and the SDK's resource package uses semconv v1.43.0: the generated code imports that same package,
# or resource.Merge fails on conflicting schema URLs.
SDK_VERSIONS_GO = {
    "go": "1.26.0",
    "go.opentelemetry.io/otel": "v1.47.0",
    "go.opentelemetry.io/otel/sdk": "v1.47.0",
    "go.opentelemetry.io/otel/trace": "v1.47.0",
    "go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc": "v1.47.0",
    "go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp": "v1.47.0",
    "go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc": "v0.72.0",
    "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp": "v0.72.0",
    "go.opentelemetry.io/contrib/otelconf": "v0.27.0",
    "go.opentelemetry.io/contrib/propagators/b3": "v1.47.0",
    "go.opentelemetry.io/contrib/propagators/jaeger": "v1.47.0",
    # The parent-based Jaeger remote sampler (edge_head strategy); built against otel v1.47.0.
    "go.opentelemetry.io/contrib/samplers/jaegerremote": "v0.38.0",
    "google.golang.org/grpc": "v1.85.0",
    "github.com/prometheus/client_golang": "v1.25.0",
    "semconv": "v1.43.0",                    # go.opentelemetry.io/otel/semconv/<this>, as sdk/resource
}

# Rust SDK output (targets/sdk/rust.py): the three crates release together (crates.io); "rust" is the
# toolchain the end-to-end test builds and runs it with (the crates declare rust-version 1.75).
SDK_VERSIONS_RUST = {
    "rust": "1.95.0",
    "opentelemetry": "0.33.1",
    "opentelemetry_sdk": "0.33.1",
    "opentelemetry-otlp": "0.33.1",
}

# SDK packages the generated per-service setup pins (tracegen/targets/sdk/node.py and python.py).
# Node: the OpenTelemetry JS 2.x SDK line (stable 2.12.x, experimental 0.223.x, contrib
# instrumentations built on instrumentation ^0.223.0) is the newest whose `engines` admit Node 20:
# SDK 3.x, 0.300+ and the contrib releases after these (instrumentation-express 0.72, -pg 0.77,
# -kafkajs 0.33, ...) need Node >= 22.15. The 2.x packages accept @opentelemetry/api ">=1.0.0 <1.10.0",
# so the API stays on 1.9.x. Stable packages sit at 2.12.0, not 2.12.1: sdk-trace-node 2.12.0 (the
# last of that package) pins core/sdk-trace-base 2.12.0 exactly, and one copy of each is wanted.
# The key "node" is the runtime floor written to package.json `engines.node`.
SDK_VERSIONS_NODE = {
    "node": ">=20.6.0",
    "@opentelemetry/api": "1.9.1",
    "@opentelemetry/core": "2.12.0",
    "@opentelemetry/resources": "2.12.0",
    "@opentelemetry/sdk-trace-node": "2.12.0",
    "@opentelemetry/semantic-conventions": "1.45.0",
    "@opentelemetry/propagator-b3": "2.12.0",
    "@opentelemetry/propagator-jaeger": "2.12.0",
    "@opentelemetry/exporter-trace-otlp-grpc": "0.223.0",
    "@opentelemetry/exporter-trace-otlp-proto": "0.223.0",
    "@opentelemetry/instrumentation": "0.223.0",
    "@opentelemetry/instrumentation-http": "0.223.0",
    "@opentelemetry/instrumentation-grpc": "0.223.0",
    "@opentelemetry/sdk-node": "0.223.0",          # startNodeSDK(): loads OTEL_CONFIG_FILE
    "@opentelemetry/instrumentation-undici": "0.33.0",
    "@opentelemetry/instrumentation-express": "0.71.1",
    "@opentelemetry/instrumentation-pg": "0.76.0",
    "@opentelemetry/instrumentation-mysql2": "0.69.0",
    "@opentelemetry/instrumentation-redis": "0.71.0",
    "@opentelemetry/instrumentation-ioredis": "0.71.0",
    "@opentelemetry/instrumentation-kafkajs": "0.32.0",
    "@opentelemetry/instrumentation-amqplib": "0.70.0",
    "@opentelemetry/instrumentation-aws-sdk": "0.78.0",
    "pino": "10.4.0",
    "prom-client": "15.1.3",
}
# Python: SDK 1.45.1 with the 0.66b1 instrumentation line. 1.45.2/0.66b2 is newer but was not
# released for every instrumentation (psycopg, flask, pika, kafka, pymysql, the b3 and jaeger
# propagators stop at 0.66b1/1.45.1), and each instrumentation pins opentelemetry-instrumentation
# exactly, so one service mixing the two lines cannot install. The key "python" is the runtime floor.
SDK_VERSIONS_PYTHON = {
    "python": ">=3.10",
    "opentelemetry-api": "1.45.1",
    "opentelemetry-sdk": "1.45.1",
    "opentelemetry-exporter-otlp-proto-grpc": "1.45.1",
    "opentelemetry-exporter-otlp-proto-http": "1.45.1",
    "opentelemetry-propagator-b3": "1.45.1",
    "opentelemetry-propagator-jaeger": "1.45.1",
    "opentelemetry-configuration": "0.66b1",        # OTEL_CONFIG_FILE (declarative configuration)
    "opentelemetry-instrumentation": "0.66b1",
    "opentelemetry-instrumentation-fastapi": "0.66b1",
    "opentelemetry-instrumentation-flask": "0.66b1",
    "opentelemetry-instrumentation-requests": "0.66b1",
    "opentelemetry-instrumentation-httpx": "0.66b1",
    "opentelemetry-instrumentation-grpc": "0.66b1",
    "opentelemetry-instrumentation-psycopg": "0.66b1",
    "opentelemetry-instrumentation-psycopg2": "0.66b1",
    "opentelemetry-instrumentation-pymysql": "0.66b1",
    "opentelemetry-instrumentation-redis": "0.66b1",
    "opentelemetry-instrumentation-pika": "0.66b1",
    "opentelemetry-instrumentation-aio-pika": "0.66b1",
    "opentelemetry-instrumentation-botocore": "0.66b1",
    "prometheus-client": "0.26.0",
}
