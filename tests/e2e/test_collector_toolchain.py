"""The real collector: build the catalog's distribution with the Collector Builder, then check that
it loads the names tracegen emits and judges configs the way tracegen relies on.

The first run builds for several minutes (Go downloads and compiles every component); later runs
reuse the binary from ``${TRACEGEN_CACHE:-~/.cache/tracegen}``.
"""

from __future__ import annotations

import copy
import socket
from pathlib import Path

import pytest
import yaml

from tracegen import components
from tracegen.toolchain import collector
from tracegen.versions import COLLECTOR_VERSION

pytestmark = pytest.mark.e2e

SEED = Path(__file__).resolve().parent.parent / "fixtures" / "seed_collector.yaml"
BUILT = collector.test_distribution_components(COLLECTOR_VERSION)


@pytest.fixture(scope="session")
def binary() -> Path:
    return collector.build_test_distribution(COLLECTOR_VERSION)


def require(*canonicals: str) -> None:
    """Skip, saying why, when the distribution at COLLECTOR_VERSION cannot have these components."""
    for canonical in canonicals:
        reason = components.unavailable(canonical, COLLECTOR_VERSION)
        if reason:
            pytest.skip(f"{canonical} is not in the {COLLECTOR_VERSION} test distribution: {reason}")


def name(canonical: str) -> str:
    return components.config_name(canonical, COLLECTOR_VERSION)


def write(tmp_path: Path, filename: str, data: dict) -> Path:
    path = tmp_path / filename
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_binary_lists_every_catalog_name_for_its_version(binary):
    listed = collector.listed_components(binary)
    for canonical in BUILT:
        assert name(canonical) in listed[components.kind(canonical)], canonical


def test_renamed_components_still_load_under_their_old_names(binary):
    loadable = collector.loadable_types(binary)
    renamed = [c for c in BUILT if len(components.get(c).names) > 1]
    assert renamed, "the distribution has no renamed component to check"
    for canonical in renamed:
        for _, old_or_new in components.get(canonical).names:
            assert old_or_new in loadable[components.kind(canonical)], (canonical, old_or_new)


def minimal_config() -> dict:
    return {
        "receivers": {name("receiver/otlp"): {"protocols": {"grpc": {"endpoint": "127.0.0.1:4317"}}}},
        "processors": {name("processor/memory_limiter"): {"check_interval": "1s", "limit_mib": 400,
                                                          "spike_limit_mib": 100},
                       name("processor/batch"): {}},
        "exporters": {f"{name('exporter/otlp_http')}/backend": {
            "endpoint": "https://api.example.com", "headers": {"x-api-key": "${env:TRACEGEN_TEST_API_KEY}"}},
            name("exporter/debug"): {"verbosity": "basic"}},
        "service": {"pipelines": {"traces": {
            "receivers": [name("receiver/otlp")],
            "processors": [name("processor/memory_limiter"), name("processor/batch")],
            "exporters": [f"{name('exporter/otlp_http')}/backend", name("exporter/debug")]}}},
    }


def test_good_config_validates_without_its_secret(binary, tmp_path, monkeypatch):
    monkeypatch.delenv("TRACEGEN_TEST_API_KEY", raising=False)
    result = collector.validate_config(binary, [write(tmp_path, "good.yaml", minimal_config())])
    assert result.ok, result.output
    result.check()


def test_bad_config_fails_with_the_collectors_reason(binary, tmp_path):
    config = minimal_config()
    config["exporters"][name("exporter/debug")] = {"loglevel": "warn"}  # the removed logging exporter's key
    result = collector.validate_config(binary, [write(tmp_path, "bad.yaml", config)])
    assert not result.ok
    assert "loglevel" in result.output
    with pytest.raises(collector.ValidationFailed, match="loglevel"):
        result.check("bad.yaml")


def test_overlay_is_merged_over_the_base(binary, tmp_path):
    base = write(tmp_path, "base.yaml", minimal_config())
    good = write(tmp_path, "good-mode.yaml", {"exporters": {name("exporter/debug"): {"verbosity": "detailed"}}})
    bad = write(tmp_path, "bad-mode.yaml", {"exporters": {name("exporter/debug"): {"verbosity": "loud"}}})
    assert collector.validate_config(binary, [base, good]).ok
    result = collector.validate_config(binary, [base, bad])
    assert not result.ok and "loud" in result.output


# The seed's collector config: the real collector refuses it, one reason at a time (it stops at the
# first unknown exporter, and which one it meets first varies from run to run).
JAEGER_REASON = 'unknown type: "jaeger"'
LOGGING_REASON = "the logging exporter has been deprecated, use the debug exporter instead"
UNNAMED_POLICY_REASON = "policy name cannot be empty"


def seed() -> dict:
    return yaml.safe_load(SEED.read_text())


def without_exporter(config: dict, exporter: str) -> dict:
    config = copy.deepcopy(config)
    del config["exporters"][exporter]
    traces = config["service"]["pipelines"]["traces"]
    traces["exporters"] = [e for e in traces["exporters"] if e != exporter]
    return config


def test_seed_config_is_rejected(binary):
    result = collector.validate_config(binary, [SEED])
    assert not result.ok
    assert JAEGER_REASON in result.output or LOGGING_REASON in result.output, result.output


def test_seed_jaeger_exporter_no_longer_exists(binary, tmp_path):
    result = collector.validate_config(binary, [write(tmp_path, "seed.yaml", without_exporter(seed(), "logging"))])
    assert not result.ok and JAEGER_REASON in result.output, result.output


def test_seed_logging_exporter_no_longer_exists(binary, tmp_path):
    result = collector.validate_config(binary, [write(tmp_path, "seed.yaml", without_exporter(seed(), "jaeger"))])
    assert not result.ok and LOGGING_REASON in result.output, result.output


def loopback(config: dict) -> dict:
    """The config listening on free loopback ports and exposing no telemetry port, to run it here."""
    config = copy.deepcopy(config)
    config["receivers"]["otlp"]["protocols"] = {"grpc": {"endpoint": f"127.0.0.1:{free_port()}"}}
    config["service"]["telemetry"] = {"metrics": {"level": "none"}}
    return config


def test_seed_unnamed_tail_sampling_policies_pass_validate_but_fail_at_start(binary, tmp_path):
    require("processor/tail_sampling", "processor/attributes", "processor/batch")
    config = loopback(without_exporter(without_exporter(seed(), "jaeger"), "logging"))
    path = write(tmp_path, "seed.yaml", config)
    # `validate` lets unnamed policies through: only starting the processor checks them.
    assert collector.validate_config(binary, [path]).ok
    started = collector.start_check(binary, [path], seconds=5)
    assert not started.ok and UNNAMED_POLICY_REASON in started.output, started.output

    for index, policy in enumerate(config["processors"]["tail_sampling"]["policies"]):
        policy["name"] = f"{policy['type']}-{index}"
    fixed = write(tmp_path, "seed-fixed.yaml", config)
    started = collector.start_check(binary, [fixed], seconds=3)
    assert started.ok, started.output
