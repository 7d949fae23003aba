"""Every golden collector config against the real collector: `otelcol validate` on each config, and
on each sampling-mode overlay merged over the config of the tier that samples, as the collector will
run them; the loopback goldens also start for real, and checkout's agent scrubs a real span.

The binary is the all-components test distribution (tracegen.toolchain.collector, built once with
the Collector Builder and cached). The Go module proxy does not serve every component at every
version (tracegen.components.PROXY_GAPS), so each golden blueprint is rendered again for each
version in VERSIONS; a component the binary lacks is cut out of that rendering (a pipeline left
without an exporter gets `debug`), and the last test checks that every component the goldens use
was validated for real at some version, or says why it cannot be.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from tracegen import components
from tracegen.blueprint.loader import load_text
from tracegen.errors import ToolError
from tracegen.plan.builder import build_plan
from tracegen.plan.collectors import collector_set
from tracegen.targets import collector
from tracegen.plan.collector_privacy import K8S_NODE_ENV

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden"
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "blueprint.yaml").is_file())
# The pinned version first; an older one whose proxy-served modules cover what the pinned lacks.
VERSIONS = ("0.165.0", "0.160.0")
SECTIONS = ("receivers", "processors", "exporters", "connectors", "extensions")
KIND = {"receivers": "receiver", "processors": "processor", "exporters": "exporter",
        "connectors": "connector", "extensions": "extension"}


@pytest.fixture(scope="module")
def binaries() -> dict[str, tuple[Path, dict[str, set[str]]]]:
    from tracegen.toolchain.collector import build_test_distribution, loadable_types

    found = {}
    for version in VERSIONS:
        try:
            binary = build_test_distribution(version)
        except ToolError as error:
            pytest.skip(f"no collector {version} to validate with: {str(error).splitlines()[0]}")
        found[version] = (binary, loadable_types(binary))
    return found


def with_version(env, version: str, source: str):
    """The environment as planned for another collector version (its collectors recomputed)."""
    env = dataclasses.replace(env, collector_version=version)
    return dataclasses.replace(env, collectors=collector_set(env, source))


def render(case: str, version: str) -> tuple[list, dict[str, set[str]]]:
    """The case's collector artifacts at `version`, and each environment's canonical components."""
    name = f"tests/golden/{case}/blueprint.yaml"
    plan = build_plan(load_text((ROOT / name).read_text(encoding="utf-8"), name))
    plan = dataclasses.replace(plan, environments=tuple(
        with_version(env, version, plan.source_file) for env in plan.environments))
    used = {env.name: set(env.collectors.components) for env in plan.environments}
    return [a for a in collector.build(plan) if a.kind == "collector-config"], used


def strip(config: dict, loadable: dict[str, set[str]]) -> tuple[dict, set[str]]:
    """`config` without the components the binary cannot load, still a runnable shape."""
    config = copy.deepcopy(config)
    removed = {name for section in SECTIONS for name in config.get(section, {})
               if name.split("/", 1)[0] not in loadable[KIND[section]]}
    service = config.get("service", {})
    pipelines = service.get("pipelines", {})
    while True:
        for pipeline in pipelines.values():
            for role in ("receivers", "processors", "exporters"):
                pipeline[role] = [n for n in pipeline.get(role, []) if n not in removed]
        for name in [n for n, p in pipelines.items() if not p["receivers"]]:
            del pipelines[name]
        # A connector must both end one pipeline and start another.
        dangling = {c for c in config.get("connectors", {}) if c not in removed and not (
            any(c in p["exporters"] for p in pipelines.values()) and any(c in p["receivers"] for p in pipelines.values()))}
        if not dangling:
            break
        removed |= dangling
    for pipeline in pipelines.values():
        if not pipeline["exporters"]:
            config.setdefault("exporters", {})["debug"] = {}
            pipeline["exporters"] = ["debug"]
    for section in SECTIONS:
        for name in [n for n in config.get(section, {}) if n in removed]:
            del config[section][name]
    if "extensions" in service:
        service["extensions"] = [n for n in service["extensions"] if n not in removed]
    return config, {name.split("/", 1)[0] for name in removed}


def canonical_of(type_names: set[str], used: set[str], version: str) -> set[str]:
    return {c for c in used if components.config_name(c, version) in type_names}


def validate_case(binary: Path, loadable: dict[str, set[str]], case: str, version: str,
                  tmp: Path) -> tuple[list[str], set[str]]:
    """(failures, canonical ids validated for real) for one golden case at one version."""
    from tracegen.toolchain.collector import validate_config

    artifacts, used = render(case, version)
    written: dict[str, tuple[Path, set[str]]] = {}
    for artifact in artifacts:
        config, cut = strip(yaml.safe_load(artifact.content), loadable)
        path = tmp / case / version / artifact.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        written[artifact.path] = (path, cut)
    failures, validated = [], set()
    for artifact in artifacts:
        path, cut = written[artifact.path]
        env = artifact.environment
        if "/modes/" in artifact.path:
            # An overlay merges over the tier that samples: a gateway, or a lone agent.
            base = sorted(a.path for a in artifacts if a.environment == env and a.role == artifact.role
                          and "/modes/" not in a.path)[0]
            files, cut = [written[base][0], path], cut | written[base][1]
        else:
            files = [path]
        # The Kubernetes agent reads its node's name from the pod's environment (downward API).
        result = validate_config(binary, files, env={K8S_NODE_ENV: "validate-node"})
        if not result.ok:
            failures.append(f"{artifact.path} (without {sorted(cut)}):\n{result.output}")
            continue
        types = {n.split("/", 1)[0] for file in files for data in [yaml.safe_load(file.read_text())]
                 for section in SECTIONS for n in data.get(section, {})}
        validated |= {c for c in used[env] if components.config_name(c, version) in types - cut}
    return failures, validated


@pytest.fixture(scope="module")
def validations(binaries, tmp_path_factory) -> dict[tuple[str, str], tuple[list[str], set[str]]]:
    tmp = tmp_path_factory.mktemp("golden-configs")
    return {(case, version): validate_case(*binaries[version], case, version, tmp)
            for case in CASES for version in VERSIONS}


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("case", CASES)
def test_golden_configs_pass_otelcol_validate(validations, case, version):
    failures, _ = validations[(case, version)]
    assert not failures, "\n\n".join(failures)


def test_every_component_the_goldens_use_was_validated_somewhere(validations):
    needed = {c for case in CASES for version in VERSIONS for env in render(case, version)[1].values() for c in env}
    validated = set().union(*(done for _, done in validations.values()))
    unbuildable = sorted(c for c in needed if all(components.unavailable(c, v) for v in VERSIONS))
    missing = sorted(needed - validated - set(unbuildable))
    assert not missing, f"never validated by a real collector: {missing}"
    if unbuildable:
        print(f"\nnot buildable from the module proxy at {', '.join(VERSIONS)}: {unbuildable}")


def loopback_only(case: str) -> bool:
    name = f"tests/golden/{case}/blueprint.yaml"
    plan = build_plan(load_text((ROOT / name).read_text(encoding="utf-8"), name))
    return all(tier.platform == "local" for env in plan.environments for tier in env.tiers)


LOOPBACK_CASES = [case for case in CASES if loopback_only(case)]


@pytest.mark.parametrize("case", LOOPBACK_CASES)
def test_loopback_goldens_start_and_keep_running(binaries, tmp_path, case):
    """What `validate` lets through (a tail-sampling policy the processor refuses, a storage
    directory it cannot create) only shows at start: start each local config for a few seconds, at
    a version that has every component they use."""
    from tracegen.toolchain.collector import start_check

    version = next((v for v in VERSIONS if all(strip(yaml.safe_load(a.content), binaries[v][1])[1] == set()
                                                 for a in render(case, v)[0])), None)
    if version is None:
        pytest.skip(f"no collector in {VERSIONS} has every component {case} uses")
    binary = binaries[version][0]
    artifacts, _ = render(case, version)
    paths = {}
    for artifact in artifacts:
        paths[artifact.path] = tmp_path / artifact.path
        paths[artifact.path].parent.mkdir(parents=True, exist_ok=True)
        paths[artifact.path].write_text(artifact.content)
    failures = []
    for artifact in artifacts:
        files = [paths[artifact.path]]
        if "/modes/" in artifact.path:
            base = sorted(a.path for a in artifacts if a.role == artifact.role and "/modes/" not in a.path)[0]
            files.insert(0, paths[base])
        result = start_check(binary, files, env={"TRACEGEN_STATE_DIR": str(tmp_path / "state")}, seconds=4)
        if not result.ok:
            failures.append(f"{artifact.path} exited:\n{result.output[-3000:]}")
    assert not failures, "\n\n".join(failures)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_agent_scrubs_a_real_span(binaries, tmp_path):
    """checkout's agent, run for real (its Kubernetes-only processor and the balancer swapped for a
    file exporter): PII deleted, hashed and masked, SQL literals gone, the environment set."""
    version = next(v for v in VERSIONS if {"attributes", "redaction", "file"} <= (
        binaries[v][1]["processor"] | binaries[v][1]["exporter"]))
    binary = binaries[version][0]
    artifacts, _ = render("checkout", version)
    agent = yaml.safe_load(next(a.content for a in artifacts if a.path == "prod/collector/agent-kubernetes.yaml"))
    port, health, metrics = free_port(), free_port(), free_port()
    agent["receivers"]["otlp"]["protocols"] = {"http": {"endpoint": f"127.0.0.1:{port}"}}
    agent["extensions"] = {"health_check": {"endpoint": f"127.0.0.1:{health}"}}
    agent["service"]["extensions"] = ["health_check"]
    agent["service"]["telemetry"]["metrics"]["readers"][0]["pull"]["exporter"]["prometheus"].update(
        host="127.0.0.1", port=metrics)
    k8s = components.config_name("processor/k8s_attributes", version)
    del agent["processors"][k8s]
    out = tmp_path / "spans.json"
    agent["exporters"] = {"file": {"path": str(out)}}
    pipeline = agent["service"]["pipelines"]["traces"]
    pipeline["processors"].remove(k8s)
    pipeline["exporters"] = ["file"]
    config = tmp_path / "agent.yaml"
    config.write_text(yaml.safe_dump(agent))

    def attribute(key: str, value: str) -> dict:
        return {"key": key, "value": {"stringValue": value}}

    span = {"traceId": "5b8aa5a2d2c872e8321cf37308d69df2", "spanId": "7c8f4d2e9a1b3f45", "name": "SELECT orders",
            "kind": 3, "startTimeUnixNano": "1700000000000000000", "endTimeUnixNano": "1700000000100000000",
            "attributes": [attribute("db.system.name", "postgresql"),
                           attribute("db.query.text", "SELECT * FROM orders WHERE email = 'a@b.example' AND total > 42"),
                           attribute("user.email", "a@b.example"), attribute("user.phone", "+4912345678"),
                           attribute("user_id", "u-1"), attribute("session.id", "s-1"),
                           attribute("note", "paid with 4111 1111 1111 1111"), attribute("order.id", "o-7")]}
    body = {"resourceSpans": [{"resource": {"attributes": [attribute("service.name", "checkout")]},
                               "scopeSpans": [{"spans": [span]}]}]}
    log = tmp_path / "collector.log"
    with log.open("w") as sink:
        proc = subprocess.Popen([str(binary), f"--config={config}"], stdout=sink, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/traces", data=json.dumps(body).encode(),
                                                     headers={"Content-Type": "application/json"})
                    assert urllib.request.urlopen(request, timeout=5).status == 200
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise AssertionError(f"the agent never accepted a span:\n{log.read_text()[-2000:]}")
                    time.sleep(0.3)
            while not (out.exists() and out.read_text().strip()) and time.monotonic() < deadline:
                time.sleep(0.3)
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    [exported] = json.loads(out.read_text().splitlines()[0])["resourceSpans"]
    attributes = {a["key"]: next(iter(a["value"].values())) for a in exported["scopeSpans"][0]["spans"][0]["attributes"]}
    resource = {a["key"]: next(iter(a["value"].values())) for a in exported["resource"]["attributes"]}
    assert resource["deployment.environment.name"] == "prod"
    assert "user.email" not in attributes and "session.id" not in attributes
    assert attributes["user.phone"] == hashlib.sha256(b"+4912345678").hexdigest()
    assert attributes["user_id"] == hashlib.sha256(b"u-1").hexdigest()
    assert "4111" not in attributes["note"] and "****" in attributes["note"]
    assert attributes["db.query.text"] == "SELECT * FROM orders WHERE email = ? AND total > ?"
    assert attributes["order.id"] == "o-7"
