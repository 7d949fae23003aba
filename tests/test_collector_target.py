"""The collector target, as the people who run the collectors would notice it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tracegen import components
from tracegen.blueprint.loader import load_text
from tracegen.errors import TracegenError
from tracegen.plan.builder import build_plan
from tracegen.targets import collector, distribution

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "blueprint.yaml").is_file())
SECTIONS = ("receivers", "processors", "exporters", "connectors", "extensions")


def blueprint_text(case: str) -> str:
    return (GOLDEN / case / "blueprint.yaml").read_text(encoding="utf-8")


def plan_of(text: str, name: str = "bp.yaml"):
    return build_plan(load_text(text, name))


def configs(plan, overlays: bool = False) -> dict[str, dict]:
    """Collector configs by path, parsed; mode overlays only when asked."""
    return {a.path: yaml.safe_load(a.content) for a in collector.build(plan)
            if a.kind == "collector-config" and (overlays or "/modes/" not in a.path)}


def all_plans():
    return [(case, plan_of(blueprint_text(case))) for case in CASES]


def component_type(name: str) -> str:
    return name.split("/", 1)[0]


@pytest.fixture(scope="module")
def plans():
    return all_plans()


def test_memory_limiter_comes_first_in_every_pipeline(plans):
    for case, plan in plans:
        for path, config in configs(plan).items():
            for name, pipeline in config["service"]["pipelines"].items():
                assert pipeline["processors"][0] == "memory_limiter", f"{case} {path} {name}"


def test_every_pipeline_references_defined_components_and_nothing_is_left_over(plans):
    for case, plan in plans:
        for path, config in configs(plan).items():
            pipelines = config["service"]["pipelines"]
            used = {section: set() for section in SECTIONS}
            for pipeline in pipelines.values():
                for role in ("receivers", "processors", "exporters"):
                    for name in pipeline[role]:
                        section = "connectors" if name in config.get("connectors", {}) else role
                        assert name in config.get(section, {}), f"{case} {path}: {name} undefined"
                        used[section].add(name)
            used["extensions"] = set(config["service"].get("extensions", []))
            for section in SECTIONS:
                assert set(config.get(section, {})) == used[section], f"{case} {path}: unused {section}"


def test_connector_sits_between_pipelines_as_exporter_and_receiver(plans):
    for case, plan in plans:
        for path, config in configs(plan).items():
            pipelines = config["service"]["pipelines"].values()
            for connector in config.get("connectors", {}):
                assert any(connector in p["exporters"] for p in pipelines), f"{case} {path}"
                assert any(connector in p["receivers"] for p in pipelines), f"{case} {path}"


def test_policy_names_are_unique_in_every_config_and_mode(plans):
    seen_sampler = False
    for case, plan in plans:
        for path, config in configs(plan, overlays=True).items():
            sampler = config.get("processors", {}).get("tail_sampling")
            if sampler:
                seen_sampler = True
                names = [p["name"] for p in sampler["policies"]]
                assert len(names) == len(set(names)), f"{case} {path}: {names}"
    assert seen_sampler


def test_no_removed_exporters_are_ever_emitted(plans):
    for case, plan in plans:
        for path, config in configs(plan).items():
            types = {component_type(name) for name in config.get("exporters", {})}
            assert not types & {"jaeger", "logging"}, f"{case} {path}"


def test_metrics_connectors_see_every_span_before_tail_sampling():
    plan = plan_of(blueprint_text("checkout"))
    gateway = configs(plan)["prod/collector/gateway.yaml"]
    pipelines = gateway["service"]["pipelines"]
    to_connectors = [p for p in pipelines.values() if set(p["exporters"]) & set(gateway["connectors"])]
    assert to_connectors and all("tail_sampling" not in p["processors"] for p in to_connectors)
    assert all("otlp" in p["receivers"] for p in to_connectors)
    assert gateway["connectors"]["span_metrics"]["exemplars"]["enabled"] is True


def test_agents_in_front_of_a_gateway_never_tail_sample(plans):
    """The classic mistake: tail sampling on one of several agents judges partial traces."""
    for case, plan in plans:
        cfgs = configs(plan)
        for path, config in cfgs.items():
            env = path.split("/", 1)[0]
            if "/agent-" in path and any(p.startswith(f"{env}/collector/gateway") for p in cfgs):
                assert "tail_sampling" not in config.get("processors", {}), f"{case} {path}"
                assert not config.get("connectors"), f"{case} {path}"


def test_a_lone_agent_samples_and_measures_itself():
    cfgs = configs(plan_of(blueprint_text("single-sampler")), overlays=True)
    agent = cfgs["laptop/collector/agent-local.yaml"]
    pipelines = agent["service"]["pipelines"]
    assert pipelines["traces/sampled"]["processors"][-1] == "tail_sampling"
    assert "tail_sampling" not in pipelines["traces/metrics"]["processors"]
    assert "laptop/collector/modes/everything.yaml" in cfgs


def test_names_follow_the_collector_version():
    text = blueprint_text("checkout")
    old = text.replace("topology:\n", "topology:\n  collector_version: 0.140.0\n", 1)
    new_cfg, old_cfg = configs(plan_of(text)), configs(plan_of(old))
    new_gw, old_gw = new_cfg["prod/collector/gateway.yaml"], old_cfg["prod/collector/gateway.yaml"]
    assert "otlp_grpc/jaeger" in new_gw["exporters"]
    assert "otlp/jaeger" in old_gw["exporters"] and "otlp_grpc/jaeger" not in old_gw["exporters"]
    # Whatever the mapping, every name is the one components.py gives for that version.
    for version, cfgs in (("0.165.0", new_cfg), ("0.140.0", old_cfg)):
        plan = plan_of(text if version == "0.165.0" else old)
        env = plan.environments[0]
        expected = {components.config_name(c, env.collector_version) for c in env.collectors.components}
        names = {component_type(name) for path, cfg in cfgs.items() if path.startswith(f"{env.name}/")
                 for section in SECTIONS for name in cfg.get(section, {})}
        assert names == expected, version


def test_secrets_appear_only_as_environment_references(monkeypatch):
    monkeypatch.setenv("HONEYCOMB_API_KEY", "hc-literal-secret-value")
    plan = plan_of(blueprint_text("checkout"))
    text = "".join(a.content for a in collector.build(plan) + distribution.build(plan))
    assert "hc-literal-secret-value" not in text
    assert "x-honeycomb-team: ${env:HONEYCOMB_API_KEY}" in text
    readme = next(a.content for a in collector.build(plan) if a.path == "prod/collector/README.md")
    assert "HONEYCOMB_API_KEY" in readme


def test_a_literal_key_in_the_blueprint_is_refused_not_written():
    text = blueprint_text("checkout").replace("${env:HONEYCOMB_API_KEY}", "hcaik_0123456789abcdef")
    with pytest.raises(TracegenError, match="written inline"):   # the planner refuses it (tracegen.secrets)
        collector.build(plan_of(text))


def lb(config: dict) -> dict:
    [name] = [n for n in config["exporters"] if component_type(n) in {"load_balancing", "loadbalancing"}]
    return config["exporters"][name]


def test_agents_route_by_trace_id_with_the_resolver_of_their_platform():
    checkout = configs(plan_of(blueprint_text("checkout")))["prod/collector/agent-kubernetes.yaml"]
    assert lb(checkout)["routing_key"] == "traceID"
    assert lb(checkout)["resolver"] == {"k8s": {"service": "otel-gateway-headless.observability", "ports": [4317]}}

    vm = configs(plan_of(blueprint_text("vm")))
    assert lb(vm["prod/collector/agent-vm.yaml"])["resolver"] == {
        "static": {"hostnames": ["10.20.0.11:4317", "10.20.0.12:4317"]}}
    assert lb(vm["dr/collector/agent-vm.yaml"])["resolver"] == {
        "dns": {"hostname": "otel-gateways.dr.internal", "port": "4317"}}
    assert lb(vm["prod/collector/agent-vm.yaml"])["protocol"]["otlp"]["tls"]["insecure"] is False

    local = configs(plan_of(blueprint_text("local")))
    balancer = lb(local["dev/collector/agent-local.yaml"])
    assert balancer["routing_key"] == "traceID"
    hostnames = balancer["resolver"]["static"]["hostnames"]
    assert hostnames == ["127.0.0.1:24327", "127.0.0.1:24337"]
    for index, hostname in enumerate(hostnames):
        gateway = local[f"dev/collector/gateway-{index}.yaml"]
        assert gateway["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"] == hostname


def test_local_collectors_listen_on_loopback_only_and_never_share_a_port():
    text = "".join(a.content for a in collector.build(plan_of(blueprint_text("local"))))
    assert "0.0.0.0" not in text
    ports = []
    for path, config in configs(plan_of(blueprint_text("local"))).items():
        ports += [int(p["endpoint"].rsplit(":", 1)[1]) for p in config["receivers"]["otlp"]["protocols"].values()]
        ports.append(int(config["extensions"]["health_check"]["endpoint"].rsplit(":", 1)[1]))
        ports.append(config["service"]["telemetry"]["metrics"]["readers"][0]["pull"]["exporter"]["prometheus"]["port"])
        if "prometheus" in config.get("exporters", {}):
            ports.append(int(config["exporters"]["prometheus"]["endpoint"].rsplit(":", 1)[1]))
    assert len(ports) == len(set(ports))


def test_single_tier_exports_straight_to_the_backends_without_tail_sampling():
    cfgs = configs(plan_of(blueprint_text("minimal")), overlays=True)
    assert list(cfgs) == ["prod/collector/agent-vm.yaml"]
    [config] = cfgs.values()
    assert list(config["exporters"]) == ["otlp_grpc/collector"]
    assert "storage" not in config["exporters"]["otlp_grpc/collector"]["sending_queue"]


def test_backend_exporters_survive_an_outage_and_a_restart():
    gateway = configs(plan_of(blueprint_text("checkout")))["prod/collector/gateway.yaml"]
    for name, exporter in gateway["exporters"].items():
        if component_type(name) == "prometheus":
            continue
        assert exporter["retry_on_failure"]["enabled"] is True
        assert exporter["retry_on_failure"]["max_elapsed_time"] == "900s"   # rides out a 15-minute outage
        assert exporter["retry_on_failure"]["max_interval"] == "10s"
        # A fan-out to several backends gives each exporter a storage of its own (queue-<backend>).
        storage = exporter["sending_queue"]["storage"]
        assert storage.startswith("file_storage/queue")
        assert gateway["extensions"][storage]["create_directory"] is True


def test_mode_overlay_replaces_the_policy_list_when_merged():
    files = configs(plan_of(blueprint_text("checkout")), overlays=True)
    base = files["prod/collector/gateway.yaml"]["processors"]["tail_sampling"]
    overlay = files["prod/collector/modes/incident.yaml"]["processors"]["tail_sampling"]
    assert set(overlay) == {"policies"}
    share = {p["name"]: p for p in overlay["policies"]}["healthy-share"]
    assert share["probabilistic"]["sampling_percentage"] == 100
    assert [p["name"] for p in overlay["policies"]] == [p["name"] for p in base["policies"]]


def test_a_gateway_started_in_a_mode_can_go_back_to_the_baseline():
    files = configs(plan_of(blueprint_text("vm")), overlays=True)
    start = files["prod/collector/gateway.yaml"]["processors"]["tail_sampling"]["policies"]
    assert {p["name"]: p for p in start}["share"]["probabilistic"]["sampling_percentage"] == 100
    baseline = files["prod/collector/modes/baseline.yaml"]["processors"]["tail_sampling"]["policies"]
    # The blueprint's own share carries the baseline cap: an `and` of the share and a rate limit.
    capped = {p["name"]: p for p in baseline}["share"]
    assert capped["type"] == "and"
    assert capped["and"]["and_sub_policy"][0]["probabilistic"]["sampling_percentage"] == 5


def test_attribute_policies_take_the_type_of_their_values():
    files = configs(plan_of(blueprint_text("vm")))
    policies = {p["name"]: p for p in files["prod/collector/gateway.yaml"]["processors"]["tail_sampling"]["policies"]}
    assert policies["tenant-ids"]["numeric_attribute"] == {
        "key": "tenant.id", "min_value": 7, "max_value": 9, "invert_match": False}
    assert policies["no-probes"]["string_attribute"]["invert_match"] is True
    canary = configs(plan_of(blueprint_text("checkout")), overlays=True)["prod/collector/modes/canary.yaml"]
    canary_policies = {p["name"]: p for p in canary["processors"]["tail_sampling"]["policies"]}
    assert canary_policies["keep-canary"]["boolean_attribute"]["value"] is True


def test_agent_strips_pii_before_anything_leaves_the_node():
    agent = configs(plan_of(blueprint_text("checkout")))["prod/collector/agent-kubernetes.yaml"]
    chain = agent["service"]["pipelines"]["traces"]["processors"]
    actions = {(a["key"], a["action"]) for a in agent["processors"]["attributes/pii"]["actions"]}
    assert {("user.email", "delete"), ("session.id", "delete"), ("user.phone", "hash"), ("user_id", "hash")} <= actions
    redaction = agent["processors"]["redaction/pii"]
    assert redaction["db_sanitizer"]["sql"]["enabled"] is True
    assert "db.query.text" in redaction["db_sanitizer"]["sql"]["attributes"]
    assert chain.index("k8s_attributes") < chain.index("attributes/pii")
    assert agent["processors"]["k8s_attributes"]["filter"]["node_from_env_var"] == "K8S_NODE_NAME"


def test_builder_manifest_lists_exactly_the_components_the_configs_use(plans):
    for case, plan in plans:
        manifests = {a.environment: yaml.safe_load(a.content) for a in distribution.build(plan)}
        for env in plan.environments:
            manifest = manifests[env.name]
            listed = {entry["gomod"] for section in SECTIONS if manifest.get(section)
                      for entry in manifest[section]}
            expected = {components.gomod(c, env.collector_version) for c in env.collectors.components}
            assert listed == expected, f"{case} {env.name}"


def test_same_plan_same_bytes(plans):
    for case, plan in plans:
        again = plan_of(blueprint_text(case))
        first = [(a.path, a.content) for a in collector.build(plan) + distribution.build(plan)]
        second = [(a.path, a.content) for a in collector.build(again) + distribution.build(again)]
        assert first == second, case


def test_collectors_without_the_sql_sanitiser_get_the_regex_fallback():
    text = blueprint_text("checkout").replace("topology:\n", "topology:\n  collector_version: 0.130.0\n", 1)
    agent = configs(plan_of(text))["prod/collector/agent-kubernetes.yaml"]
    assert "db_sanitizer" not in agent["processors"]["redaction/pii"]
    statements = agent["processors"]["transform/sql"]["trace_statements"][0]["statements"]
    assert any('attributes["db.query.text"]' in s and "replace_pattern" in s for s in statements)
    chain = agent["service"]["pipelines"]["traces"]["processors"]
    assert chain.index("transform/sql") > chain.index("memory_limiter")
