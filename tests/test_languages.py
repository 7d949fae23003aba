"""Languages (tracegen/languages): one set of facts per language, read by the planner, the schema,
the planner's refusals and the SDK target alike."""

from __future__ import annotations

from pathlib import Path

from tracegen import languages
from tracegen.blueprint.loader import load
from tracegen.plan.builder import build_plan
from tracegen.blueprint.model import Service
from tracegen.targets import sdk
from tracegen.targets.sdk import go as go_target

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "tracegen" / "templates"


def test_every_language_has_sdk_output_and_templates():
    assert set(sdk.LANGUAGES) == set(languages.NAMES)
    for language in languages.LANGUAGES.values():
        assert (TEMPLATES / language.template_dir).is_dir(), language.name


def test_the_schema_takes_exactly_the_registered_languages():
    assert tuple(Service.model_json_schema()["properties"]["language"]["enum"]) == languages.NAMES


def test_go_propagators_are_the_ones_its_bootstrap_builds():
    assert set(go_target.PROPAGATORS) == languages.get("go").propagators


def test_each_service_exports_with_its_sdks_default_protocol_and_port():
    """The Java agent 2.x defaults to http/protobuf on 4318, the other SDKs to gRPC on 4317."""
    plan = build_plan(load(ROOT / "blueprints" / "checkout.yaml"))
    seen = set()
    for env in plan.environments:
        for service in env.services:
            variables = dict(service.otel_env)
            protocol = variables["OTEL_EXPORTER_OTLP_PROTOCOL"]
            assert protocol == languages.get(service.language).otlp_protocol
            assert variables["OTEL_EXPORTER_OTLP_ENDPOINT"].endswith(":4318" if protocol == "http/protobuf" else ":4317")
            seen.add(service.language)
    assert {"java", "go"} <= seen
