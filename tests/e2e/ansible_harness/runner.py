"""Run the generated playbook from the lab namespace and read what Ansible reports."""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.e2e.ansible_harness.estate import Estate
from tracegen.validators.ansible import roles_path

RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)"
                   r"\s+rescued=(\d+)\s+ignored=(\d+)", re.MULTILINE)


@dataclass(frozen=True)
class Run:
    returncode: int
    output: str
    recap: dict[str, dict[str, int]]     # host -> ok/changed/unreachable/failed/skipped/rescued/ignored

    def changed(self, host: str) -> int:
        return self.recap[host]["changed"]

    def failed(self, host: str) -> int:
        return self.recap[host]["failed"]


def parse_recap(output: str) -> dict[str, dict[str, int]]:
    keys = ("ok", "changed", "unreachable", "failed", "skipped", "rescued", "ignored")
    _, _, tail = output.rpartition("PLAY RECAP")
    return {m.group(1): dict(zip(keys, map(int, m.groups()[1:]))) for m in RECAP.finditer(tail)}


def run_playbook(estate: Estate, ansible_dir: Path, extra_vars: dict, log: Path, *args: str,
                 timeout: float = 900) -> Run:
    """`ansible-playbook -i inventory site.yml` as an operator runs it; extra vars (which stand in for
    the operator's own inventory and vault) come from a JSON file, never the command line."""
    vars_file = log.with_suffix(".vars.json")
    vars_file.write_text(json.dumps(extra_vars))
    vars_file.chmod(0o600)
    command = estate.in_lab(["ansible-playbook", "-i", "inventory", "site.yml", "-e", f"@{vars_file}", *args])
    # The role comes from this repository's roles/, as `tracegen validate` finds it.
    env = {**estate.ansible_env(), "ANSIBLE_ROLES_PATH": roles_path(),
           "ANSIBLE_LOG_PATH": str(log.with_suffix(".timed.log"))}   # timestamped, for a slow or failed run
    result = subprocess.run(command, cwd=ansible_dir, env=env, capture_output=True, text=True,
                            timeout=timeout)
    output = result.stdout + result.stderr
    log.write_text(output)
    return Run(result.returncode, output, parse_recap(output))
