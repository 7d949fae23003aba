"""Languages (tracegen/languages): one set of facts per language, read by the planner, the schema,
the planner's refusals and the SDK target alike."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from tracegen import languages
from tracegen.blueprint.loader import load
from tracegen.plan.builder import build_plan
from tracegen.blueprint.model import Service
from tracegen.targets import sdk
from tracegen.targets.sdk import go as go_target
from tracegen.targets.sdk import node as node_target
from tracegen.targets.sdk import python as python_target

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "tracegen" / "templates"


def test_every_generated_language_has_sdk_output_and_templates():
    generated = {lang.sdk_output for lang in languages.LANGUAGES.values() if lang.generated}
    assert set(sdk.LANGUAGES) == generated
    for language in languages.LANGUAGES.values():
        if language.generated:
            assert (TEMPLATES / language.template_dir).is_dir(), language.name


def test_the_schema_takes_exactly_the_registered_languages_and_their_aliases():
    assert tuple(Service.model_json_schema()["properties"]["language"]["enum"]) == languages.ACCEPTED
    assert set(languages.ACCEPTED) >= {"dotnet", "ruby", "php", "rust", "cpp", "erlang", "elixir", "swift", "kotlin",
                                       "scala", "javascript", "typescript", "none"}


def test_an_alias_is_validated_to_its_language():
    for written, planned in (("typescript", "node"), ("javascript", "node"), ("elixir", "erlang"), ("node", "node")):
        assert Service(version="1.0.0", language=written).language == planned


def test_jvm_languages_take_the_java_agent_path():
    java = languages.get("java")
    for name in ("kotlin", "scala"):
        lang = languages.get(name)
        assert (lang.sdk_output, lang.operator_inject, lang.otlp_protocol) == ("java", "java", "http/protobuf")
        assert lang.propagators == java.propagators


def test_every_language_says_where_its_cpu_figure_comes_from():
    for lang in languages.LANGUAGES.values():
        if lang.recording_cpu_us is None:
            assert lang.kind == "proxy", lang.name
        else:
            source = lang.recording_cpu_source
            assert "bench_overhead" in source or source.startswith("estimate:"), lang.name


def test_languages_without_a_generated_bootstrap_name_what_to_install():
    for lang in languages.LANGUAGES.values():
        if not lang.generated and lang.kind == "sdk":
            assert lang.install, lang.name


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


def test_node_and_python_install_a_package_for_every_propagator_they_provide():
    for name, target in (("node", node_target), ("python", python_target)):
        provided = languages.get(name).propagators
        assert set(target.PROPAGATOR_PACKAGES) | {"tracecontext", "baggage"} == provided, name


def test_an_unprovided_propagator_is_refused_only_where_the_bootstrap_builds_them():
    refusing = {name for name, lang in languages.LANGUAGES.items() if lang.refuses_other_propagators}
    assert refusing == {"go", "rust"}
    setup = python_target.setup(_service("python", ("tracecontext", "xray")))
    assert any("propagator xray: not emitted" in note for note in setup.notes)


def _service(language: str, propagators: tuple[str, ...]):
    """A planned service of `language` from the checkout blueprint, with other propagators."""
    plan = build_plan(load(ROOT / "blueprints" / "checkout.yaml"))
    service = next(s for s in plan.environments[0].services if s.language == language)
    return dataclasses.replace(service, propagators=propagators)


def test_kotlin_and_scala_services_get_the_java_agent_output():
    text = """\
schema_version: 1
name: shop
services:
  fraud: {version: 1.0.0, language: kotlin, edge: true}
  ledger: {version: 1.0.0, language: scala}
environments:
  prod: {platform: {local: {}}}
"""
    from tracegen.blueprint.loader import load_text

    plan = build_plan(load_text(text, "shop.yaml"))
    paths = {a.path for a in sdk.build(plan)}
    for name in ("fraud", "ledger"):
        assert {f"sdk/{name}/pom.xml", f"sdk/{name}/run-with-otel.sh", f"prod/sdk/{name}/otel.env"} <= paths


def test_a_service_without_a_bootstrap_gets_a_readme_naming_what_to_install():
    from tracegen.blueprint.loader import load

    plan = build_plan(load(ROOT / "blueprints" / "otel-demo.yaml"))
    readmes = {a.service: a.content for a in sdk.build(plan) if a.path.endswith("/README.md")}
    for service in plan.environments[0].services:
        lang = languages.get(service.language)
        if lang.generated:
            continue
        text = readmes[service.name]
        if lang.kind == "proxy":
            assert "envoy.tracers.opentelemetry" in text and "OTEL_EXPORTER_OTLP_ENDPOINT" in text
        else:
            assert lang.install in text, service.name
            assert (lang.zero_code or "There is no zero-code option") in text
