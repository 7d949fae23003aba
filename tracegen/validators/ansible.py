"""Ansible rollouts against Ansible itself: per environment, `ansible-inventory --list` loads the
inventory with its group_vars and host_vars, `ansible-playbook --syntax-check` parses the playbook
with the `otel_collector` role it runs, and ansible-lint judges playbook, inventory and vars with the
production profile. The role is looked up beside tracegen's package (`roles/`, a checkout or an
editable install), after whatever `ANSIBLE_ROLES_PATH` already lists."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from tracegen.validators import EXTRA, Check

NAME = "ansible"
KINDS = {"ansible-playbook", "ansible-inventory", "ansible-vars"}
PROFILE = "production"
PLAYBOOK = "site.yml"
INVENTORY = "inventory"
TIMEOUT = 300


def roles_path() -> str:
    """ANSIBLE_ROLES_PATH with the repository's roles/ added, if it is there."""
    bundled = Path(__file__).resolve().parents[2] / "roles"
    given = [p for p in os.environ.get("ANSIBLE_ROLES_PATH", "").split(os.pathsep) if p]
    return os.pathsep.join(given + ([str(bundled)] if bundled.is_dir() else []))


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update({"ANSIBLE_ROLES_PATH": roles_path(), "ANSIBLE_NOCOLOR": "1", "NO_COLOR": "1",
                "ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_RETRY_FILES_ENABLED": "0"})
    return env


def _run(command: list[str], cwd: Path) -> tuple[bool, str]:
    try:
        result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=_env(), timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return False, f"`{' '.join(command)}` did not finish in {TIMEOUT}s"
    output = (result.stdout + result.stderr).strip()
    return result.returncode == 0, output


def syntax_check(directory: Path) -> tuple[bool, str]:
    ok, output = _run(["ansible-playbook", "-i", INVENTORY, PLAYBOOK, "--syntax-check"], directory)
    return ok, output if not ok else f"ansible-playbook --syntax-check: {output.splitlines()[-1] if output else 'ok'}"


def inventory_check(directory: Path) -> tuple[bool, str]:
    ok, output = _run(["ansible-inventory", "-i", INVENTORY, "--list"], directory)
    if not ok or ("[WARNING]" in output and "Invalid characters" in output):
        return False, output
    return True, "ansible-inventory --list loads it"


def lint(directory: Path) -> tuple[bool, str]:
    ok, output = _run(["ansible-lint", "--nocolor", "--offline", "--profile", PROFILE, "--project-dir", ".",
                       PLAYBOOK, INVENTORY], directory)
    last = output.splitlines()[-1] if output else ""
    return ok, f"ansible-lint ({PROFILE} profile): {last}" if ok else output


def _by_directory(entries: list[dict]) -> dict[PurePosixPath, list[dict]]:
    """Group artifacts by their `<env>/ansible` directory."""
    grouped: dict[PurePosixPath, list[dict]] = defaultdict(list)
    for entry in entries:
        path = PurePosixPath(entry["path"])
        parts = path.parts
        root = PurePosixPath(*parts[:2]) if len(parts) > 2 and parts[1] == "ansible" else path.parent
        grouped[root].append(entry)
    return grouped


def validate(directory: Path, entries: list[dict]) -> Iterator[Check]:
    missing = [tool for tool in ("ansible-playbook", "ansible-inventory", "ansible-lint") if not shutil.which(tool)]
    for root, items in sorted(_by_directory(entries).items()):
        items = sorted(items, key=lambda e: e["path"])
        if missing:
            for entry in items:
                yield Check(entry["path"], NAME, "skip",
                            f"{', '.join(missing)} not installed: {EXTRA}")
            continue
        folder = directory / root
        results = {"ansible-inventory": inventory_check(folder), "ansible-playbook": syntax_check(folder)}
        linted = lint(folder)
        for entry in items:
            loader = "ansible-playbook" if entry["kind"] == "ansible-playbook" else "ansible-inventory"
            checks = [results[loader], linted]
            failed = [detail for ok, detail in checks if not ok]
            yield Check(entry["path"], NAME, "fail" if failed else "ok",
                        "\n".join(failed) if failed else "; ".join(detail for _, detail in checks))
