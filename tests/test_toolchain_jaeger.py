"""The Jaeger the end-to-end tests run: which release a module version is, and a config that keeps
it on loopback with only the ports it is given (the build itself is proven by
tests/e2e/test_sampling_promise.py, which runs it)."""

from __future__ import annotations

import re

from tracegen.toolchain import jaeger


def test_module_versions_name_their_jaeger_v2_release():
    assert jaeger.release_name("v1.76.0") == "v2.13.0"
    assert jaeger.release_name("v1.63.0") == "v2.0.0"
    assert jaeger.release_name("v1.62.0") == "v1.62.0"       # before v2: the v1 release itself


def test_config_listens_on_loopback_only_on_the_given_ports():
    ports = jaeger.JaegerPorts(otlp_grpc=25401, otlp_http=25402, query_http=25403, query_grpc=25404, health=25405)
    config = jaeger.config(ports)
    endpoints = re.findall(r"'endpoint': '([^']+)'", repr(config))
    assert sorted(endpoints) == [f"127.0.0.1:{p}" for p in range(25401, 25406)]
    assert config["service"]["telemetry"]["metrics"] == {"level": "none"}     # no :8888
    assert config["extensions"]["jaeger_query"]["enable_tracing"] is False    # nothing sent to :4317
    assert config["service"]["pipelines"]["traces"]["receivers"] == ["otlp"]
