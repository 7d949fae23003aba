"""tracegen.diff compares builds by meaning: each change at its path inside the document, keyed by
identity (Kubernetes objects, collector components and pipelines, named list items, SDK files)."""

from __future__ import annotations

import yaml

from tracegen.diff import Build, diff_trees, render
from tracegen.targets.artifact import Artifact


def _yaml(*docs) -> str:
    return yaml.safe_dump_all(docs, sort_keys=True)


def _only(tree, path):
    [found] = [f for f in tree.files if f.path == path]
    return found


def _changes(tree, path):
    return [(c.op, c.where, c.old, c.new) for c in _only(tree, path).changes]


def _deployment(name, image="otel:1", env=None, namespace="observability"):
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": namespace},
            "spec": {"template": {"spec": {"containers": [
                {"name": "otelcol", "image": image, "env": env or [{"name": "GOMEMLIMIT", "value": "400MiB"}]},
                {"name": "sidecar", "image": "busybox"}]}}}}


def test_kubernetes_objects_are_keyed_by_api_version_kind_namespace_name():
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "otel-gateway", "namespace": "obs"}}
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "obs"}}
    old = {"k.yaml": _yaml(namespace, _deployment("gw"), service)}
    # the same objects in another order, one changed, one removed, one added
    new = {"k.yaml": _yaml(_deployment("gw", image="otel:2"), namespace, _deployment("agent"))}
    tree = diff_trees(Build.from_mapping(old, {"k.yaml": "kubernetes-manifest"}),
                      Build.from_mapping(new, {"k.yaml": "kubernetes-manifest"}))
    changes = _changes(tree, "k.yaml")
    assert [(op, where) for op, where, _, _ in changes] == [
        ("added", "apps/v1/Deployment/observability/agent"),
        ("changed", "apps/v1/Deployment/observability/gw.spec.template.spec.containers[otelcol].image"),
        ("removed", "v1/Service/obs/otel-gateway"),
    ]
    assert changes[1][2:] == ("otel:1", "otel:2")


def test_env_vars_and_containers_are_keyed_by_name_not_position():
    old = _yaml(_deployment("gw", env=[{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]))
    new = _yaml(_deployment("gw", env=[{"name": "C", "value": "3"}, {"name": "A", "value": "1"},
                                       {"name": "B", "value": "20"}]))
    tree = diff_trees({"k.yaml": old}, {"k.yaml": new})
    prefix = "apps/v1/Deployment/observability/gw.spec.template.spec.containers[otelcol].env"
    # C is new; A and B keep their relative order, so nothing is reported as reordered
    assert _changes(tree, "k.yaml") == [
        ("changed", f"{prefix}[B].value", "2", "20"),
        ("added", f"{prefix}[C]", None, {"name": "C", "value": "3"}),
    ]


COLLECTOR = {
    "receivers": {"otlp": {"protocols": {"grpc": {"endpoint": "0.0.0.0:4317"}}}},
    "processors": {"memory_limiter": {"limit_mib": 400}, "batch": {},
                   "tail_sampling": {"decision_wait": "10s", "policies": [
                       {"name": "keep-errors", "type": "status_code"},
                       {"name": "keep-slow", "type": "latency", "latency": {"threshold_ms": 500}}]}},
    "exporters": {"otlp_grpc/tempo": {"endpoint": "tempo:4317"}, "debug": {}},
    "service": {"pipelines": {"traces": {"receivers": ["otlp"], "processors": ["memory_limiter", "batch"],
                                         "exporters": ["otlp_grpc/tempo", "debug"]}}},
}


def _collector(**edits):
    data = yaml.safe_load(yaml.safe_dump(COLLECTOR))
    for dotted, value in edits.items():
        *parents, last = dotted.split("|")
        node = data
        for part in parents:
            node = node[part]
        if value is None:
            del node[last]
        else:
            node[last] = value
    return yaml.safe_dump(data)


def _collector_tree(**edits):
    kinds = {"gw.yaml": "collector-config"}
    return diff_trees(Build.from_mapping({"gw.yaml": _collector()}, kinds),
                      Build.from_mapping({"gw.yaml": _collector(**edits)}, kinds))


def test_collector_changes_are_named_by_component_id_and_pipeline():
    tree = _collector_tree(**{"exporters|otlp_grpc/tempo": {"endpoint": "tempo:4318"},
                              "service|pipelines|traces|processors": ["batch", "memory_limiter"],
                              "processors|tail_sampling|policies": [
                                  {"name": "keep-slow", "type": "latency", "latency": {"threshold_ms": 900}},
                                  {"name": "keep-errors", "type": "status_code"}]})
    assert [(op, where) for op, where, _, _ in _changes(tree, "gw.yaml")] == [
        ("changed", "exporters.otlp_grpc/tempo.endpoint"),
        ("changed", "processors.tail_sampling.policies[keep-slow].latency.threshold_ms"),
        ("reordered", "processors.tail_sampling.policies"),
        ("reordered", "service.pipelines.traces.processors"),
    ]


def test_a_collector_config_inside_a_configmap_is_compared_by_component():
    def configmap(config):
        return _yaml({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "obs"},
                      "data": {"gateway.yaml": config}})

    tree = diff_trees({"k.yaml": configmap(_collector())},
                      {"k.yaml": configmap(_collector(**{"exporters|debug": None,
                                                         "service|pipelines|traces|exporters": ["otlp_grpc/tempo"]}))})
    changes = _only(tree, "k.yaml").changes
    assert [c.where for c in changes] == [
        'v1/ConfigMap/obs/cfg.data["gateway.yaml"].exporters.debug',
        'v1/ConfigMap/obs/cfg.data["gateway.yaml"].service.pipelines.traces.exporters[debug]',
    ]
    assert [c.data_loss for c in changes] == ["exporter debug removed",
                                              "exporter debug removed from pipeline traces"]


def test_builder_modules_are_keyed_by_module_path():
    def builder(version):
        return yaml.safe_dump({"exporters": [{"gomod": f"go.opentelemetry.io/collector/exporter/otlpexporter {version}"},
                                             {"gomod": "go.opentelemetry.io/collector/exporter/debugexporter v0.1.0"}]})

    tree = diff_trees({"otelcol-builder.yaml": builder("v0.1.0")}, {"otelcol-builder.yaml": builder("v0.2.0")})
    [(op, where, old, new)] = _changes(tree, "otelcol-builder.yaml")
    assert (op, where) == ("changed", "exporters[go.opentelemetry.io/collector/exporter/otlpexporter].gomod")
    assert old.endswith("v0.1.0") and new.endswith("v0.2.0")


def _sdk(path, content, kind="sdk-code"):
    return Artifact(path, kind, content, environment="prod", service="checkout", language="node")


def test_sdk_source_code_is_a_unified_text_diff_named_by_service():
    old = [_sdk("prod/sdk/checkout/tracing.js", "const a = 1;\nconst b = 2;\nexport { a, b };\n")]
    new = [_sdk("prod/sdk/checkout/tracing.js", "const a = 1;\nconst b = 3;\nexport { a, b };\n")]
    [found] = diff_trees(old, new).files
    assert (found.kind, found.service, found.environment, found.changes) == ("sdk-code", "checkout", "prod", ())
    assert found.text == ("--- a/prod/sdk/checkout/tracing.js", "+++ b/prod/sdk/checkout/tracing.js",
                          "@@ -1,3 +1,3 @@", " const a = 1;", "-const b = 2;", "+const b = 3;", " export { a, b };")


def test_env_and_properties_files_are_compared_by_variable_name():
    old = [_sdk("prod/sdk/checkout/otel.env", "# header\nOTEL_SERVICE_NAME=checkout\nOTEL_TRACES_SAMPLER=always_on\n",
                "sdk-env"),
           _sdk("prod/sdk/checkout/agent.properties", "otel.service.name=checkout\notel.propagators=tracecontext\n")]
    new = [_sdk("prod/sdk/checkout/otel.env", "# another header\nOTEL_TRACES_SAMPLER=always_on\n"
                "OTEL_SERVICE_NAME=checkout-v2\n", "sdk-env"),
           _sdk("prod/sdk/checkout/agent.properties", "otel.propagators=tracecontext,baggage\notel.service.name=checkout\n")]
    tree = diff_trees(old, new)
    assert _changes(tree, "prod/sdk/checkout/otel.env") == [("changed", "OTEL_SERVICE_NAME", "checkout", "checkout-v2")]
    assert _changes(tree, "prod/sdk/checkout/agent.properties") == [
        ("changed", "otel.propagators", "tracecontext", "tracecontext,baggage")]


def test_comment_and_layout_changes_in_structured_files_are_no_change():
    old = {"a.yaml": "# built from x.yaml\nb: 1\na: [1, 2]\n"}
    new = {"a.yaml": "# built from y.yaml\na:\n- 1\n- 2\nb: 1\n"}
    assert not diff_trees(old, new).changed


def test_files_added_and_removed_are_counted_per_artifact_kind():
    old = [Artifact("a.yaml", "collector-config", _collector()), Artifact("README.md", "docs", "x\n"),
           Artifact("k.yaml", "kubernetes-manifest", _yaml(_deployment("gw")))]
    new = [Artifact("b.yaml", "collector-config", _collector()), Artifact("README.md", "docs", "y\n"),
           Artifact("k.yaml", "kubernetes-manifest", _yaml(_deployment("gw")))]
    tree = diff_trees(old, new)
    assert tree.summary() == {"collector-config": {"added": 1, "changed": 0, "removed": 1},
                              "docs": {"added": 0, "changed": 1, "removed": 0}}
    assert tree.totals() == {"added": 1, "changed": 1, "removed": 1}
    assert [(f.path, f.status) for f in tree.files] == [("README.md", "changed"), ("a.yaml", "removed"),
                                                        ("b.yaml", "added")]
    # a removed collector config takes its exporters with it
    assert [c.data_loss for c in _only(tree, "a.yaml").changes] == [
        "collector config removed with its exporters (debug, otlp_grpc/tempo)"]


def test_rendered_output_is_stable_whatever_the_input_order():
    old = {"z.yaml": _collector(), "a.env": "B=1\nA=1\n", "m.yaml": _yaml(_deployment("x"), _deployment("y"))}
    new = {"m.yaml": _yaml(_deployment("y", image="i:2"), _deployment("x", image="i:3")),
           "a.env": "A=2\nB=2\n", "z.yaml": _collector(**{"exporters|debug": None})}
    first = diff_trees(old, new, old_label="old", new_label="new")
    again = diff_trees(dict(reversed(list(old.items()))), dict(reversed(list(new.items()))),
                       old_label="old", new_label="new")
    for fmt in ("text", "json"):
        assert render(first, fmt) == render(again, fmt)
    text = render(first, "text")
    assert text.index("~ a.env") < text.index("~ m.yaml") < text.index("~ z.yaml")
    assert text.index("    apps/v1/Deployment/observability/x\n") < text.index("    apps/v1/Deployment/observability/y\n")
    assert text.index("  ~ A: ") < text.index("  ~ B: ")


def test_a_removed_manifest_lists_its_objects_and_flags_the_collector_config_going():
    configmap = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "obs"},
                 "data": {"gateway.yaml": _collector()}}
    old = [Artifact("k.yaml", "kubernetes-manifest", _yaml(configmap, _deployment("gw")))]
    [removed] = diff_trees(old, []).files
    assert (removed.status, removed.objects) == ("removed", True)
    assert [(c.op, c.where, c.data_loss) for c in removed.changes] == [
        ("removed", "apps/v1/Deployment/observability/gw", None),
        ("removed", "v1/ConfigMap/obs/cfg", "collector config removed with its exporters (debug, otlp_grpc/tempo)"),
    ]
    text = render(diff_trees(old, []), "text")
    assert "\n  ! - v1/ConfigMap/obs/cfg\n" in text and "\n    - apps/v1/Deployment/observability/gw\n" in text
