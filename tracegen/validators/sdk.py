"""SDK output checked with each language's own tools (npm/node, javac/mvn, go, python), where they
are installed. One checker module per language, named in LANGUAGE_CHECKERS; each has
`check(directory: Path, service_dir: str, entries: list[dict]) -> Iterator[Check]`."""

from __future__ import annotations

import importlib
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from tracegen import languages
from tracegen.validators import Check

NAME = "sdk"
KINDS = {"sdk-code", "sdk-deps", "sdk-env"}
LANGUAGE_CHECKERS = {
    "node": "tracegen.validators.sdk_node",
    "python": "tracegen.validators.sdk_python",
    "java": "tracegen.validators.sdk_java",
    "go": "tracegen.validators.sdk_go",
    "rust": "tracegen.validators.sdk_rust",
}


def validate(directory: Path, entries: list[dict]) -> Iterator[Check]:
    services: dict[tuple[str, str, str], list[dict]] = defaultdict(list)
    for entry in entries:
        if entry.get("service") and entry.get("language"):
            # sdk/<service>/... (the code) or <env>/sdk/<service>/otel.env (an environment's values)
            service_dir = entry["path"].split(f"sdk/{entry['service']}/", 1)[0] + f"sdk/{entry['service']}"
            services[(service_dir, entry["service"], entry["language"])].append(entry)
    for (service_dir, _service, language), items in sorted(services.items()):
        # Kotlin and Scala services get the Java output, checked as Java (languages: sdk_output).
        module_name = LANGUAGE_CHECKERS.get(languages.get(language).sdk_output or language) \
            if language in languages.ACCEPTED else None
        try:
            checker = importlib.import_module(module_name) if module_name else None
        except ModuleNotFoundError:
            checker = None
        if checker is None:
            for entry in items:
                if entry["kind"] != "sdk-env":
                    yield Check(entry["path"], NAME, "skip", f"no {language} checker")
            continue
        yield from checker.check(directory, service_dir, items)
