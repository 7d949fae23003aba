"""Backend types (tracegen/backends): what each one makes the gateway send, read from the collector
config the planner computes."""

from __future__ import annotations

import pytest

from tracegen import backends
from tracegen.blueprint.loader import load_text
from tracegen.errors import BlueprintError
from tracegen.plan.builder import build_plan

BLUEPRINT = """\
schema_version: 1
name: backends
services:
  hello: {{version: 1.0.0, language: python, edge: true, peak_rps: 5, inbound: [http],
          owner: {{team: platform, oncall: "pagerduty:platform"}}}}
backends:
  sink:
{backend}
environments:
  dev:
    platform:
      local: {{base_port: 24300}}
"""


def exporter(backend: str) -> tuple[str, dict]:
    """(component name, config) of the exporter the lone local agent sends to `sink` with."""
    text = BLUEPRINT.format(backend="\n".join("    " + line for line in backend.strip().splitlines()))
    env = build_plan(load_text(text, "backends.yaml")).environments[0]
    agent = env.collectors.agent("local")
    return next((name, body) for name, body in agent.data["exporters"].items() if name.endswith("/sink"))


def test_honeycomb_sends_its_key_and_dataset_as_headers():
    name, body = exporter("""
type: honeycomb
endpoint: api.honeycomb.io:443
api_key: ${env:HONEYCOMB_API_KEY}
dataset: checkout
""")
    assert name == "otlp_grpc/sink"
    assert body["headers"] == {"x-honeycomb-team": "${env:HONEYCOMB_API_KEY}", "x-honeycomb-dataset": "checkout"}


def test_datadog_is_otlp_http_whatever_the_blueprint_says():
    name, body = exporter("""
type: datadog
endpoint: https://otlp.datadoghq.eu/v1/traces
protocol: grpc
api_key: ${env:DD_API_KEY}
""")
    assert name == "otlp_http/sink"
    assert body["traces_endpoint"] == "https://otlp.datadoghq.eu/v1/traces"
    assert body["headers"] == {"dd-protocol": "otlp", "dd-api-key": "${env:DD_API_KEY}"}


def test_generic_otlp_sends_the_key_as_a_bearer_token():
    _, body = exporter("""
type: otlp
endpoint: otlp.example.net:4317
api_key: ${env:OTLP_TOKEN}
""")
    assert body["headers"] == {"authorization": "Bearer ${env:OTLP_TOKEN}"}


def test_tempo_tenant_and_jaeger_without_headers():
    _, tempo = exporter("""
type: tempo
endpoint: tempo.example.net:4317
dataset: team-a
""")
    assert tempo["headers"] == {"X-Scope-OrgID": "team-a"}
    _, jaeger = exporter("""
type: jaeger
endpoint: jaeger.example.net:4317
""")
    assert "headers" not in jaeger


def test_unstated_retention_is_the_types_default():
    text = BLUEPRINT.format(backend="    type: honeycomb\n    endpoint: api.honeycomb.io:443\n"
                                    "    api_key: ${env:HONEYCOMB_API_KEY}")
    exporter_plan = build_plan(load_text(text, "backends.yaml")).environments[0].exporters[0]
    assert exporter_plan.retention_hot_days == backends.get("honeycomb").retention.hot_days == 60


def test_the_blueprint_takes_exactly_the_registered_types():
    with pytest.raises(BlueprintError, match="type"):
        exporter("""
type: zipkin
endpoint: zipkin.example.net:9411
""")
    for name in backends.NAMES:
        assert backends.get(name).name == name


def test_honeycomb_intake_refuses_plain_text():
    kind = backends.get("honeycomb")
    assert kind.intake_problem("api.honeycomb.io:443", "grpc", True)
    assert kind.intake_problem("api.honeycomb.io:443", "grpc", False) is None
    assert kind.intake_problem("127.0.0.1:4317", "grpc", True) is None   # a local stand-in


def test_datadogs_documented_intake_url_goes_into_traces_endpoint_verbatim():
    # The otlp_http exporter appends /v1/traces to `endpoint`: Datadog's whole URL must not go there.
    name, body = exporter("""
type: datadog
endpoint: https://trace.agent.datadoghq.com/api/v0.2/traces
api_key: ${env:DD_API_KEY}
headers: {dd-otlp-source: acme}
""")
    assert name == "otlp_http/sink"
    assert body["traces_endpoint"] == "https://trace.agent.datadoghq.com/api/v0.2/traces"
    assert "endpoint" not in body
    # Datadog's documented intake headers: dd-protocol, dd-api-key (a reference), dd-otlp-source.
    assert body["headers"] == {"dd-protocol": "otlp", "dd-api-key": "${env:DD_API_KEY}", "dd-otlp-source": "acme"}


def test_a_base_url_goes_into_endpoint_and_a_traces_url_into_traces_endpoint():
    cases = {
        ("datadog", "http://datadog-agent.internal:4318"): {"endpoint": "http://datadog-agent.internal:4318"},
        ("honeycomb", "https://api.honeycomb.io"): {"endpoint": "https://api.honeycomb.io"},
        ("honeycomb", "api.honeycomb.io/v1/traces"): {"traces_endpoint": "https://api.honeycomb.io/v1/traces"},
        ("otlp", "https://otlp-gateway.grafana.net/otlp"): {"endpoint": "https://otlp-gateway.grafana.net/otlp"},
        ("tempo", "https://tempo.example.net/v1/traces/"): {"traces_endpoint": "https://tempo.example.net/v1/traces/"},
        ("jaeger", "jaeger.example.net:4318"): {"endpoint": "https://jaeger.example.net:4318"},
    }
    for (kind, endpoint), fields in cases.items():
        assert backends.get(kind).http_fields(endpoint, insecure=False) == fields, (kind, endpoint)
    assert backends.get("jaeger").http_fields("127.0.0.1:4318", insecure=True) == {"endpoint": "http://127.0.0.1:4318"}


def test_endpoints_the_exporter_would_mangle_are_problems():
    def problem(kind: str, endpoint: str, protocol: str = "http", headers: dict | None = None) -> str | None:
        return backends.get(kind).intake_problem(endpoint, protocol, False, headers or {})

    assert "appended" in problem("datadog", "https://trace.agent.datadoghq.eu")
    assert "dd-otlp-source" in problem("datadog", "https://trace.agent.datadoghq.eu/api/v0.2/traces")
    assert problem("datadog", "https://trace.agent.datadoghq.eu/api/v0.2/traces", headers={"DD-OTLP-Source": "x"}) is None
    assert problem("datadog", "http://datadog-agent:4318") is None            # an Agent's OTLP port
    assert "gRPC address" in problem("tempo", "tempo.example.net:4317/v1/traces", "grpc")
    assert "gRPC address" in problem("jaeger", "https://jaeger.example.net:4317/api", "grpc")
    assert problem("jaeger", "https://jaeger.example.net:4317", "grpc") is None
    assert "/v1/v1/traces" in problem("otlp", "https://x.example.net/otlp/v1")
    assert "/api/traces/v1/traces" in problem("jaeger", "https://jaeger.example.net/api/traces")
    assert "query" in problem("otlp", "https://x.example.net?tenant=a")
    assert "another path" in problem("honeycomb", "https://api.honeycomb.io/otlp")
    assert problem("otlp", "https://x.example.net/v1/traces") is None
    # Datadog is HTTP whatever the blueprint says: its URL is judged as HTTP.
    assert problem("datadog", "https://trace.agent.datadoghq.eu/api/v0.2/traces", "grpc", {"dd-otlp-source": "x"}) is None


def test_check_and_build_refuse_a_mangled_endpoint_at_its_position():
    from tracegen.plan.builder import refusals
    from tracegen.plan.refusals import PlanRefused

    text = BLUEPRINT.format(backend="    type: datadog\n    endpoint: https://trace.agent.datadoghq.com\n"
                                    "    api_key: ${env:DD_API_KEY}")
    loaded = load_text(text, "backends.yaml")
    (refusal,) = refusals(loaded, "TG509")
    assert refusal.path == ("backends", "sink", "endpoint") and refusal.environment == "dev"
    with pytest.raises(PlanRefused, match="api/v0.2/traces"):
        build_plan(loaded)


def test_intake_messages_never_show_a_query_or_userinfo():
    from tracegen.backends import BACKENDS

    problem = BACKENDS["otlp"].intake_problem("https://otlp.example.net/v1/traces?x=tok3n-s3cret", "http", False)
    assert problem and "tok3n-s3cret" not in problem and "https://otlp.example.net/v1/traces?…" in problem
