"""Languages, one module each, registered in LANGUAGES: the facts about a language's SDK that the
planner (OTLP protocol, overhead), the planner's refusals (propagators the bootstrap can build), the
blueprint schema (ACCEPTED: names and aliases), the SDK target (sdk_output), the Operator target
(operator_inject) and rule TG701 (install) read. The SDK output itself is
tracegen/targets/sdk/<sdk_output>.py with templates in tracegen/templates/sdk/<sdk_output>/
(CONTRIBUTING.md).

Aliases (javascript and typescript for node, elixir for erlang) are resolved when the blueprint is
validated, silently: everything after validation, the manifest included, sees the canonical name."""

from __future__ import annotations

from tracegen.languages import cpp, dotnet, erlang, go, java, kotlin, node, none, php, python, ruby, rust, scala, swift
from tracegen.languages.base import Language

LANGUAGES: dict[str, Language] = {lang.name: lang for lang in (
    node.LANGUAGE,
    java.LANGUAGE,
    go.LANGUAGE,
    python.LANGUAGE,
    dotnet.LANGUAGE,
    ruby.LANGUAGE,
    php.LANGUAGE,
    rust.LANGUAGE,
    cpp.LANGUAGE,
    erlang.LANGUAGE,
    swift.LANGUAGE,
    kotlin.LANGUAGE,
    scala.LANGUAGE,
    none.LANGUAGE,
)}
NAMES: tuple[str, ...] = tuple(LANGUAGES)
ALIASES: dict[str, str] = {alias: lang.name for lang in LANGUAGES.values() for alias in lang.aliases}
# What a blueprint's `language` accepts: every name, then every alias.
ACCEPTED: tuple[str, ...] = NAMES + tuple(ALIASES)


def canonical(name: str) -> str:
    """The registered name of `name`, through its alias if it is one."""
    return ALIASES.get(name, name)


def get(name: str) -> Language:
    return LANGUAGES[canonical(name)]


__all__ = ["ACCEPTED", "ALIASES", "LANGUAGES", "NAMES", "Language", "canonical", "get"]
