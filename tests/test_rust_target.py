"""The Rust SDK output (targets/sdk/rust.py): one crate per service for every environment, with the
pinned crates, the blueprint's values only as encoded Rust/TOML literals, and the propagators it
compiles in (any other is refused by the planner, as for Go)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracegen import encoding, languages
from tracegen.blueprint.loader import load, load_text
from tracegen.plan.builder import build_plan
from tracegen.plan.refusals import PlanRefused
from tracegen.targets import sdk
from tracegen.targets.sdk import rust as rust_target
from tracegen.versions import SDK_VERSIONS_RUST

ROOT = Path(__file__).resolve().parent.parent

BLUEPRINT = """\
schema_version: 1
name: shop
services:
  ship:
    version: 1.2.3
    language: rust
    edge: true
    resource_attributes: {team.note: "a \\"quoted\\" é value"}
environments:
  prod: {platform: {local: {}}}
  staging: {platform: {local: {base_port: 25317}}}
"""


def _files(text: str = BLUEPRINT) -> dict[str, str]:
    plan = build_plan(load_text(text, "shop.yaml"))
    return {a.path: a.content for a in sdk.build(plan) if a.service == "ship"}


def test_one_crate_for_every_environment_and_an_otel_env_each():
    files = _files()
    assert {"sdk/ship/Cargo.toml", "sdk/ship/src/lib.rs", "sdk/ship/README.md",
            "prod/sdk/ship/otel.env", "staging/sdk/ship/otel.env"} <= set(files)
    cargo = files["sdk/ship/Cargo.toml"]
    for crate in ("opentelemetry", "opentelemetry_sdk", "opentelemetry-otlp"):
        assert f'{crate} = "{SDK_VERSIONS_RUST[crate]}"' in cargo
    assert 'name = "ship-tracing"' in cargo and 'name = "tracing_setup"' in cargo
    assert "OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf" in files["prod/sdk/ship/otel.env"]


def test_blueprint_values_reach_the_code_only_as_encoded_literals():
    lib = _files()["sdk/ship/src/lib.rs"]
    assert encoding.rust_string('a "quoted" é value') in lib
    assert '("team.note", "a \\"quoted\\" \\u{e9} value")' in lib
    assert "deployment.environment.name" not in lib.split("const RESOURCE_ATTRIBUTES")[1].split("];")[0]
    assert 'const DEFAULT_PROPAGATORS: &[&str] = &["tracecontext", "baggage"];' in lib


def test_only_compiled_propagators_are_accepted():
    assert set(rust_target.PROPAGATORS) == languages.get("rust").propagators
    text = BLUEPRINT.replace("    edge: true\n", "    edge: true\n    propagators: [tracecontext, b3]\n")
    with pytest.raises(PlanRefused) as refused:
        build_plan(load_text(text, "shop.yaml"))
    assert "b3" in str(refused.value)


def test_the_demo_shipping_service_gets_the_crate():
    plan = build_plan(load(ROOT / "blueprints" / "otel-demo.yaml"))
    paths = {a.path for a in sdk.build(plan) if a.service == "shipping"}
    assert {"sdk/shipping/Cargo.toml", "sdk/shipping/src/lib.rs", "demo/sdk/shipping/otel.env",
            "lab/sdk/shipping/otel.env"} <= paths


@pytest.mark.parametrize("value, literal", [
    ("plain", '"plain"'), ('q"b\\s', '"q\\"b\\\\s"'), ("line\nfeed", '"line\\nfeed"'), ("é😀", '"\\u{e9}\\u{1f600}"'),
])
def test_rust_string(value, literal):
    assert encoding.rust_string(value) == literal
