"""attributes / redaction / transform processors -> `standards.pii`, `pii_value_patterns`,
`sanitize_sql`. Only what the blueprint can say is mapped; the rest gets a comment."""

from __future__ import annotations

import re
from typing import Any

from tracegen.blueprint import model
from tracegen.importer import Draft

ATTRIBUTE_KEY = re.compile(model.ATTRIBUTE_KEY)
_WHERE = r'(?:\s+where\s+.*)?$'
# OTTL statements with a blueprint equivalent: delete an attribute; hash one (SHA256 of it written
# to another key, the original deleted, as the OpenTelemetry demo does).
OTTL_DELETE = re.compile(r'^\s*delete_key\(\s*attributes\s*,\s*"([^"\\]+)"\s*\)' + _WHERE)
OTTL_HASH = re.compile(r'^\s*set\(\s*attributes\["([^"\\]+)"\]\s*,\s*(?:SHA256|SHA1|FNV|Murmur3Hash)\(\s*attributes\["([^"\\]+)"\]\s*\)\s*\)'
                       + _WHERE)
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


def transform(draft: Draft, component_id: str, settings: dict[str, Any]) -> bool:
    """OTTL span statements that delete or hash an attribute -> `standards.pii`. Returns whether any
    statement was mapped; each statement that was not gets a comment."""
    statements: list[str] = []
    for group in settings.get("trace_statements") or []:
        if isinstance(group, str):
            statements.append(group)
        elif isinstance(group, dict) and group.get("context", "span") == "span":
            statements.extend(st for st in group.get("statements") or [] if isinstance(st, str))
    hashed = {m.group(2): m.group(1) for m in map(OTTL_HASH.match, statements) if m}
    rules = draft.data.setdefault("standards", {}).setdefault("pii", [])
    mapped = False
    for index, statement in enumerate(statements):
        deleted, copy = OTTL_DELETE.match(statement), OTTL_HASH.match(statement)
        key = deleted.group(1) if deleted else None
        if key and ATTRIBUTE_KEY.match(key) and not any(r["key"] == key for r in rules):
            action = "hash" if key in hashed else "delete"
            rules.append({"key": key, "action": action})
            if action == "hash":
                draft.note(f"{component_id}: {key} is hashed in place (tracegen keeps the key; the original wrote "
                           f"the hash to {hashed[key]})", ("standards",))
            mapped = True
        elif not (copy and copy.group(2) in hashed) and not (key and any(r["key"] == key for r in rules)):
            draft.note(f"{component_id} statement {index + 1} is not a PII rule tracegen can express; not imported",
                       ("standards",))
    if not rules:
        draft.data["standards"].pop("pii")
    return mapped
