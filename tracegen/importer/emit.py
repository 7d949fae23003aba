"""The draft as blueprint YAML: data serialised once (tracegen.serialize), then each note placed as a
`# tracegen import:` comment line above the key it concerns (found by parsing the emitted text with
positions). A note's text is encoded as one comment line (tracegen.encoding.comment): no value from
the imported config can end the comment or start YAML of its own."""

from __future__ import annotations

from tracegen import encoding
from tracegen.blueprint.source import parse_yaml
from tracegen.importer import Draft
from tracegen.serialize import to_yaml

PREFIX = "# tracegen import: "
MODELINE = "# yaml-language-server: $schema=./tracegen.schema.json\n"


def render(draft: Draft, sources: list[str]) -> str:
    body = to_yaml(draft.data, sort_keys=False)
    _, source = parse_yaml(body, "<draft>")
    lines = body.split("\n")
    above: dict[int, list[str]] = {}
    header = []
    for path, text in draft.notes:
        position = source.locate(path) if path else None
        comment = PREFIX + encoding.comment(text)
        if position is None:
            header.append(comment)
            continue
        line, column = position
        above.setdefault(line, []).append(" " * (column - 1) + comment)
    out = [MODELINE.rstrip("\n"),
           "# A draft blueprint written by `tracegen import` from: "
           + encoding.comment(", ".join(sources)) + ".",
           "# Review every `tracegen import:` comment, then `tracegen check` and `tracegen build` it.",
           *header]
    for number, line in enumerate(lines, start=1):
        seen: set[str] = set()
        for comment in above.get(number, []):
            if comment not in seen:
                seen.add(comment)
                out.append(comment)
        out.append(line)
    return "\n".join(out)
