"""A callback for tests: every task result (and loop item result) as one JSON line in
$TRACEGEN_RECORD_FILE, so a test reads what Ansible resolved without the ansible.posix collection."""

from __future__ import annotations

import json
import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: record
type: aggregate
short_description: write task results as JSON lines to $TRACEGEN_RECORD_FILE
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "record"
    CALLBACK_NEEDS_ENABLED = True

    def _write(self, result, status: str) -> None:
        line = {"status": status, "task": result.task_name, "host": result._host.get_name(),
                "result": result._result}
        with open(os.environ["TRACEGEN_RECORD_FILE"], "a", encoding="utf-8") as out:
            out.write(json.dumps(line, default=str) + "\n")

    def v2_runner_on_ok(self, result):
        self._write(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._write(result, "failed")

    def v2_runner_item_on_ok(self, result):
        self._write(result, "item_ok")
