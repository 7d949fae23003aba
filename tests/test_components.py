"""The component catalog and the builder manifest it feeds: quick, no network, no Go."""

from __future__ import annotations

import pytest

from tracegen import components
from tracegen.components import UnknownComponent, UnsupportedCollectorVersion
from tracegen.toolchain import collector
from tracegen.versions import COLLECTOR_VERSION

# (canonical, collector version, name that version loads). The versions straddle each rename.
NAMES = [
    ("receiver/otlp", "0.120.0", "otlp"),
    ("receiver/otlp", "0.165.0", "otlp"),
    ("exporter/otlp_grpc", "0.140.0", "otlp"),
    ("exporter/otlp_grpc", "0.143.0", "otlp"),
    ("exporter/otlp_grpc", "0.144.0", "otlp_grpc"),
    ("exporter/otlp_grpc", "0.165.0", "otlp_grpc"),
    ("exporter/otlp_http", "0.143.0", "otlphttp"),
    ("exporter/otlp_http", "0.144.0", "otlp_http"),
    ("processor/k8s_attributes", "0.145.0", "k8sattributes"),
    ("processor/k8s_attributes", "0.146.0", "k8s_attributes"),
    ("connector/span_metrics", "0.150.0", "spanmetrics"),
    ("connector/span_metrics", "0.151.0", "span_metrics"),
    ("connector/service_graph", "0.151.0", "servicegraph"),
    ("connector/service_graph", "0.152.0", "service_graph"),
    ("exporter/load_balancing", "0.152.0", "loadbalancing"),
    ("exporter/load_balancing", "0.153.0", "load_balancing"),
    ("processor/resource_detection", "0.152.0", "resourcedetection"),
    ("processor/resource_detection", "0.153.0", "resource_detection"),
    ("exporter/prometheus_remote_write", "0.153.0", "prometheusremotewrite"),
    ("exporter/prometheus_remote_write", "0.154.0", "prometheus_remote_write"),
    ("processor/tail_sampling", "0.120.0", "tail_sampling"),
    ("extension/file_storage", "0.165.0", "file_storage"),
    ("extension/jaegerremotesampling", "0.165.0", "jaegerremotesampling"),
]


@pytest.mark.parametrize(("canonical", "version", "name"), NAMES)
def test_config_name_follows_the_collector_version(canonical, version, name):
    assert components.config_name(canonical, version) == name


def test_every_component_has_a_name_from_the_oldest_to_the_pinned_version():
    for canonical in components.all_components():
        for version in (components.MIN_SUPPORTED_COLLECTOR_VERSION, COLLECTOR_VERSION):
            assert components.config_name(canonical, version)


@pytest.mark.parametrize(("canonical", "version", "line"), [
    ("exporter/otlp_grpc", "0.165.0", "go.opentelemetry.io/collector/exporter/otlpexporter v0.165.0"),
    ("receiver/otlp", "0.140.0", "go.opentelemetry.io/collector/receiver/otlpreceiver v0.140.0"),
    ("processor/tail_sampling", "0.165.0",
     "github.com/open-telemetry/opentelemetry-collector-contrib/processor/tailsamplingprocessor v0.165.0"),
    # k8sattributesprocessor went stable (v1) at 0.161.0.
    ("processor/k8s_attributes", "0.160.0",
     "github.com/open-telemetry/opentelemetry-collector-contrib/processor/k8sattributesprocessor v0.160.0"),
    ("processor/k8s_attributes", "0.161.0",
     "github.com/open-telemetry/opentelemetry-collector-contrib/processor/k8sattributesprocessor v1.0.0"),
    ("processor/k8s_attributes", "0.165.0",
     "github.com/open-telemetry/opentelemetry-collector-contrib/processor/k8sattributesprocessor v1.4.0"),
    # file_storage is its own module; naming extension/storage would pull its newest version.
    ("extension/file_storage", "0.165.0",
     "github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage v0.165.0"),
    # Served versions standing in for ones the module proxy lacks.
    ("connector/service_graph", "0.160.0",
     "github.com/open-telemetry/opentelemetry-collector-contrib/connector/servicegraphconnector v0.158.0"),
])
def test_gomod_line(canonical, version, line):
    assert components.gomod(canonical, version) == line


def test_core_stable_modules_pair_v1_with_the_collector_release():
    assert components.core_stable_version("0.120.0") == "v1.26.0"
    assert components.core_stable_version("0.165.0") == "v1.71.0"


def test_kind():
    assert components.kind("receiver/otlp") == "receiver"
    assert components.kind("connector/span_metrics") == "connector"
    assert {components.kind(c) for c in components.all_components()} == set(components.KINDS)


def test_unknown_component_is_a_key_error_naming_the_known_ones():
    with pytest.raises(UnknownComponent) as caught:
        components.config_name("exporter/jaeger", COLLECTOR_VERSION)
    assert isinstance(caught.value, KeyError)
    assert "exporter/jaeger" in str(caught.value) and "exporter/otlp_grpc" in str(caught.value)
    with pytest.raises(UnknownComponent):
        components.gomod("exporter/logging", COLLECTOR_VERSION)


def test_old_canonical_spelling_of_the_service_graph_connector_is_accepted():
    assert components.config_name("connector/servicegraph", "0.165.0") == "service_graph"
    assert components.gomod("connector/servicegraph", "0.165.0") == components.gomod("connector/service_graph", "0.165.0")


@pytest.mark.parametrize("version", ["0.119.0", "1.2.3", "latest", "0.165"])
def test_versions_without_verified_names_are_refused(version):
    with pytest.raises(UnsupportedCollectorVersion):
        components.config_name("receiver/otlp", version)


def test_proxy_gap_tables_name_catalog_components():
    for gaps in components.PROXY_GAPS.values():
        assert set(gaps) <= set(components.CATALOG)
    for canonical, version in components.MODULE_VERSION_OVERRIDES:
        assert canonical in components.CATALOG and components.parse_version(version)


def test_builder_manifest_lists_exactly_the_components_asked_for():
    manifest = collector.builder_manifest(
        ["exporter/otlp_grpc", "receiver/otlp", "processor/tail_sampling", "connector/servicegraph",
         "connector/service_graph"], "0.165.0", name="otelcol-shop")
    assert manifest["dist"]["name"] == "otelcol-shop"
    assert manifest["receivers"] == [{"gomod": "go.opentelemetry.io/collector/receiver/otlpreceiver v0.165.0"}]
    assert manifest["exporters"] == [{"gomod": "go.opentelemetry.io/collector/exporter/otlpexporter v0.165.0"}]
    assert len(manifest["connectors"]) == 1  # two spellings, one component
    assert "extensions" not in manifest
    assert [p["gomod"].rsplit("/", 1)[1] for p in manifest["providers"]] == [
        "envprovider v1.71.0", "fileprovider v1.71.0", "yamlprovider v1.71.0"]
    again = collector.builder_manifest(["processor/tail_sampling", "receiver/otlp", "exporter/otlp_grpc",
                                        "connector/service_graph"], "0.165.0", name="otelcol-shop")
    assert again == manifest


def test_manifest_cache_key_ignores_the_output_path():
    manifest = collector.builder_manifest(["receiver/otlp", "exporter/debug"], "0.165.0")
    moved = {**manifest, "dist": {**manifest["dist"], "output_path": "/elsewhere"}}
    assert collector._cache_key(manifest, "0.165.0") == collector._cache_key(moved, "0.165.0")
    assert collector._cache_key(manifest, "0.165.0") != collector._cache_key(manifest, "0.160.0")
    assert collector._manifest_collector_version(manifest) == "0.165.0"


def test_env_references_are_found_in_every_form(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("a: ${env:API_KEY}\nb: '${TOKEN}'\nc: ${env:REGION:-eu}\nd: $${LITERAL}\ne: ${file:x}\n")
    assert collector.env_references([config]) == {"API_KEY", "TOKEN", "REGION"}


def test_check_environment_never_reads_a_referenced_secret_from_the_shell(tmp_path, monkeypatch):
    config = tmp_path / "c.yaml"
    config.write_text("headers: {k: '${env:API_KEY}', t: '${env:TEAM}'}\n")
    monkeypatch.setenv("API_KEY", "real-secret")
    env = collector._run_env([config], {"TEAM": "given"})
    assert env["API_KEY"] == collector.DUMMY_SECRET
    assert env["TEAM"] == "given"


def test_missing_go_is_a_tool_error_saying_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACEGEN_CACHE", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))  # no go here
    with pytest.raises(collector.ToolError, match=r"Go >= \d+\.\d+.*go\.dev/dl"):
        collector.ensure_builder("0.165.0")
