"""The one secret policy (tracegen.secrets) and the config encoders that keep references apart from text."""

from __future__ import annotations

import pytest

from tracegen import encoding, secrets


@pytest.mark.parametrize("value, reference", [
    ("${env:HONEYCOMB_API_KEY}", True), ("Bearer ${env:TOKEN}", True), ("ApiKey ${env:K}", True),
    ("${env:A} ${env:B}", False), ("${file:/etc/passwd}", False), ("${HOME}", False), ("x${env:A}", False),
    ("Bearer abc", False),
])
def test_what_a_reference_looks_like(value, reference):
    assert secrets.is_header_reference(value) is reference


@pytest.mark.parametrize("name, secret", [
    ("authorization", True), ("x-api-key", True), ("x-honeycomb-team", True), ("uptrace-dsn", True),
    ("lightstep-access-token", True), ("x-tenant", False), ("x-honeycomb-dataset", False), ("dd-protocol", False),
])
def test_header_names_that_carry_credentials(name, secret):
    assert secrets.secret_name(name) is secret


@pytest.mark.parametrize("key, secret", [
    ("db.password", True), ("api_key", True), ("userToken", True), ("aws.secretAccessKey", True),
    ("api.version", False), ("service.owner", False), ("k8s.cluster.name", False),
])
def test_attribute_keys_that_carry_credentials(key, secret):
    assert secrets.secret_key(key) is secret


@pytest.mark.parametrize("value, secret", [
    ("NRAK-0123456789ABCDEFGHIJ", True), ("hcaik_01hxyz", True), ("Bearer s3cr3t", True),
    ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.sig", True), ("https://token@api.uptrace.dev/1", True),
    ("AKIAABCDEFGHIJKLMNOP", True), ("Bearer ${env:TOKEN}", False), ("shop", False), ("desk-top", False),
])
def test_values_that_are_credentials(value, secret):
    assert secrets.secret_value(value) is secret


def test_url_problems_name_the_place_never_the_value():
    problems = secrets.url_problems("https://me:hunter2@x.example.net/v1?api_key=s3cr3t&sig=abc&tenant=a")
    assert problems and not any("hunter2" in p or "s3cr3t" in p for p in problems)
    assert "api_key, sig" in problems[1]
    assert secrets.url_problems("https://x.example.net:443/v1/traces?tenant=a") == []


def test_collector_config_escapes_text_and_keeps_references():
    data = {"headers": {"authorization": secrets.Reference("Bearer ${env:TOKEN}"), "x-note": "${env:HOME} $"},
            "list": ["${file:/etc/passwd}"], "port": 4317}
    assert encoding.collector_config(data) == {
        "headers": {"authorization": "Bearer ${env:TOKEN}", "x-note": "$${env:HOME} $$"},
        "list": ["$${file:/etc/passwd}"], "port": 4317}


def test_env_file_values_refuse_control_characters_and_quote_the_rest():
    assert encoding.env_file_value("http://localhost:4317") == "http://localhost:4317"
    assert encoding.env_file_value('a $(id) `x` "q" \\') == '"a \\$(id) \\`x\\` \\"q\\" \\\\"'
    with pytest.raises(ValueError):
        encoding.env_file_value("a\nLD_PRELOAD=/x.so")


def test_terminal_safe_keeps_line_feeds_and_escapes_the_rest():
    assert encoding.terminal_safe("a\x1b[2Jb\nc\u202ed\x07") == "a\\x1b[2Jb\nc\\u202ed\\x07"
