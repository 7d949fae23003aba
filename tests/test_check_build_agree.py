"""`check` and `build` never disagree: whatever build refuses, check reports first with a position.

Each case is a small edit of blueprints/minimal.yaml (or a blueprint of its own) that once made
`check` exit 0 and `build` fail (exit 2 without a position, 3 or 70). For every case both commands
run as a user runs them: check must fail with `file:line:col`, build must refuse with the same exit
code and write nothing.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
POSITION = re.compile(r"^(?P<file>[^:\n]+\.ya?ml):(?P<line>\d+):(?P<col>\d+): ", re.MULTILINE)

BASE = """\
schema_version: 1
name: shop
services:
  api:
    version: 1.0.0
    language: go
    owner: {team: web, oncall: "pagerduty:web"}
    edge: true
    peak_rps: 50
backends:
  tempo:
    type: tempo
    endpoint: tempo.observability.svc.cluster.local:4317
    retention: {hot_days: 7, cold_days: 30}
sampling:
  tail:
    policies:
      - {name: keep-errors, type: errors}
      - {name: keep-slow, type: latency, threshold_ms: 500}
      - {name: healthy-share, type: probabilistic, percentage: 10}
%(sampling)s
environments:
  prod:
    platform:
%(platform)s
"""

VM = """\
      vm:
        gateways: [%(gateways)s]
        groups:
          shop: {hosts: [%(hosts)s], services: [api]}"""


def blueprint(sampling: str = "", platform: str | None = None, **vm: str) -> str:
    platform = platform if platform is not None else VM % {"gateways": vm.get("gateways", "gw-1"),
                                                             "hosts": vm.get("hosts", "app-1, app-2")}
    return BASE % {"sampling": sampling, "platform": platform}


CASES = {
    "peak_rps infinite": blueprint().replace("peak_rps: 50", "peak_rps: .inf"),
    "peak_rps that underflows a division": blueprint().replace("peak_rps: 50", "peak_rps: 1e-308"),
    "peak_rps that overflows a product": blueprint().replace("peak_rps: 50", "peak_rps: 1e308"),
    "mode named baseline while a mode is active": blueprint(
        sampling="  modes:\n    baseline: {probabilistic_percentage: 100}\n  active_mode: baseline"),
    "host is both gateway and agent": blueprint(gateways="app-1"),
    "policy named like a part of a capped probabilistic policy": blueprint().replace(
        "      - {name: keep-slow,", "      - {name: healthy-share-cap, type: errors}\n      - {name: keep-slow,"),
    "go service with a propagator its SDK lacks": blueprint().replace(
        "    language: go\n", "    language: go\n    propagators: [tracecontext, xray]\n"),
    "vm agents with kubernetes gateways (static resolver without addresses)": blueprint(
        platform="      kubernetes: {cluster: prod}\n      vm:\n        groups:\n"
                 "          shop: {hosts: [app-1], services: [api]}"),
    "vm agents with exposed kubernetes gateways, no VM networks for the NetworkPolicy (TG513)": blueprint(
        platform="      kubernetes:\n        cluster: prod\n        gateway_exposure: {address: gw.example.net}\n"
                 "      vm:\n        groups:\n          shop: {hosts: [app-1], services: [api]}").replace(
        "sampling:\n", "topology:\n  tls: {issuer: {name: tracing-ca}}\nsampling:\n"),
    "kubernetes agents to vm gateways without a certificate issuer": blueprint(
        platform="      kubernetes: {cluster: prod}\n      vm:\n        gateways: [gw-1]\n        groups:\n"
                 "          shop: {hosts: [app-1], services: [api]}"),
    "host name too long for a file name": blueprint(hosts="a" * 63 + "." + "b" * 63 + "." + "c" * 63 + "."
                                                    + "d" * 50),
    "datadog intake without its path (the exporter would append /v1/traces)": blueprint().replace(
        "backends:\n", "backends:\n  dd:\n    type: datadog\n    endpoint: https://trace.agent.datadoghq.com\n"
                       "    api_key: ${env:DD_API_KEY}\n    headers: {dd-otlp-source: shop}\n"),
    "gateway listed twice (two replicas counted for one host)": blueprint(gateways="gw-1, gw-1"),
    "service in a namespace the environment does not declare": blueprint(
        platform="      kubernetes: {cluster: prod, app_namespaces: [shop]}").replace(
        "    language: go\n", "    language: go\n    kubernetes: {namespace: billing}\n"),
    "gateway and agent are one host spelt differently": blueprint(gateways="App-1."),
    "two spellings of one agent host (host_vars files collide)": blueprint(hosts="app-1, APP-1"),
    "host named like Ansible's implicit group": blueprint(hosts="app-1, all"),
    "tail sampling on a DaemonSet without gateways": blueprint(
        platform="      kubernetes: {cluster: prod}").replace(
        "sampling:\n", "topology:\n  gateway: {enabled: false}\nsampling:\n"),
}


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tracegen", *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "TRACEGEN_DEBUG": ""}, timeout=120)


@pytest.mark.parametrize("case", sorted(CASES))
def test_check_refuses_first_with_a_position_and_build_agrees(case, tmp_path):
    (tmp_path / "bp.yaml").write_text(CASES[case], encoding="utf-8")
    checked = run("check", "bp.yaml", cwd=tmp_path)
    assert checked.returncode in (1, 2), (checked.returncode, checked.stdout, checked.stderr)
    assert "Traceback" not in checked.stderr and "internal error" not in checked.stderr
    report = checked.stdout + checked.stderr
    positions = [m for m in POSITION.finditer(report)]
    assert positions, f"check gave no file:line:col:\n{report}"
    assert all(m["file"] == "bp.yaml" and int(m["line"]) >= 1 and int(m["col"]) >= 1 for m in positions)

    built = run("build", "bp.yaml", "-o", "out", cwd=tmp_path)
    assert built.returncode == checked.returncode, (built.returncode, built.stderr)
    assert "internal error" not in built.stderr and "Traceback" not in built.stderr
    assert not (tmp_path / "out").exists(), "a refused build must write nothing"


def test_the_base_of_these_cases_builds(tmp_path):
    """The cases fail because of their one edit, not because the base is broken."""
    (tmp_path / "bp.yaml").write_text(blueprint(), encoding="utf-8")
    assert run("check", "bp.yaml", cwd=tmp_path).returncode == 0
    built = run("build", "bp.yaml", "-o", "out", cwd=tmp_path)
    assert built.returncode == 0, built.stderr
