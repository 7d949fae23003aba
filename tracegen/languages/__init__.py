"""Languages, one module each, registered in LANGUAGES: the facts about a language's SDK that the
planner (OTLP protocol), the planner's refusals (propagators the bootstrap can build), the blueprint
schema (NAMES) and the SDK target (template directory) read. The SDK output itself is
tracegen/targets/sdk/<language>.py with templates in tracegen/templates/sdk/<language>/
(CONTRIBUTING.md)."""

from __future__ import annotations

from tracegen.languages import go, java, node, python
from tracegen.languages.base import Language

LANGUAGES: dict[str, Language] = {lang.name: lang for lang in (
    node.LANGUAGE,
    java.LANGUAGE,
    go.LANGUAGE,
    python.LANGUAGE,
)}
NAMES: tuple[str, ...] = tuple(LANGUAGES)


def get(name: str) -> Language:
    return LANGUAGES[name]


__all__ = ["LANGUAGES", "NAMES", "Language", "get"]
