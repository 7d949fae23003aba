"""Ansible's own templating never evaluates blueprint text (issue 11: a `{{ lookup('pipe', ...) }}` in
a VM address ran on the control node).

Every corpus field that accepts free text (`expect: data`) is set at once to a lookup that would
create a marker file, the blueprint is built with `tracegen build`, and ansible-core then reads the
generated VM rollout the way a user's run does, on localhost with connection=local (no network,
nothing installed):
- `ansible-inventory --list` loads the inventory, group_vars and host_vars;
- a probe play resolves every variable those files define through Templar (`lookup('vars', ...)`),
  and the names and addresses in them come back as the blueprint wrote them;
- site.yml's own tasks that install the services' environment files run in check mode with --diff,
  and what they would write is byte for byte the generated file.
- the role's own task that stages the collector configs (which hold blueprint text raw: header values,
  OTTL, policy values) runs for real into a temporary directory, and the staged files are the
  generated ones byte for byte.
No marker file may appear. (The env files carry resource attributes percent-encoded, so `{{` never
reaches them; the collector configs are where raw blueprint text meets Ansible.)
Fields that reach the inventory or vars as names (`ansible: true` in corpus.yaml, all `expect:
refused`) cannot carry `{{`: `tracegen check` refuses the lookup with `file:line:col` and exit 2.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import yaml

from test_injection import FIELDS, blueprint, write

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not (shutil.which("ansible-playbook") and shutil.which("ansible-inventory")),
                       reason="needs ansible-core (a test dependency of tracegen)"),
]

ROOT = Path(__file__).resolve().parents[2]
ROLES = ROOT / "roles"
CALLBACKS = Path(__file__).resolve().parent / "ansible_callbacks"    # record.py: results as JSON lines
ENV = "vm"                                   # base.yaml's VM environment with a static gateway list
START = "Install the OTEL_* environment of the services on this host"
TEXT_FIELDS = [f for f in FIELDS if f["expect"] == "data"]
NAME_FIELDS = [f for f in FIELDS if f.get("ansible")]


def lookup(marker: Path) -> str:
    return "{{ lookup('pipe', 'touch %s') }}" % marker


def ansible_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(ANSIBLE_ROLES_PATH=str(ROLES), ANSIBLE_LOCAL_TEMP=str(tmp / "ansible-tmp"),
               ANSIBLE_HOME=str(tmp / "ansible-home"), ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0",
               ANSIBLE_CALLBACK_PLUGINS=str(CALLBACKS), ANSIBLE_CALLBACKS_ENABLED="record",
               ANSIBLE_HOST_KEY_CHECKING="0", ANSIBLE_GATHERING="explicit")
    return env


def run(args: list[str], cwd: Path, tmp: Path) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env=ansible_env(tmp), capture_output=True, text=True, timeout=300,
                          stdin=subprocess.DEVNULL)


def play(args: list[str], cwd: Path, tmp: Path) -> list[dict]:
    """ansible-playbook `args`; the task results it recorded (record.py)."""
    record = tmp / f"record-{uuid.uuid4().hex}.jsonl"
    env = ansible_env(tmp) | {"TRACEGEN_RECORD_FILE": str(record)}
    result = subprocess.run(["ansible-playbook", *args], cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=300, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return [json.loads(line) for line in record.read_text().splitlines()]


@pytest.fixture(scope="module")
def rollout(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ansible-inject")
    token = uuid.uuid4().hex
    markers = {f["name"]: Path(f"/tmp/pwned-{token}-{f['name']}") for f in TEXT_FIELDS}
    source = write(tmp, blueprint([(f, lookup(markers[f["name"]])) for f in TEXT_FIELDS]))
    out = tmp / "out"
    built = subprocess.run(["tracegen", "build", str(source), "-o", str(out)], capture_output=True, text=True,
                           timeout=300, stdin=subprocess.DEVNULL)
    assert built.returncode == 0, built.stdout + built.stderr
    yield dict(tmp=tmp, markers=markers, token=token, playbooks=out / ENV / "ansible", out=out)
    for marker in markers.values():
        marker.unlink(missing_ok=True)


def assert_nothing_ran(rollout) -> None:
    ran = sorted(name for name, marker in rollout["markers"].items() if marker.exists())
    assert not ran, f"Ansible evaluated blueprint text of {ran}"


def _yaml_files(folder: Path) -> dict[str, object]:
    return {str(p.relative_to(folder)): yaml.safe_load(p.read_text()) for p in sorted(folder.rglob("*.yml"))}


def test_the_payloads_reach_the_files_ansible_installs(rollout):
    """Guards the test itself: the lookups are in the env files and collector configs Ansible ships."""
    playbooks = rollout["playbooks"]
    env_files = list((playbooks / "files" / "otel-env").glob("*.env"))
    assert env_files and all(rollout["token"] in p.read_text() for p in env_files)
    assert rollout["token"] in (rollout["out"] / ENV / "collector" / "gateway.yaml").read_text()


def test_ansible_inventory_lists_the_generated_hosts_and_vars_as_written(rollout):
    playbooks = rollout["playbooks"]
    result = run(["ansible-inventory", "-i", "inventory", "--list"], playbooks, rollout["tmp"])
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    inventory = yaml.safe_load((playbooks / "inventory" / "hosts.yml").read_text())
    agents = inventory["all"]["children"]["otel_agents"]["children"]["app_shop"]["hosts"]
    gateways = inventory["all"]["children"]["otel_gateways"]["hosts"]
    hostvars = listed["_meta"]["hostvars"]
    assert set(hostvars) >= set(agents) | set(gateways)
    for name, own in {**agents, **gateways}.items():
        for key, value in (own or {}).items():
            assert hostvars[name][key] == value
    host_vars = _yaml_files(playbooks / "inventory" / "host_vars")
    for file, values in host_vars.items():
        for key, value in values.items():
            assert hostvars[file.removesuffix(".yml")][key] == value
    assert_nothing_ran(rollout)


def test_every_variable_templates_to_what_tracegen_wrote(rollout):
    playbooks, tmp = rollout["playbooks"], rollout["tmp"]
    files = _yaml_files(playbooks / "inventory")
    names = sorted({key for values in files.values() if isinstance(values, dict) for key in values if key != "all"}
                   | {"ansible_host"})
    vault = sorted({word for path in (playbooks / "inventory").rglob("*.yml")
                    for word in re.findall(r"\bvault_\w+", path.read_text())})
    probe = tmp / "probe.yml"
    probe.write_text(yaml.safe_dump([{
        "name": "Probe", "hosts": "all", "connection": "local", "gather_facts": False,
        "tasks": [{"name": "Resolve", "ansible.builtin.debug": {
            "msg": "{{ dict(names | zip(names | map('extract', hostvars[inventory_hostname]) | list)) }}"},
            "vars": {"names": "{{ " + json.dumps(names) + " | select('in', hostvars[inventory_hostname]) | list }}"}}],
    }]))
    shutil.copy(probe, playbooks / "probe.yml")      # beside site.yml: the same playbook_dir
    extra = json.dumps({name: f"vault-value-of-{name}" for name in vault} | {"tracegen_sampling_mode": ""})
    records = play(["-i", "inventory", "probe.yml", "-e", extra], playbooks, tmp)
    resolved = {r["host"]: r["result"]["msg"] for r in records if r["task"] == "Resolve"}
    assert resolved
    hosts = yaml.safe_load((playbooks / "inventory" / "hosts.yml").read_text())["all"]["children"]
    for host, values in resolved.items():
        written = {**_group_vars(files, "all"), **_group_vars(files, _group_of(hosts, host)),
                   **(files.get(f"host_vars/{host}.yml") or {}), **_inventory_vars(hosts, host)}
        for key, value in written.items():
            if "{{" not in json.dumps(value):        # tracegen's own expressions: playbook_dir, vault_*
                assert values[key] == value, (host, key)
        if "tracegen_gateway_endpoints" in written:
            assert values["tracegen_gateway_endpoints"] == written["tracegen_gateway_endpoints"]
    assert_nothing_ran(rollout)


def _group_of(hosts: dict, host: str) -> str:
    return "otel_gateways" if host in hosts["otel_gateways"]["hosts"] else "otel_agents"


def _group_vars(files: dict, group: str) -> dict:
    return files.get(f"group_vars/{group}/tracegen.yml") or {}


def _inventory_vars(hosts: dict, host: str) -> dict:
    for group in (hosts["otel_gateways"], *hosts["otel_agents"]["children"].values()):
        if host in group.get("hosts", {}):
            return group["hosts"][host] or {}
    return {}


def test_site_yml_installs_the_env_files_byte_for_byte(rollout):
    """site.yml's own tasks, from the env-file installation on, in check mode against localhost."""
    playbooks, tmp = rollout["playbooks"], rollout["tmp"]
    host = next(iter(yaml.safe_load((playbooks / "inventory" / "hosts.yml").read_text())
                     ["all"]["children"]["otel_agents"]["children"]["app_shop"]["hosts"]))
    extra = json.dumps({"ansible_connection": "local", "ansible_become": False, "ansible_python_interpreter":
                        sys.executable, "otel_collector_service_manager": "none"})
    records = play(["-i", "inventory", "site.yml", "--check", "--diff", "--limit", host, "--start-at-task", START,
                    "-e", extra], playbooks, tmp)
    install = next(r for r in records if r["task"] == START and r["status"] == "ok")["result"]["results"]
    services = yaml.safe_load((playbooks / "inventory" / "host_vars" / f"{host}.yml").read_text())["tracegen_services"]
    assert [r["item"] for r in install] == services
    for item in install:
        [diff] = item["diff"]
        assert diff["after"] == (playbooks / "files" / "otel-env" / f"{item['item']}.env").read_text(), item["item"]
    assert_nothing_ran(rollout)


def test_the_roles_staging_task_ships_the_collector_configs_byte_for_byte(rollout):
    """The configs carry blueprint text raw (header values, OTTL, policy values, the mode's overlay).
    The role's own staging task (read from roles/otel_collector/tasks/config.yml, so a switch to
    `template` shows here) runs against localhost with the gateway's inventory vars, into a temporary
    config directory."""
    playbooks, tmp = rollout["playbooks"], rollout["tmp"]
    config_tasks = yaml.safe_load((ROLES / "otel_collector" / "tasks" / "config.yml").read_text())
    staging = next(task for task in config_tasks if "otel_collector_config_srcs" in json.dumps(task.get("loop", "")))
    gateway = next(iter(yaml.safe_load((playbooks / "inventory" / "hosts.yml").read_text())
                        ["all"]["children"]["otel_gateways"]["hosts"]))
    config_dir = tmp / "etc-otelcol"
    (config_dir / "staged").mkdir(parents=True)
    probe = playbooks / "probe-staging.yml"
    probe.write_text(yaml.safe_dump([{
        "name": "Stage", "hosts": gateway, "gather_facts": False,
        "vars_files": [str(ROLES / "otel_collector" / "vars" / "main.yml")], "tasks": [staging]}]))
    modes = sorted(p.stem for p in (rollout["out"] / ENV / "collector" / "modes").glob("*.yaml") if p.stem != "baseline")
    extra = json.dumps({"ansible_connection": "local", "ansible_become": False, "ansible_python_interpreter":
                        sys.executable, "otel_collector_config_dir": str(config_dir), "otel_collector_group": "root",
                        "tracegen_sampling_mode": modes[0]})
    play(["-i", "inventory", probe.name, "-e", extra], playbooks, tmp)
    staged = sorted(p.name for p in (config_dir / "staged").iterdir())
    assert staged == ["config.yaml", "overlay-1.yaml"]
    collector = rollout["out"] / ENV / "collector"
    assert (config_dir / "staged" / "config.yaml").read_bytes() == (collector / "gateway.yaml").read_bytes()
    assert (config_dir / "staged" / "overlay-1.yaml").read_bytes() == (collector / "modes" / f"{modes[0]}.yaml").read_bytes()
    assert rollout["token"] in (config_dir / "staged" / "config.yaml").read_text()
    assert_nothing_ran(rollout)


@pytest.mark.parametrize("fld", NAME_FIELDS, ids=lambda f: f["name"])
def test_names_reaching_ansible_files_refuse_jinja_at_check(fld, tmp_path):
    marker = tmp_path / "pwned"
    source = write(tmp_path, blueprint([(fld, lookup(marker))]))
    result = subprocess.run(["tracegen", "check", str(source)], capture_output=True, text=True, timeout=120,
                            stdin=subprocess.DEVNULL)
    assert result.returncode == 2, (fld["name"], result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    # one line per problem found (a host may be written two ways, so pydantic reports both), each with a position
    assert lines and all(re.match(rf"{re.escape(str(source))}:\d+:\d+: ", line) for line in lines), lines
    assert not marker.exists()
    if not fld.get("key"):   # a refused key is named in the path of its message (as test_injection allows)
        assert "lookup(" not in result.stderr
