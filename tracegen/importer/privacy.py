"""attributes / redaction / transform processors -> `standards.pii`, `pii_value_patterns`,
`sanitize_sql`. Only what the blueprint can say is mapped; the rest gets a comment."""

from __future__ import annotations

import re
from typing import Any

from tracegen.blueprint import model
from tracegen.importer import Draft

ATTRIBUTE_KEY = re.compile(model.ATTRIBUTE_KEY)
ACTIONS = {"delete": "delete", "hash": "hash"}


def attributes(draft: Draft, component_id: str, settings: dict[str, Any]) -> None:
    standards = draft.data.setdefault("standards", {})
    for index, action in enumerate(settings.get("actions") or []):
        if not isinstance(action, dict):
            continue
        key, verb = action.get("key"), action.get("action")
        if verb in ACTIONS and isinstance(key, str) and ATTRIBUTE_KEY.match(key):
            rules = standards.setdefault("pii", [])
            if not any(r["key"] == key for r in rules):
                rules.append({"key": key, "action": ACTIONS[verb]})
        else:
            draft.note(f"{component_id} action {index + 1} ({verb}) is not a PII rule tracegen can express; not "
                       "imported (a transform processor is where such edits live)", ("standards",))


def redaction(draft: Draft, component_id: str, settings: dict[str, Any]) -> None:
    standards = draft.data.setdefault("standards", {})
    for pattern in settings.get("blocked_values") or []:
        if isinstance(pattern, str):
            try:
                re.compile(pattern)
            except re.error:
                draft.note(f"{component_id}: a blocked_values pattern is not a regular expression Python reads; "
                           "not imported", ("standards",))
                continue
            patterns = standards.setdefault("pii_value_patterns", [])
            if pattern not in patterns:
                patterns.append(pattern)
    if settings.get("db_sanitizer"):
        standards["sanitize_sql"] = True
    if settings.get("allowed_keys") or settings.get("blocked_key_patterns"):
        draft.note(f"{component_id}: allowed_keys / blocked_key_patterns are not imported; list PII keys under "
                   "standards.pii", ("standards",))
