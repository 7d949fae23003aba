"""`tracegen lint --fix`: rename components to the names the target collector loads, in place.

Every edit replaces one component name at the position the parser recorded for it (its definition
key, each pipeline reference); every other byte of the file, comments and layout included, stays as
it was. Running it again changes nothing. An edit whose text is not where the parser said (a config
in a quoted ConfigMap string) is left alone and reported.
"""

from __future__ import annotations

from dataclasses import dataclass

from tracegen.lint.config import CollectorConfig
from tracegen.lint.rules._common import Rename, renamed_id, renames
from tracegen.lint.rules.tl402_undefined_component import DEFINED_IN


@dataclass(frozen=True)
class Edit:
    line: int
    column: int
    old: str
    new: str


def edits(config: CollectorConfig, version: str) -> list[Edit]:
    changes: dict[tuple[str, str], Rename] = renames(config, version)
    found = []
    for (section, component_id), change in changes.items():
        position = config.source.positions.get((section, component_id))
        if position:
            found.append(Edit(*position, component_id, renamed_id(component_id, change)))
    for name, pipeline in config.pipelines():
        for role, sections in DEFINED_IN.items():
            for index, item in enumerate(pipeline[role]):
                change = next((changes[(s, item)] for s in sections if (s, item) in changes), None)
                position = config.source.positions.get(("service", "pipelines", name, role, index))
                if change and position:
                    found.append(Edit(*position, item, renamed_id(item, change)))
    return found


def apply(text: str, planned: list[Edit]) -> tuple[str, list[Edit]]:
    """The text with the edits made, and the edits whose name was not found where expected."""
    lines = text.split("\n")
    skipped = []
    for edit in sorted(set(planned), key=lambda e: (e.line, e.column), reverse=True):
        line = lines[edit.line - 1] if edit.line <= len(lines) else ""
        start = edit.column - 1
        if line[start:start + 1] in ("'", '"'):
            start += 1
        end = start + len(edit.old)
        if line[start:end] != edit.old or (end < len(line) and (line[end].isalnum() or line[end] in "_/")):
            skipped.append(edit)
            continue
        lines[edit.line - 1] = line[:start] + edit.new + line[end:]
    return "\n".join(lines), skipped
