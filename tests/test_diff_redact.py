"""No secret reaches a diff: not in text, not in JSON, not when it changes (tracegen.secrets' policy)."""

from __future__ import annotations

import pytest
import yaml

from tracegen.diff import Build, diff_trees, render
from tracegen.targets.artifact import Artifact

SECRETS = ("hcaik_01hxyzsecretvalue0000", "hcaik_01hxyzsecretvalue1111", "s3cr3t-pa55", "n3w-pa55",
           "tok-aaaaaaaa", "tok-bbbbbbbb", "ddkey-old-123", "ddkey-new-456", "ghp_abcdefghijklmnopqrst",
           "HONEYCOMB_API_KEY", "ROTATED_KEY")


def _collector(team, password, token, env_ref):
    return yaml.safe_dump({
        "receivers": {"otlp": {}},
        "exporters": {
            "otlp_grpc/honeycomb": {"endpoint": "api.honeycomb.io:443",
                                    "headers": {"x-honeycomb-team": team, "x-honeycomb-dataset": "checkout"}},
            "otlp_http/dd": {"endpoint": "https://dd", "headers": {"dd-api-key": env_ref,
                                                                   "Authorization": f"Bearer {token}"}},
            "kafka": {"auth": {"sasl": {"username": "svc", "password": password}}, "api_key": token},
        },
        "service": {"pipelines": {"traces": {"receivers": ["otlp"], "exporters": ["otlp_grpc/honeycomb"]}}},
    })


def _deployment(value, comment_token):
    return yaml.safe_dump({"apiVersion": "apps/v1", "kind": "Deployment",
                           "metadata": {"name": "app", "namespace": "shop",
                                        "annotations": {"note": comment_token}},
                           "spec": {"template": {"spec": {"containers": [{"name": "app", "env": [
                               {"name": "DD_API_KEY", "value": value},
                               {"name": "LOG_LEVEL", "value": value[:3]}]}]}}}})


def _tree():
    old = [Artifact("gw.yaml", "collector-config",
                    _collector(SECRETS[0], SECRETS[2], SECRETS[4], "${env:HONEYCOMB_API_KEY}")),
           Artifact("app.yaml", "kubernetes-manifest", _deployment(SECRETS[6], "plain")),
           Artifact("otel.env", "sdk-env", f"OTEL_EXPORTER_OTLP_HEADERS=x-honeycomb-team={SECRETS[0]}\nA=1\n"),
           Artifact("tracing.js", "sdk-code", f"const headers = {{ token: '{SECRETS[4]}' }};\nconst n = 1;\n")]
    new = [Artifact("gw.yaml", "collector-config",
                    _collector(SECRETS[1], SECRETS[3], SECRETS[5], "${env:ROTATED_KEY}")),
           Artifact("app.yaml", "kubernetes-manifest", _deployment(SECRETS[7], SECRETS[8])),
           Artifact("otel.env", "sdk-env", f"OTEL_EXPORTER_OTLP_HEADERS=x-honeycomb-team={SECRETS[1]}\nA=1\n"),
           Artifact("tracing.js", "sdk-code", f"const headers = {{ token: '{SECRETS[5]}' }};\nconst n = 2;\n"),
           Artifact("added.yaml", "collector-config", _collector(SECRETS[1], SECRETS[3], SECRETS[5], "x"))]
    return diff_trees(old, new)


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_no_secret_appears_even_when_it_changes(fmt):
    output = render(_tree(), fmt)
    leaked = [secret for secret in SECRETS if secret in output]
    assert leaked == []
    assert "<redacted>" in output


def test_a_changed_secret_is_still_reported_as_a_change():
    tree = _tree()
    gateway = {c.where: (c.old, c.new) for f in tree.files if f.path == "gw.yaml" for c in f.changes}
    assert gateway == {
        "exporters.kafka.api_key": ("<redacted>", "<redacted>"),
        "exporters.kafka.auth.sasl.password": ("<redacted>", "<redacted>"),
        "exporters.otlp_grpc/honeycomb.headers.x-honeycomb-team": ("<redacted>", "<redacted>"),
        "exporters.otlp_http/dd.headers.Authorization": ("<redacted>", "<redacted>"),
        "exporters.otlp_http/dd.headers.dd-api-key": ("<redacted>", "<redacted>"),
    }
    app = {c.where: (c.old, c.new) for f in tree.files if f.path == "app.yaml" for c in f.changes}
    prefix = "apps/v1/Deployment/shop/app"
    assert app == {
        f"{prefix}.metadata.annotations.note": ("plain", "<redacted>"),          # a credential by its shape
        f"{prefix}.spec.template.spec.containers[app].env[DD_API_KEY].value": ("<redacted>", "<redacted>"),
    }


def test_text_diffs_redact_the_changed_lines():
    [code] = [f for f in _tree().files if f.path == "tracing.js"]
    assert code.text[2:] == ("@@ -1,2 +1,2 @@", "-const headers = { token: <redacted>", "-const n = 1;",
                             "+const headers = { token: <redacted>", "+const n = 2;")


def test_kubernetes_secret_values_are_redacted_whatever_their_key():
    def secret(value):
        return yaml.safe_dump({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "backend", "namespace": "o"},
                               "stringData": {"HONEYCOMB": value}, "type": "Opaque"})

    old, new = {"s.yaml": secret("plain-looking-1")}, {"s.yaml": secret("plain-looking-2")}
    changed = diff_trees(old, new)
    added = diff_trees({"other.yaml": "a: 1\n"}, {"other.yaml": "a: 1\n", **new})
    assert [(c.where, c.old, c.new) for f in changed.files for c in f.changes] == [
        ("v1/Secret/o/backend.stringData.HONEYCOMB", "<redacted>", "<redacted>")]
    for tree in (changed, added):
        for fmt in ("text", "json"):
            assert "plain-looking" not in render(tree, fmt)


def test_a_data_loss_reason_never_quotes_a_secret():
    def env(sampler):
        return {"otel.env": f"OTEL_TRACES_SAMPLER={sampler}\n"}

    tree = diff_trees(env("parentbased_always_on"), env("Bearer ghp_abcdefghijklmnopqrst"))
    [(_, change)] = tree.data_loss()
    assert change.data_loss == "sampling tightened: sampler changed from parentbased_always_on to Bearer <redacted>"
    assert "ghp_" not in render(tree, "text") + render(tree, "json")


def test_a_credential_never_shows_in_a_path_either():
    old = {"c.yaml": yaml.safe_dump({"api_keys": ["k-one-1111"], "tokens": {"ghp_abcdefghijklmnopqrst": 1}})}
    new = {"c.yaml": yaml.safe_dump({"api_keys": ["k-two-2222"], "tokens": {}})}
    tree = diff_trees(old, new)
    assert [(c.op, c.where) for f in tree.files for c in f.changes] == [
        ("removed", "api_keys[<redacted>]"), ("added", "api_keys[<redacted>]"), ("removed", "tokens.<redacted>")]
    output = render(tree, "text") + render(tree, "json")
    assert not any(s in output for s in ("k-one", "k-two", "ghp_"))
