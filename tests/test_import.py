"""`tracegen import`: drafts from the playbook's config and a real-world gateway pass `tracegen check`,
build into collectors that keep what the originals did (only deliberate fixes differ), and values
from a hostile config stay data."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tracegen.blueprint.source import parse_yaml
from tracegen.importer import emit
from tracegen.importer.draft import build
from tracegen.lint.config import KIND, type_of
from tracegen.lint.rules._common import rename
from tracegen.versions import COLLECTOR_VERSION

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "lint"
PLAYBOOK = FIXTURES / "playbook-configmap.yaml"
REAL_WORLD = FIXTURES / "real-world-gateway.yaml"


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tracegen", *args], cwd=cwd, capture_output=True, text=True,
                          env=os.environ.copy(), timeout=300)


def imported(tmp_path: Path, *sources: Path) -> Path:
    out = tmp_path / "blueprint.yaml"
    result = run("import", *map(str, sources), "-o", str(out))
    assert result.returncode == 0, result.stderr
    return out


def components(config: dict) -> set[tuple[str, str]]:
    """(section, type at the pinned collector version) of every component a pipeline uses."""
    used = {item for p in (config.get("service") or {}).get("pipelines", {}).values()
            for role in ("receivers", "processors", "exporters") for item in p.get(role) or []}
    found = set()
    for section in KIND:
        for component_id in config.get(section) or {}:
            if component_id in used or section == "extensions":
                change = rename(section, type_of(component_id), COLLECTOR_VERSION)
                found.add((section, change.new if change else type_of(component_id)))
    return found


def built_components(tmp_path: Path, blueprint: Path) -> set[tuple[str, str]]:
    out = tmp_path / "out"
    result = run("build", str(blueprint), "-o", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    configs = [yaml.safe_load(p.read_text()) for p in (out / "prod" / "collector").glob("*.yaml")
               if p.name != "otelcol-builder.yaml"]
    return set().union(*(components(c) for c in configs))


def original(path: Path) -> dict:
    data = list(yaml.safe_load_all(path.read_text()))[0]
    return yaml.safe_load(data["data"]["otelcol.yaml"]) if data.get("kind") == "ConfigMap" else data


# What tracegen adds to every estate on purpose (two tiers, protection, health, its own exporter batching).
TRACEGEN_ADDS = {("processors", "memory_limiter"), ("processors", "k8s_attributes"), ("processors", "resource"),
                 ("processors", "redaction"), ("processors", "transform"), ("processors", "attributes"),
                 ("exporters", "load_balancing"), ("extensions", "health_check"), ("extensions", "file_storage"),
                 ("receivers", "otlp"), ("exporters", "otlp_grpc"), ("connectors", "forward")}


def test_playbook_round_trip_differs_only_by_deliberate_fixes(tmp_path):
    blueprint = imported(tmp_path, PLAYBOOK)
    assert run("check", str(blueprint)).returncode == 0
    before, after = components(original(PLAYBOOK)), built_components(tmp_path, blueprint)
    # Deliberate: the removed jaeger exporter becomes OTLP to Jaeger; the batch processor moves into the
    # exporters' queues (0.160 batches there); the unused, removed logging exporter is gone.
    assert before - after == {("exporters", "jaeger"), ("processors", "batch")}
    assert ("exporters", "otlp_grpc") in after and ("processors", "tail_sampling") in after
    assert after - before <= TRACEGEN_ADDS
    text = blueprint.read_text()
    assert "api_key: ${env:HONEYCOMB_KEY}" in text                       # the reference, normalised
    assert "- name: keep-errors" in text and "decision_wait: 5s" in text
    assert "# tracegen import: was the removed jaeger exporter" in text


def test_real_world_gateway_round_trip(tmp_path):
    blueprint = imported(tmp_path, REAL_WORLD)
    assert run("check", str(blueprint)).returncode == 0
    before, after = components(original(REAL_WORLD)), built_components(tmp_path, blueprint)
    # Deliberate: tracegen feeds span metrics and the sampled pipeline from the one OTLP receiver (two
    # pipelines), so the original's forward connector has nothing to do (and forwardconnector 0.160.0 is
    # not served by the module proxy). The span metrics' prometheus exporter is tracegen's own too.
    assert before - after == {("connectors", "forward")}, before - after
    assert after - before <= TRACEGEN_ADDS | {("exporters", "prometheus")}
    data = yaml.safe_load(blueprint.read_text())
    assert data["backends"]["vendor"]["headers"] == {"x-api-key": "${env:VENDOR_API_KEY}"}
    assert [p["name"] for p in data["sampling"]["tail"]["policies"]] == ["errors", "slow", "vip-customers",
                                                                          "baseline"]
    assert {"key": "enduser.id", "action": "hash"} in data["standards"]["pii"]
    assert data["topology"]["derived_metrics"] == {"span_metrics": True}


def test_inline_secrets_become_references_and_never_reach_the_draft(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("""exporters:
  otlp/hc:
    endpoint: api.honeycomb.io:443
    headers: {x-honeycomb-team: hcaik_01hxSECRETVALUE, authorization: Bearer topsecret123}
service: {pipelines: {traces: {receivers: [otlp], exporters: [otlp/hc]}}}
receivers: {otlp: {protocols: {grpc: {}}}}
""")
    text = imported(tmp_path, config).read_text()
    assert "SECRETVALUE" not in text and "topsecret123" not in text
    data = yaml.safe_load(text)
    assert data["backends"]["hc"]["api_key"] == "${env:HC_API_KEY}"
    assert data["backends"]["hc"]["headers"]["authorization"] == "${env:HC_AUTHORIZATION}"
    assert "rotate the exposed key" in text


def test_services_from_deployments_otel_env(tmp_path):
    manifest = tmp_path / "apps.yaml"
    manifest.write_text(yaml.safe_dump_all([
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "pay"},
         "spec": {"template": {"spec": {"containers": [{"name": "app", "image": "reg/pay:2.8.0", "env": [
             {"name": "OTEL_SERVICE_NAME", "value": "payments"},
             {"name": "JAVA_TOOL_OPTIONS", "value": "-javaagent:/otel/opentelemetry-javaagent.jar"}]}]}}}},
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
         "spec": {"template": {"spec": {"containers": [{"name": "app", "image": "reg/web", "env": [
             {"name": "OTEL_SERVICE_NAME", "value": "Web Front"}]}]}}}},
    ]))
    data = yaml.safe_load(imported(tmp_path, REAL_WORLD, manifest).read_text())
    assert data["services"] == {"payments": {"version": "2.8.0", "language": "java"},
                                "web-front": {"version": "0.0.0", "language": "none"}}


HOSTILE = """receivers: {otlp: {protocols: {grpc: {}}}}
processors:
  "tail_sampling":
    policies:
      - {name: errors, type: status_code, status_code: {status_codes: [ERROR]}}
      - name: "x\\n  injected: true\\n# "
        type: latency
        latency: {threshold_ms: 100}
      - name: ok
        type: string_attribute
        string_attribute: {key: "a\\nb: c", values: [v]}
  "attributes/evil\\n#x":
    actions:
      - {key: "user.email\\nservices: {}", action: delete}
exporters:
  "otlp/evil\\nname: pwned":
    endpoint: "evil.example:4317\\nbackends: {}"
  otlp/ok:
    endpoint: collector.example:4317
    headers: {x-team: "b: c # d --- &a *a !!python/object:os.system", x-note: "${env:PWNED}"}
  otlp/ok2:
    endpoint: collector.example:4317
    headers: {x-team: "a\\n---\\nb: c"}
service:
  pipelines:
    traces:
      receivers: [otlp]
      processors: [tail_sampling, "attributes/evil\\n#x"]
      exporters: ["otlp/evil\\nname: pwned", otlp/ok, otlp/ok2]
"""


def test_hostile_values_stay_data(tmp_path):
    config = tmp_path / "hostile.yaml"
    config.write_text(HOSTILE)
    out = imported(tmp_path, config)
    text = out.read_text()
    data, _ = parse_yaml(text, str(out))         # one document, parses
    assert data["name"] == "blueprint" and "injected" not in data and data.get("services") != {}
    assert set(data) <= {"schema_version", "name", "backends", "standards", "sampling", "services",
                         "environments", "topology"}
    assert data["backends"]["ok"]["headers"] == {"x-team": "b: c # d --- &a *a !!python/object:os.system"}
    assert "headers" not in data["backends"]["ok2"] and "backends.ok2.headers was dropped" in text
    assert "x-note" not in data["backends"]["ok"]["headers"]       # an env reference in a plain header
    comments = [line.lstrip() for line in text.splitlines() if line.lstrip().startswith("#")]
    assert all(c.startswith(("# tracegen import: ", "# yaml-language-server:", "# A draft", "# Review"))
               for c in comments)
    assert [p["name"] for p in data["sampling"]["tail"]["policies"]] == ["errors", "x-injected-true"]
    assert run("check", str(out)).returncode == 0


def test_comments_are_one_line_each_and_above_their_key():
    from tracegen.importer import Draft

    draft = Draft({"schema_version": 1, "name": "n", "backends": {"b": {"type": "otlp", "endpoint": "h:1"}}})
    draft.note("line one\nname: injected", ("backends", "b"))
    text = emit.render(draft, ["in\nput.yaml"])
    lines = text.splitlines()
    index = lines.index("  b:")
    assert lines[index - 1].startswith("  # tracegen import: line one") and "injected" in lines[index - 1]
    data, _ = parse_yaml(text, "x")
    assert data == {"schema_version": 1, "name": "n", "backends": {"b": {"type": "otlp", "endpoint": "h:1"}}}


def test_refuses_to_overwrite_and_bad_input_is_exit_2(tmp_path):
    out = tmp_path / "b.yaml"
    out.write_text("keep")
    assert run("import", str(REAL_WORLD), "-o", str(out)).returncode == 2 and out.read_text() == "keep"
    bad = tmp_path / "bad.yaml"
    bad.write_text("exporters: [\n")
    result = run("import", str(bad), "-o", str(tmp_path / "x.yaml"))
    assert result.returncode == 2 and "bad.yaml:2:1" in result.stderr and not (tmp_path / "x.yaml").exists()


def test_build_api_notes_what_it_could_not_map():
    draft = build([str(PLAYBOOK)], "playbook", "prod")
    texts = [text for _, text in draft.notes]
    assert any("exporter logging" in t for t in texts) and any("processor batch" in t for t in texts)


def test_topology_from_the_workload_that_mounts_the_config(tmp_path):
    out = imported(tmp_path, FIXTURES / "gateway-deployment.yaml")
    data = yaml.safe_load(out.read_text())
    assert data["topology"]["gateway"] == {"replicas": 3, "resources": {"cpu": "2", "memory_mib": 4096}}
    assert data["environments"]["prod"]["platform"]["kubernetes"]["namespace"] == "tracing"
    # What check still says is what the original did: plaintext to tempo, no slow-trace policy.
    result = run("check", str(out))
    errors = [line.split(" error ")[1].split()[0] for line in result.stdout.splitlines() if " error " in line]
    assert result.returncode == 1 and errors == ["TG504", "TG309"]
    assert "tracegen check` refuses it (TG504)" in out.read_text()


def test_tracegen_diff_of_original_and_built_gateway_shows_only_deliberate_changes(tmp_path):
    from tracegen.diff import Build, diff_trees

    blueprint = imported(tmp_path, REAL_WORLD)
    out = tmp_path / "out"
    assert run("build", str(blueprint), "-o", str(out)).returncode == 0
    kinds = {"gateway.yaml": "collector-config"}
    old = Build.from_mapping({"gateway.yaml": REAL_WORLD.read_text()}, kinds=kinds, label="original")
    new = Build.from_mapping({"gateway.yaml": (out / "prod" / "collector" / "gateway.yaml").read_text()},
                             kinds=kinds, label="imported")
    components = {(c.op, c.where) for c in diff_trees(old, new).files[0].changes
                  if len(c.path) == 2 and c.path[0] in ("receivers", "processors", "exporters", "connectors",
                                                         "extensions")}
    assert components == {
        # renamed at 0.160.0 (TL103)
        ("removed", "connectors.spanmetrics"), ("added", "connectors.span_metrics"),
        ("removed", "exporters.otlp/tempo"), ("added", "exporters.otlp_grpc/tempo"),
        ("removed", "exporters.otlphttp/vendor"), ("added", "exporters.otlp_http/vendor"),
        # one pipeline pair from the OTLP receiver instead of a forward connector
        ("removed", "connectors.forward/sampling"),
        # each exporter gets its own persistent queue (an outage of one never stalls the other)
        ("removed", "extensions.file_storage/queue"), ("added", "extensions.file_storage/queue-tempo"),
        ("added", "extensions.file_storage/queue-vendor"),
        # PII is removed at the agents, before spans leave the node
        ("removed", "processors.attributes/pii"), ("removed", "processors.redaction/cards"),
    }


DEMO = [FIXTURES / "otel-demo" / "otelcol-config.yml", FIXTURES / "otel-demo" / "otelcol-config-observability.yml"]


def test_the_opentelemetry_demos_layered_configs_import(tmp_path):
    """The demo's real collector config, in its two layers (the second adds the Jaeger exporter and
    repeats the pipelines' exporters): Jaeger becomes the backend, span metrics stay, the OTTL PII
    statements become standards.pii, and every metrics/logs receiver is commented, not dropped silently."""
    blueprint = imported(tmp_path, *DEMO)
    data = yaml.safe_load(blueprint.read_text())
    text = blueprint.read_text()
    assert data["backends"] == {"jaeger": {"type": "jaeger", "endpoint": "jaeger:4317", "tls": {"insecure": True}}}
    assert data["topology"]["derived_metrics"] == {"span_metrics": True}
    assert data["standards"]["pii"] == [{"key": "demo.payment.card_cvv", "action": "delete"},
                                        {"key": "user.email", "action": "hash"}]
    assert "user.email is hashed in place (tracegen keeps the key; the original wrote the hash to user.hash)" in text
    assert "transform/redact_sensitive_data statement 4 is not a PII rule" in text      # replace_pattern: a mask
    for receiver in ("docker_stats", "host_metrics", "postgresql", "redis", "nginx"):
        assert f"receiver {receiver} ({receiver})" in text
    # Jaeger over plaintext: check refuses it (TG504), as the comment on it says; once TLS is given,
    # the draft checks and builds, and the gateway deletes/hashes what the demo's transform did.
    checked = run("check", str(blueprint))
    assert checked.returncode == 1 and "TG504" in checked.stdout and checked.stdout.count(" error ") == 1
    data["backends"]["jaeger"]["tls"] = {"ca_file": "/etc/otelcol/tls/ca.crt"}
    blueprint.write_text(yaml.safe_dump(data, sort_keys=False))
    assert run("check", str(blueprint)).returncode == 0
    after = built_components(tmp_path, blueprint)
    assert {("exporters", "otlp_grpc"), ("connectors", "span_metrics")} <= after


def test_ottl_statements_map_only_their_exact_shapes():
    from tracegen.importer import Draft
    from tracegen.importer.privacy import transform

    draft = Draft()
    transform(draft, "transform/x", {"trace_statements": [
        {"context": "span", "statements": [
            'delete_key(attributes, "a.b") where attributes["a.b"] != nil',
            'delete_key(attributes, "x") where true\ndelete_key(resource.attributes, "y")',
            'delete_key(resource.attributes, "host.name")',
            'set(attributes["h"], SHA256(attributes["c.d"]))', 'delete_key(attributes, "c.d")']},
        {"context": "resource", "statements": ['delete_key(attributes, "r")']}]})
    assert draft.data["standards"]["pii"] == [{"key": "a.b", "action": "delete"}, {"key": "c.d", "action": "hash"}]
    notes = [text for _, text in draft.notes]
    assert sum("is not a PII rule" in n for n in notes) == 2     # the multi-line one and resource.attributes
