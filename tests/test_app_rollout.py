"""The VM rollout turns tracing on for the services (issue 12, item 6): the Java agent for JVMs, pinned
by checksum; JAVA_TOOL_OPTIONS in their env file; a restart of each changed service through its unit in
the agents' canary-first batches, health-checked and rolled back by the otel_app role. The real rollout
on hosts is tests/e2e/test_ansible_jvm_rollout.py."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tracegen import versions
from tracegen.blueprint.loader import load_text
from tracegen.errors import BlueprintError
from tracegen.plan.builder import build_plan
from tracegen.targets import ansible as target
from tracegen.targets import java_agent

ROOT = Path(__file__).resolve().parent.parent
APP_ROLE = ROOT / "roles" / "otel_app"
JVM = (ROOT / "tests" / "e2e" / "ansible_harness" / "jvm-estate.yaml").read_text()
needs_ansible = pytest.mark.skipif(not shutil.which("ansible-lint") or not shutil.which("ansible-playbook"),
                                   reason="ansible-core and ansible-lint are not installed")


def _artifacts(text: str) -> dict:
    plan = build_plan(load_text(text, "bp.yaml"))
    return {a.path: a for a in target.build(plan)}


def _with(text: str, mutate) -> str:
    data = yaml.safe_load(text)
    mutate(data)
    return yaml.safe_dump(data, sort_keys=False)


def _python_service(data: dict) -> None:
    data["services"]["shop"] = {"version": "2.0.0", "language": "python", "owner": {"team": "web"}}
    data["environments"]["e2e"]["platform"]["vm"]["groups"]["ledger"]["services"].append("shop")


def test_the_pinned_java_agent_has_its_checksum():
    version = versions.SDK_VERSIONS_JAVA["opentelemetry-javaagent"]
    assert re.fullmatch(r"[0-9a-f]{64}", versions.JAVA_AGENT_SHA256[version])
    assert java_agent.URL.endswith(f"/io/opentelemetry/javaagent/opentelemetry-javaagent/{version}/"
                                   f"opentelemetry-javaagent-{version}.jar")


def test_jvm_services_get_java_tool_options_naming_the_versioned_jar():
    files = _artifacts(_with(JVM, _python_service))
    jvm = files["e2e/ansible/files/otel-env/ledger.env"].content
    version = versions.SDK_VERSIONS_JAVA["opentelemetry-javaagent"]
    assert f"\nJAVA_TOOL_OPTIONS=-javaagent:/opt/opentelemetry-javaagent/{version}/opentelemetry-javaagent.jar\n" in jvm
    assert "JAVA_TOOL_OPTIONS" not in files["e2e/ansible/files/otel-env/shop.env"].content


def test_agent_group_vars_name_each_services_unit_health_and_the_pinned_agent():
    files = _artifacts(_with(JVM, _python_service))
    data = yaml.safe_load(files["e2e/ansible/inventory/group_vars/otel_agents/tracegen.yml"].content)
    assert data["tracegen_apps"] == {
        "ledger": {"unit": "ledger.service", "health_url": "http://127.0.0.1:8081/health", "java_agent": True},
        "shop": {"unit": "shop.service", "health_url": "", "java_agent": False}}
    assert data["tracegen_restart_apps"] is True
    assert data["tracegen_app_service_manager"] == "systemd"
    assert data["tracegen_java_agent_url"] == java_agent.URL
    assert data["tracegen_java_agent_checksum"] == f"sha256:{java_agent.SHA256}"


def test_fleets_without_a_jvm_get_no_java_agent():
    text = _with(JVM, lambda d: d["services"]["ledger"].update(language="python"))
    files = _artifacts(text)
    data = yaml.safe_load(files["e2e/ansible/inventory/group_vars/otel_agents/tracegen.yml"].content)
    assert "tracegen_java_agent_url" not in data
    site = files["e2e/ansible/site.yml"].content
    assert "get_url" not in site and "Java agent" not in site


def _agent_tasks(files: dict) -> list[dict]:
    plays = yaml.safe_load(files["e2e/ansible/site.yml"].content)
    return next(p for p in plays if p["hosts"] == "otel_agents")["tasks"]


def test_the_agent_play_installs_the_jar_then_the_env_then_restarts_what_changed():
    files = _artifacts(JVM)
    plays = yaml.safe_load(files["e2e/ansible/site.yml"].content)
    agents = next(p for p in plays if p["hosts"] == "otel_agents")
    assert agents["serial"] == "{{ tracegen_agent_batches }}" and agents["vars"]["tracegen_agent_batches"][0] == 1
    tasks = agents["tasks"]
    names = [t["name"] for t in tasks]
    download = next(t for t in tasks if "ansible.builtin.get_url" in t)
    assert download["ansible.builtin.get_url"]["checksum"] == "{{ tracegen_java_agent_checksum }}"
    assert download["ansible.builtin.get_url"]["dest"] == java_agent.VM_JAR
    install = next(t for t in tasks if t["name"] == "Install the OTEL_* environment of the services on this host")
    assert install["ansible.builtin.copy"]["backup"] is True and install["register"] == "tracegen_env_files"
    restart = tasks[-1]
    assert restart["ansible.builtin.include_role"] == {"name": "otel_app"}
    assert names.index(download["name"]) < names.index(install["name"]) < len(names) - 1
    assert "selectattr('changed')" in restart["loop"]
    assert restart["when"] == "tracegen_restart_apps | bool and not ansible_check_mode"
    assert restart["vars"]["otel_app_env_file"] == "/etc/default/opentelemetry-{{ tracegen_service }}"
    assert "backup_file" in restart["vars"]["otel_app_env_backup"]
    # Only a file new in this run is emptied on rollback (a drop-in-only change keeps the env file).
    assert "rejectattr('backup_file', 'defined')" in restart["vars"]["otel_app_env_created"]


def test_the_blueprint_names_the_unit_and_its_health_url():
    text = _with(JVM, lambda d: d["services"]["ledger"]["vm"].update(unit="java-app@ledger.service"))
    files = _artifacts(text)
    data = yaml.safe_load(files["e2e/ansible/inventory/group_vars/otel_agents/tracegen.yml"].content)
    assert data["tracegen_apps"]["ledger"]["unit"] == "java-app@ledger.service"
    readme = files["e2e/ansible/README.md"].content
    assert "`ledger`: unit `java-app@ledger.service`, health `http://127.0.0.1:8081/health`" in readme
    assert "JAVA_TOOL_OPTIONS=-javaagent:" in readme


@pytest.mark.parametrize("field, value", [
    ("unit", "{{ lookup('pipe', 'id') }}.service"), ("unit", "ledger"), ("unit", "../etc/ledger.service"),
    ("unit", "a b.service"), ("health_url", "file:///etc/passwd"), ("health_url", "127.0.0.1:8081/health"),
    ("health_url", "http://127.0.0.1:8081/{{ x }}"),
])
def test_unit_and_health_url_refuse_what_is_not_one(field, value):
    text = _with(JVM, lambda d: d["services"]["ledger"]["vm"].update({field: value}))
    with pytest.raises(BlueprintError) as caught:
        load_text(text, "bp.yaml")
    assert re.match(r"bp\.yaml:\d+:\d+: ", str(caught.value))
    assert "lookup" not in str(caught.value)


def test_every_app_role_variable_is_specified_and_documented():
    spec = yaml.safe_load((APP_ROLE / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]["options"]
    defaults = yaml.safe_load((APP_ROLE / "defaults" / "main.yml").read_text())
    assert set(defaults) <= set(spec)
    assert all(spec[name].get("default") == value for name, value in defaults.items())
    readme = (APP_ROLE / "README.md").read_text()
    assert all(f"`{name}`" in readme for name in spec), [n for n in spec if f"`{name}`" not in readme]
    site = yaml.safe_load(_artifacts(JVM)["e2e/ansible/site.yml"].content)
    passed = set(site[-1]["tasks"][-1]["vars"])
    assert {name for name, option in spec.items() if option.get("required")} <= passed


@needs_ansible
def test_app_role_passes_ansible_lint_production_profile():
    result = subprocess.run(["ansible-lint", "--nocolor", "--offline", "--profile", "production", "roles/otel_app"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300, env={**os.environ, "NO_COLOR": "1"})
    assert result.returncode == 0, result.stdout + result.stderr
