"""A TreeDiff for people (`text`, Terraform-style) or machines (`json`). Both are stable: files in
path order, changes in key order, every value already redacted; text output is terminal-safe."""

from __future__ import annotations

import difflib
import json
from typing import Any

from tracegen.diff.model import Change, FileDiff, TreeDiff
from tracegen.encoding.text import terminal_line, terminal_safe

FORMATS = ("text", "json")
SYMBOLS = {"added": "+", "changed": "~", "removed": "-", "reordered": "~"}
INLINE_WIDTH = 72
JSON_VERSION = 1


def render(tree: TreeDiff, fmt: str = "text") -> str:
    """`tree` as text (summary per artifact kind, then each file's changes) or as a JSON document."""
    if fmt == "json":
        return json.dumps(as_json(tree), indent=2, sort_keys=True, ensure_ascii=True) + "\n"
    if fmt != "text":
        raise ValueError(f"unknown diff format {fmt!r}; known: {', '.join(FORMATS)}")
    return terminal_safe(_text(tree))


def as_json(tree: TreeDiff) -> dict[str, Any]:
    return {
        "version": JSON_VERSION,
        "old": tree.old,
        "new": tree.new,
        "changed": tree.changed,
        "summary": tree.summary(),
        "totals": tree.totals(),
        "data_loss": [{"path": f.path, "where": c.where, "reason": c.data_loss} for f, c in tree.data_loss()],
        "files": [_file_json(f) for f in tree.files],
        "notes": list(tree.notes),
    }


def _file_json(diff: FileDiff) -> dict[str, Any]:
    return {"path": diff.path, "kind": diff.kind, "status": diff.status, "environment": diff.environment,
            "service": diff.service,
            "changes": [{"op": c.op, "path": list(c.path), "where": c.where, "old": c.old, "new": c.new,
                         "data_loss": c.data_loss} for c in diff.changes],
            "text_diff": list(diff.text) if diff.text is not None else None}


def _text(tree: TreeDiff) -> str:
    lines = [f"tracegen diff: {tree.old} -> {tree.new}"]
    lines += [f"note: {note}" for note in tree.notes]
    if not tree.changed:
        return "\n".join(lines + ["No changes: the two builds are the same."]) + "\n"
    lines += ["", "Artifact kind" + " " * 13 + "add  change  remove"]
    for kind, counts in tree.summary().items():
        lines.append(f"  {kind:<24}{counts['added']:>3}  {counts['changed']:>6}  {counts['removed']:>6}")
    for diff in tree.files:
        lines.append("")
        lines += _file_text(diff)
    totals = tree.totals()
    lines.append("")
    losses = tree.data_loss()
    if losses:
        lines.append(f"! {len(losses)} change(s) can lose data:")
        lines += [f"!   {terminal_line(f.path)}: {terminal_line(c.where or '(whole file)')}: {c.data_loss}"
                  for f, c in losses]
    lines.append(f"Diff: {totals['added']} to add, {totals['changed']} to change, {totals['removed']} to remove.")
    return "\n".join(lines) + "\n"


def _file_text(diff: FileDiff) -> list[str]:
    about = ", ".join(x for x in (diff.kind, diff.environment and f"env {diff.environment}",
                                  diff.service and f"service {diff.service}") if x)
    lines = [f"{SYMBOLS[diff.status]} {terminal_line(diff.path)} ({about})"]
    group = None
    for change in diff.changes:
        if diff.objects and len(change.path) > 1:
            if change.path[0] != group:
                group = change.path[0]
                lines.append(f"    {terminal_line(str(group))}")
            lines += _change_text(Change(change.op, change.path[1:], change.old, change.new, change.data_loss),
                                  indent="  ")
            continue
        group = None
        lines += _change_text(change)
    if diff.text is not None:
        lines += [f"    {line}" for line in diff.text[2:]]    # the ---/+++ header repeats the path
    return lines


def _change_text(change: Change, whole: str = "(whole file)", indent: str = "") -> list[str]:
    lead = f"  {'!' if change.data_loss else ' '} {indent}"
    where = terminal_line(change.where or whole)   # a path is one line: a key's line feed cannot forge one
    flag = [f"{lead}  data loss: {change.data_loss}"] if change.data_loss else []
    if change.op == "changed" and _multiline(change.old) and _multiline(change.new):
        hunks = list(difflib.unified_diff(change.old.split("\n"), change.new.split("\n"), n=2, lineterm=""))[2:]
        return [f"{lead}~ {where}:", *flag, *(f"      {indent}{line}" for line in hunks)]
    if change.op == "changed":
        return [f"{lead}~ {where}: {_inline(change.old)} -> {_inline(change.new)}", *flag]
    if change.op == "reordered":
        return [f"{lead}~ {where}: order {_inline(change.old)} -> {_inline(change.new)}", *flag]
    value = change.new if change.op == "added" else change.old
    head = f"{lead}{SYMBOLS[change.op]} {where}"
    if value is None:
        return [head, *flag]
    if not isinstance(value, (dict, list)) or len(_inline(value)) <= INLINE_WIDTH:
        return [f"{head}: {_inline(value)}", *flag]
    return [head, *flag, *(f"      {indent}{line}" for line in _block(value))]


def _multiline(value: Any) -> bool:
    return isinstance(value, str) and "\n" in value.strip()


def _inline(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _block(value: Any) -> list[str]:
    import yaml

    return yaml.safe_dump(value, sort_keys=True, default_flow_style=False, allow_unicode=True).rstrip("\n").split("\n")
