"""The injection corpus (corpus.yaml): every text field of the blueprint x the classic breakers of
every language tracegen writes. Each value is refused at check time with its position, or comes
back from every generated file unchanged, as data.

The in-process part reads each file as its consumer does (YAML, systemd's env-file rules, the
collector's `$$`/`${...}` resolution, Python's parser) and demands that the output equals the
output for a harmless value except for that value. The e2e part hands the same files and the
encoded literals to the real tools: node, javac and java (Properties.load), gofmt and go, sh.
"""

from __future__ import annotations

import copy
import functools
import json
import subprocess
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

import injection_consumers as consumers
from tracegen import encoding, secrets
from tracegen.blueprint.loader import load
from tracegen.cli import main
from tracegen.encoding.text import unsafe_characters
from tracegen.errors import BlueprintError, TracegenError
from tracegen.plan.builder import build_plan
from tracegen.standards.engine import check
from tracegen.targets import build_all

HERE = Path(__file__).parent
CORPUS = yaml.safe_load((HERE / "corpus.yaml").read_text())
BASE = yaml.safe_load((HERE / "base.yaml").read_text())
PAYLOADS: dict[str, str] = CORPUS["payloads"]
FIELDS: list[dict] = CORPUS["fields"]
PLACEHOLDER = "q7placeholder"
SOURCE = "inject.yaml"
MULTILINE = "\n\t"


def is_control(payload: str, fld: dict) -> bool:
    allowed = MULTILINE if fld["name"] in ("mode_description", "suppression_reason") else ""
    return bool(unsafe_characters(payload, allowed))


def by_kind(kind: str) -> list[dict]:
    return [f for f in FIELDS if f["expect"] == kind]


def set_field(data: dict, fld: dict, value: str) -> None:
    *parents, last = fld["path"]
    node = data
    for part in parents:
        node = node[part] if isinstance(node, list) else node.setdefault(part, {})
    if fld.get("key"):
        items = list(node.items())
        node.clear()
        node.update({(value if k == last else k): v for k, v in items})
    elif fld.get("list"):
        node[last] = ["tracecontext", value]
    elif fld.get("list_of"):
        node[last] = [{fld["list_of"]: value, "action": "hash"}]
    else:
        node[last] = value


def blueprint(values: list[tuple[dict, str]]) -> dict:
    data = copy.deepcopy(BASE)
    for fld, value in values:
        set_field(data, fld, value)
    return data


def write(tmp: Path, data: dict, name: str = SOURCE) -> Path:
    path = tmp / name
    # ASCII with escapes: every payload reaches the loader as the YAML scalar it means.
    path.write_text(yaml.safe_dump(data, allow_unicode=False, sort_keys=False, width=10_000))
    return path


@dataclass
class Outcome:
    error: TracegenError | None = None
    files: dict[str, str] = field(default_factory=dict)
    blocking: list = field(default_factory=list)


def attempt(path: Path) -> Outcome:
    try:
        loaded = load(path)
        outcome = check(loaded)
        if outcome.blocking():
            return Outcome(blocking=[f.text() for f in outcome.blocking()])
        artifacts = build_all(build_plan(loaded, SOURCE))
    except TracegenError as error:
        return Outcome(error=error)
    return Outcome(files={a.path: a.content for a in artifacts})


def assert_refused(outcome: Outcome, payload: str, what: str, names_key: bool = False) -> None:
    assert isinstance(outcome.error, BlueprintError), f"{what}: not refused ({outcome.blocking or 'built'})"
    assert outcome.error.line and outcome.error.column, f"{what}: refused without a position: {outcome.error}"
    if len(payload) > 3 and not names_key:   # a key is named in the path of its message
        assert payload not in str(outcome.error), f"{what}: the message repeats the value"
    assert not consumers.unsafe_in(str(outcome.error)), f"{what}: the message carries control characters"


# ------------------------------------------------------------------ refusals
@pytest.mark.parametrize("fld", by_kind("refused"), ids=lambda f: f["name"])
def test_strict_fields_refuse_every_payload(fld, tmp_path):
    for name, payload in PAYLOADS.items():
        outcome = attempt(write(tmp_path, blueprint([(fld, payload)])))
        assert_refused(outcome, payload, f"{fld['name']} = {name}", bool(fld.get("key")))


@pytest.mark.parametrize("fld", by_kind("refused")[:3] + by_kind("data")[:2], ids=lambda f: f["name"])
def test_refusal_is_one_line_and_exit_2(fld, tmp_path):
    path = write(tmp_path, blueprint([(fld, PAYLOADS["newline"])]))
    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code == 2, result.output
    first = result.output.splitlines()[0]
    assert first.startswith(f"{path}:") and first.split(":")[1].isdigit() and first.split(":")[2].isdigit(), first


@pytest.mark.parametrize("fld", by_kind("data") + by_kind("either"), ids=lambda f: f["name"])
def test_control_characters_are_refused_in_text_fields(fld, tmp_path):
    for name, payload in PAYLOADS.items():
        if is_control(payload, fld):
            outcome = attempt(write(tmp_path, blueprint([(fld, payload)])))
            assert_refused(outcome, payload, f"{fld['name']} = {name}")


# ------------------------------------------------------------------ data round trips
DATA_FIELDS = by_kind("data")
DATA_PAYLOADS = {name: p for name, p in PAYLOADS.items() if not any(is_control(p, f) for f in DATA_FIELDS)}


def data_value(fld: dict, payload: str) -> str:
    """The payload, except a secret reference where the field refuses one (test_references_refused)."""
    return PLACEHOLDER if fld.get("references") and secrets.is_header_reference(payload) else payload


@pytest.mark.parametrize("fld", [f for f in DATA_FIELDS if f.get("references") == "refused"], ids=lambda f: f["name"])
def test_references_refused_where_the_collector_would_expand_them(fld, tmp_path):
    references = {n: p for n, p in PAYLOADS.items() if secrets.is_header_reference(p)}
    assert references
    for name, payload in references.items():
        assert_refused(attempt(write(tmp_path, blueprint([(fld, payload)]))), payload, f"{fld['name']} = {name}")


def encoded_forms(value: str) -> list[str]:
    """How tracegen writes `value` into source code and comments (one encoder per language)."""
    forms = [encoding.js_string(value), encoding.java_string(value), encoding.comment(value),
             encoding.properties_value(value)]
    for encode in (encoding.go_string, encoding.python_string, encoding.rust_string):
        try:
            forms.append(encode(value))
        except ValueError:
            pass
    return sorted(set(forms), key=len, reverse=True)


def view(path: str, text: str, value: str):
    """The file as its consumer reads it, with `value` (the payload or the placeholder) in place."""
    suffix = Path(path).suffix
    if suffix in (".yaml", ".yml"):
        return consumers.yaml_view(path, text, value)
    if suffix == ".json":
        return consumers.grafana_view(text) if "/grafana/" in path else json.loads(text)
    if suffix == ".toml":
        return tomllib.loads(text)
    if suffix == ".xml":
        return consumers.xml_view(text)
    if suffix == ".env":
        return consumers.env_view(text)
    if suffix == ".properties":
        return consumers.properties(text)
    if suffix == ".py":
        consumers.python_check(text)
    if suffix == ".rs":
        consumers.rust_strings_check(text)
    # Source code and other text: the only difference may be the encoded value itself.
    for form in encoded_forms(value):
        text = text.replace(form, "\x00VALUE\x00")
    return text


@functools.lru_cache(maxsize=4096)
def _frozen_view(path: str, text: str) -> str:
    """The harmless build's view of a file, computed once: it is compared with every payload build."""
    return json.dumps(view(path, text, PLACEHOLDER), sort_keys=True, default=list)


def differences(baseline: Outcome, built: Outcome, payload: str) -> list[str]:
    problems = []
    if set(baseline.files) != set(built.files):
        problems.append(f"different files: {sorted(set(baseline.files) ^ set(built.files))}")
    for path, text in built.files.items():
        if path not in baseline.files:
            continue
        if unsafe := consumers.unsafe_in(text):
            problems.append(f"{path}: raw control characters {unsafe!r}")
        if path.endswith(".md"):
            continue   # prose for people; no consumer interprets it
        try:
            mine = consumers.replace_strings(view(path, text, payload), payload, PLACEHOLDER)
        except Exception as exc:  # noqa: BLE001 - a file its consumer cannot read is the finding
            problems.append(f"{path}: does not parse: {exc}")
            continue
        if json.dumps(mine, sort_keys=True, default=list) != _frozen_view(path, baseline.files[path]):
            problems.append(f"{path}: differs from the harmless build beyond the value")
    return problems


@pytest.fixture(scope="module")
def data_builds(tmp_path_factory) -> dict[str, Outcome]:
    """A build with every data field at the placeholder, then one per payload with every data field at it."""
    tmp = tmp_path_factory.mktemp("data")
    builds = {PLACEHOLDER: attempt(write(tmp, blueprint([(f, PLACEHOLDER) for f in DATA_FIELDS])))}
    for name, payload in DATA_PAYLOADS.items():
        builds[name] = attempt(write(tmp, blueprint([(f, data_value(f, payload)) for f in DATA_FIELDS])))
    return builds


@pytest.mark.parametrize("name", DATA_PAYLOADS)
def test_text_fields_come_back_as_data(name, data_builds):
    baseline, built = data_builds[PLACEHOLDER], data_builds[name]
    assert baseline.files, baseline.error or baseline.blocking
    assert built.files, f"did not build: {built.error or built.blocking}"
    assert differences(baseline, built, PAYLOADS[name]) == []


def test_every_data_field_reaches_the_output(tmp_path):
    """Proves the round trip looks where each value goes: distinct markers, each found somewhere."""
    marked = [(f, f"zq{index}marker") for index, f in enumerate(DATA_FIELDS) if f.get("appears")]
    outcome = attempt(write(tmp_path, blueprint(marked)))
    assert outcome.files, outcome.error or outcome.blocking
    text = "\n".join(outcome.files.values())
    assert [f["name"] for f, marker in marked if marker not in text] == []


@pytest.mark.parametrize("fld", by_kind("either"), ids=lambda f: f["name"])
def test_either_refused_or_data(fld, tmp_path):
    baseline = attempt(write(tmp_path, blueprint([(fld, PLACEHOLDER)])))
    for name, payload in PAYLOADS.items():
        outcome = attempt(write(tmp_path, blueprint([(fld, payload)])))   # one file name: it is in headers
        if outcome.error is not None or is_control(payload, fld):
            assert_refused(outcome, payload, f"{fld['name']} = {name}")
        else:
            assert differences(baseline, outcome, payload) == [], name


OPERATOR_SAMPLE = ("double_quote", "collector_env", "dollar_dollar", "jinja", "yaml_indicator", "non_bmp")


@pytest.mark.parametrize("name", OPERATOR_SAMPLE)
def test_text_fields_come_back_as_data_with_the_operator(name, tmp_path):
    """The Operator flavour (topology.deployment operator: OpenTelemetryCollector resources, the
    gateway exposure's Service; sdk.mode operator: an Instrumentation per environment, inject
    annotations) on a sample of the payloads: the full corpus covers the kustomize flavour."""
    def build(value: str) -> Outcome:
        data = blueprint([(f, data_value(f, value)) for f in DATA_FIELDS])
        data["sdk"] = {"mode": "operator"}
        data["topology"]["deployment"] = "operator"
        return attempt(write(tmp_path, data))
    baseline, built = build(PLACEHOLDER), build(PAYLOADS[name])
    assert {"mixed/operator/instrumentation.yaml", "mixed/operator/collectors.yaml"} <= set(baseline.files)
    assert PLACEHOLDER in baseline.files["mixed/operator/collectors.yaml"]   # header value, annotation
    assert built.files, built.error or built.blocking
    assert differences(baseline, built, PAYLOADS[name]) == []


# ------------------------------------------------------------------ the real consumers (e2e)
def _changed(baseline: Outcome, built: Outcome, suffixes: tuple[str, ...]) -> list[str]:
    return [p for p, text in built.files.items() if p.endswith(suffixes) and baseline.files.get(p) != text]


def _materialise(root: Path, name: str, outcome: Outcome, paths: list[str]) -> list[Path]:
    written = []
    for path in paths:
        target = root / name / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(outcome.files[path], encoding="utf-8")
        written.append(target)
    return written


@pytest.mark.e2e
def test_literals_read_back_by_each_compiler(tmp_path):
    for tool in ("node", "javac", "java", "go"):
        if not consumers.have(tool):
            pytest.skip(f"needs {tool}")
    values = [p for p in PAYLOADS.values()]
    assert consumers.node_eval([encoding.js_string(v) for v in values]) == values
    assert [consumers.python_eval(encoding.python_string(v)) for v in values] == values
    java_values, _ = consumers.java_run(tmp_path / "java", [encoding.java_string(v) for v in values], [])
    assert java_values == values
    go_values = [v for v in values if not any(0xD800 <= ord(c) <= 0xDFFF for c in v)]
    assert consumers.go_eval([encoding.go_string(v) for v in go_values], tmp_path / "go") == go_values


def test_rust_literals_read_back_by_the_rust_reference_rules():
    values = list(PAYLOADS.values())
    assert [consumers.rust_string_value(encoding.rust_string(v)) for v in values] == values


@pytest.mark.e2e
def test_rust_literals_read_back_by_rustc(tmp_path):
    from tracegen.toolchain import rust   # finds cargo (PATH or ~/.cargo/bin) as the Rust SDK e2e does

    rustc = str(Path(rust.cargo()).with_name("rustc"))
    values = list(PAYLOADS.values())
    assert consumers.rustc_eval(rustc, [encoding.rust_string(v) for v in values], tmp_path) == values


@pytest.mark.e2e
def test_generated_files_parse_with_their_own_tools(data_builds, tmp_path):
    for tool in ("node", "javac", "java", "gofmt", "sh"):
        if not consumers.have(tool):
            pytest.skip(f"needs {tool}")
    baseline = data_builds[PLACEHOLDER]
    js, go, java, props, envs, shells = [], [], [], [], [], []
    expected_props, expected_envs = [], []
    for name, built in data_builds.items():
        if name == PLACEHOLDER or not built.files:
            continue
        js += _materialise(tmp_path, name, built, _changed(baseline, built, (".js",)))
        go += _materialise(tmp_path, name, built, _changed(baseline, built, (".go",)))
        java += _materialise(tmp_path, name, built, _changed(baseline, built, (".java",)))
        shells += _materialise(tmp_path, name, built, _changed(baseline, built, (".sh",)))
        for path in _changed(baseline, built, (".properties",)):
            props += _materialise(tmp_path, name, built, [path])
            expected_props.append((name, path))
        for path in _changed(baseline, built, (".env",)):
            envs += _materialise(tmp_path, name, built, [path])
            expected_envs.append((name, built.files[path]))
    assert js and go and props and envs   # the corpus reaches these (Java sources hold no blueprint text)
    assert consumers.node_check(js) == ""
    assert consumers.gofmt_check(go) == ""
    if java:
        assert consumers.javac_parse(java, tmp_path / "classes") == ""
    assert consumers.sh_syntax(shells) == ""
    # Properties.load reads back the resource attribute exactly.
    _, loaded = consumers.java_run(tmp_path / "props", ['"x"'], props)
    for (name, path), properties in zip(expected_props, loaded):
        attributes = consumers.resource_attributes(properties["otel.resource.attributes"])
        assert PAYLOADS[name] in attributes.values(), (name, path)
    # A POSIX shell sourcing each env file sets exactly its variables, to what systemd reads.
    for (name, text), shell in zip(expected_envs, consumers.sh_env(envs)):
        assert shell == consumers.systemd_env(text), name
        assert PAYLOADS[name] in consumers.resource_attributes(shell["OTEL_RESOURCE_ATTRIBUTES"]).values(), name


@pytest.mark.e2e
def test_promtool_reads_every_rule_file_with_blueprint_text(data_builds, tmp_path):
    """promtool check rules parses each alert's label and annotation templates: owner text that
    reaches them (the team label) never makes a rule file Prometheus refuses."""
    if not consumers.have("promtool"):
        pytest.skip("needs promtool (tests/e2e/test_prometheus_rules_e2e.py: Debian's prometheus package)")
    baseline = data_builds[PLACEHOLDER]
    files = []
    for name, built in data_builds.items():
        if name != PLACEHOLDER and built.files:
            files += _materialise(tmp_path, name, built, [p for p in _changed(baseline, built, ("rules.yaml",))
                                                          if "/prometheus/" in p])
    assert files   # the corpus reaches the rule files (owner teams of services with an SLO)
    result = consumers.run(["promtool", "check", "rules", *map(str, files)])
    assert result.returncode == 0, result.stdout + result.stderr


COLLECTOR_PAYLOADS = ("collector_env", "collector_file", "declarative_env", "dollar_dollar", "double_quote",
                      "backslash", "jinja", "command_substitution", "non_bmp")


@pytest.mark.e2e
def test_the_collector_reads_blueprint_text_as_text(data_builds, tmp_path):
    """`otelcol print-config` (the real confmap resolution) shows each payload as it was written."""
    from tracegen import versions
    from tracegen.toolchain.collector import build_test_distribution

    otelcol = build_test_distribution(versions.COLLECTOR_VERSION)
    env = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent-home", "HONEYCOMB_API_KEY": "k", "VENDOR_TOKEN": "t"}
    for name in COLLECTOR_PAYLOADS:
        built = data_builds[name]
        path = tmp_path / f"{name}.yaml"
        path.write_text(built.files["vm/collector/gateway.yaml"])
        result = consumers.run([str(otelcol), "print-config", f"--config=file:{path}", "--mode=unredacted",
                                "--validate=false", "--format=json"], env=env)
        assert result.returncode == 0, result.stderr
        strings = set(_strings(json.loads(result.stdout)))
        assert PAYLOADS[name] in strings, name
        assert "/nonexistent-home" not in "".join(strings), name


def _strings(data):
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for value in data.values():
            yield from _strings(value)
    elif isinstance(data, list):
        for value in data:
            yield from _strings(value)


def test_shell_words_read_back_by_sh():
    values = [p for p in PAYLOADS.values() if "\0" not in p]
    script = "printf '%s\\0' " + " ".join(encoding.shell_word(v) for v in values)
    result = subprocess.run(["sh", "-c", script], capture_output=True, timeout=60)   # bytes: keep \r as it is
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode("utf-8").split("\0")[:-1] == values
