"""`tracegen diff` marks every change that can lose data (or let personal data through), and only those."""

from __future__ import annotations

import pytest
import yaml

from tracegen.diff import Build, diff_trees

BASE = {
    "receivers": {"otlp": {}, "probe": {}},
    "processors": {
        "memory_limiter": {"limit_mib": 400},
        "attributes/pii": {"actions": [{"key": "user.email", "action": "delete"},
                                       {"key": "user.id", "action": "hash"}]},
        "redaction": {"blocked_values": ["4[0-9]{12}"], "allow_all_keys": True},
        "transform/sql": {"trace_statements": ["set(attributes[\"db.statement\"], \"x\")"]},
        "probabilistic_sampler": {"sampling_percentage": 50},
        "tail_sampling": {"decision_wait": "10s", "policies": [
            {"name": "keep-errors", "type": "status_code"},
            {"name": "healthy", "type": "probabilistic", "probabilistic": {"sampling_percentage": 10}}]},
    },
    "exporters": {
        "otlp_grpc/tempo": {"endpoint": "tempo:4317", "retry_on_failure": {"enabled": True},
                            "sending_queue": {"enabled": True, "storage": "file_storage/queue"}},
        "otlp_grpc/jaeger": {"endpoint": "jaeger:4317"},
    },
    "extensions": {"file_storage/queue": {"directory": "/var/lib/otelcol/queue"}},
    "service": {"extensions": ["file_storage/queue"], "pipelines": {
        "traces": {"receivers": ["otlp"], "processors": ["memory_limiter", "attributes/pii", "redaction"],
                   "exporters": ["otlp_grpc/tempo", "otlp_grpc/jaeger"]},
        "traces/probe": {"receivers": ["probe"], "processors": [], "exporters": ["otlp_grpc/tempo"]}}},
}


def _edit(path: str, value):
    data = yaml.safe_load(yaml.safe_dump(BASE))
    *parents, last = path.split("|")
    node = data
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if value is _DELETE:
        del node[int(last) if isinstance(node, list) else last]
    else:
        node[int(last) if isinstance(node, list) else last] = value
    return data


_DELETE = object()


def _losses(new: dict) -> list[tuple[str, str]]:
    kinds = {"gw.yaml": "collector-config"}
    tree = diff_trees(Build.from_mapping({"gw.yaml": yaml.safe_dump(BASE)}, kinds),
                      Build.from_mapping({"gw.yaml": yaml.safe_dump(new)}, kinds))
    return [(c.where, c.data_loss) for _, c in tree.data_loss()]


@pytest.mark.parametrize("path, value, expected", [
    ("exporters|otlp_grpc/jaeger", _DELETE, [("exporters.otlp_grpc/jaeger", "exporter otlp_grpc/jaeger removed")]),
    ("service|pipelines|traces|exporters", ["otlp_grpc/tempo"], [
        ("service.pipelines.traces.exporters[otlp_grpc/jaeger]",
         "exporter otlp_grpc/jaeger removed from pipeline traces")]),
    ("receivers|probe", _DELETE, [("receivers.probe", "receiver probe removed: what is sent to it is refused")]),
    ("service|pipelines|traces/probe|receivers", [], [
        ("service.pipelines.traces/probe.receivers[probe]",
         "receiver probe removed from pipeline traces/probe: what it receives no longer flows there")]),
    ("service|pipelines|traces/probe", _DELETE, [("service.pipelines.traces/probe", "pipeline traces/probe removed")]),
    ("processors|probabilistic_sampler|sampling_percentage", 25, [
        ("processors.probabilistic_sampler.sampling_percentage", "sampling tightened: sampling_percentage lowered "
                                                                 "from 50 to 25")]),
    ("processors|tail_sampling|policies|1|probabilistic|sampling_percentage", 5, [
        ("processors.tail_sampling.policies[healthy].probabilistic.sampling_percentage",
         "sampling tightened: sampling_percentage lowered from 10 to 5")]),
    ("processors|tail_sampling|policies|0", _DELETE, [
        ("processors.tail_sampling.policies[keep-errors]", "tail-sampling policy keep-errors removed")]),
    ("processors|tail_sampling|decision_wait", "1500ms", [
        ("processors.tail_sampling.decision_wait",
         "decision_wait shortened from 10s to 1500ms: spans arriving later miss the decision")]),
    ("processors|attributes/pii|actions|0", _DELETE, [
        ("processors.attributes/pii.actions[user.email]", "PII/attribute rule removed from attributes/pii "
                                                          "(actions.user.email)")]),
    ("processors|redaction|blocked_values", [], [
        ("processors.redaction.blocked_values[4[0-9]{12}]", "PII/attribute rule removed from redaction "
                                                            "(blocked_values.4[0-9]{12})")]),
    ("processors|transform/sql", _DELETE, [
        ("processors.transform/sql", "PII/attribute rule processor transform/sql removed")]),
    ("service|pipelines|traces|processors", ["memory_limiter", "redaction"], [
        ("service.pipelines.traces.processors[attributes/pii]",
         "PII/attribute rule attributes/pii removed from pipeline traces")]),
    ("exporters|otlp_grpc/tempo|sending_queue|storage", _DELETE, [
        ("exporters.otlp_grpc/tempo.sending_queue.storage",
         "exporter otlp_grpc/tempo's persistent queue removed: queued data does not survive a restart")]),
    ("exporters|otlp_grpc/tempo|sending_queue|enabled", False, [
        ("exporters.otlp_grpc/tempo.sending_queue.enabled",
         "exporter otlp_grpc/tempo's sending_queue turned off: a backend outage drops data")]),
    ("extensions|file_storage/queue", _DELETE, [
        ("extensions.file_storage/queue", "persistent queue storage file_storage/queue removed: data still queued "
                                          "in it is not sent")]),
])
def test_changes_that_can_lose_data_are_flagged(path, value, expected):
    assert _losses(_edit(path, value)) == expected


@pytest.mark.parametrize("path, value", [
    ("processors|probabilistic_sampler|sampling_percentage", 75),          # loosened
    ("processors|tail_sampling|decision_wait", "30s"),                      # longer wait
    ("processors|tail_sampling|policies", BASE["processors"]["tail_sampling"]["policies"] + [
        {"name": "keep-vip", "type": "string_attribute"}]),                 # a policy added
    ("exporters|otlp_grpc/tempo|endpoint", "tempo-2:4317"),
    ("processors|memory_limiter|limit_mib", 800),
    ("processors|attributes/pii|actions", BASE["processors"]["attributes/pii"]["actions"] + [
        {"key": "user.phone", "action": "delete"}]),                        # a PII rule added
])
def test_changes_that_lose_nothing_are_not_flagged(path, value):
    assert _losses(_edit(path, value)) == []


def test_head_sampling_lowered_in_sdk_files_is_flagged():
    kinds = {"otel.env": "sdk-env", "agent.properties": "sdk-code", "otel-config.yaml": "sdk-code"}

    def files(arg, sampler, ratio):
        return {"otel.env": f"OTEL_TRACES_SAMPLER={sampler}\nOTEL_TRACES_SAMPLER_ARG={arg}\n",
                "agent.properties": f"otel.traces.sampler.arg={arg}\n",
                "otel-config.yaml": yaml.safe_dump({"tracer_provider": {"sampler": {"parent_based": {"root": {
                    "trace_id_ratio_based": {"ratio": ratio}}}}}})}

    tree = diff_trees(Build.from_mapping(files("1", "parentbased_always_on", 1.0), kinds),
                      Build.from_mapping(files("0.25", "parentbased_traceidratio", 0.25), kinds))
    assert [(f.path, c.where, c.data_loss) for f, c in tree.data_loss()] == [
        ("agent.properties", "otel.traces.sampler.arg", "sampling tightened: otel.traces.sampler.arg lowered from 1 "
                                                        "to 0.25"),
        ("otel-config.yaml", "tracer_provider.sampler.parent_based.root.trace_id_ratio_based.ratio",
         "sampling tightened: ratio lowered from 1.0 to 0.25"),
        ("otel.env", "OTEL_TRACES_SAMPLER", "sampling tightened: sampler changed from parentbased_always_on to "
                                            "parentbased_traceidratio"),
        ("otel.env", "OTEL_TRACES_SAMPLER_ARG", "sampling tightened: OTEL_TRACES_SAMPLER_ARG lowered from 1 to 0.25"),
    ]


def test_mesh_sampling_lowered_is_flagged():
    def telemetry(percentage):
        return yaml.safe_dump({"apiVersion": "telemetry.istio.io/v1", "kind": "Telemetry",
                               "metadata": {"name": "mesh-default", "namespace": "istio-system"},
                               "spec": {"tracing": [{"providers": [{"name": "otel"}],
                                                     "randomSamplingPercentage": percentage}]}})

    tree = diff_trees({"telemetry.yaml": telemetry(100.0)}, {"telemetry.yaml": telemetry(10.0)})
    assert [c.data_loss for _, c in tree.data_loss()] == [
        "sampling tightened: randomSamplingPercentage lowered from 100.0 to 10.0"]


def test_remote_sampling_strategy_lowered_is_flagged_by_service():
    import json

    def strategies(checkout, default):
        return json.dumps({"default_strategy": {"type": "probabilistic", "param": default},
                           "service_strategies": [{"service": "cart", "type": "probabilistic", "param": 0.5},
                                                  {"service": "checkout", "type": "probabilistic", "param": checkout}]})

    kinds = {"active.json": "sampling-strategies"}
    tree = diff_trees(Build.from_mapping({"active.json": strategies(1.0, 0.1)}, kinds),
                      Build.from_mapping({"active.json": strategies(0.2, 0.5)}, kinds))
    assert [(c.where, c.data_loss) for _, c in tree.data_loss()] == [
        ("service_strategies[checkout].param", "sampling tightened: param lowered from 1.0 to 0.2")]
    assert [c.where for f in tree.files for c in f.changes] == ["default_strategy.param",
                                                                "service_strategies[checkout].param"]
