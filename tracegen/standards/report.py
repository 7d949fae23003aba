"""Render standards findings for people (text), scripts (json) and code-scanning UIs (SARIF 2.1.0)."""

from __future__ import annotations

import json
import os
from collections import Counter
from importlib import metadata
from pathlib import PurePath
from types import ModuleType
from urllib.parse import quote

from tracegen import __version__
from tracegen.standards.finding import Finding, Severity
from tracegen.standards.rules import RULES

FORMATS = ("text", "json", "sarif")
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def render(findings: list[Finding], fmt: str = "text", rules: dict[str, ModuleType] = RULES) -> str:
    """The report as one string ending in a newline; `fmt` is one of FORMATS."""
    if fmt == "text":
        return _text(findings)
    if fmt == "json":
        return json.dumps([_record(f) for f in findings], indent=2) + "\n"
    if fmt == "sarif":
        return json.dumps(_sarif(findings, rules), indent=2) + "\n"
    raise ValueError(f"unknown report format {fmt!r}; one of {', '.join(FORMATS)}")


def summary(findings: list[Finding]) -> str:
    """`2 errors, 1 warning (1 suppressed)`: counts of the findings that were not suppressed."""
    active = Counter(f.severity for f in findings if not f.suppressed)
    parts = [_count(active[Severity.ERROR], "error"), _count(active[Severity.WARNING], "warning")]
    if active[Severity.INFO]:
        parts.append(f"{active[Severity.INFO]} info")
    suppressed = sum(1 for f in findings if f.suppressed)
    return ", ".join(parts) + (f" ({suppressed} suppressed)" if suppressed else "")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _text(findings: list[Finding]) -> str:
    # Suppressed findings are counted, not printed: the reason is already written in the blueprint.
    lines = [f.text() for f in findings if not f.suppressed]
    return "\n".join(lines + [summary(findings)]) + "\n"


def _record(finding: Finding) -> dict:
    return {"code": finding.code, "name": finding.name, "severity": finding.severity.value,
            "message": finding.message, "file": finding.file, "line": finding.line, "column": finding.column,
            "path": finding.dotted_path, "environment": finding.environment, "suppressed": finding.suppressed}


# --------------------------------------------------------------------------- SARIF
def _doc_parts(rule: ModuleType) -> tuple[str, str]:
    """(why, full text) from a rule docstring: header line, blank, the why paragraph, examples."""
    doc = (rule.__doc__ or "").strip()
    paragraphs = doc.split("\n\n")
    why = " ".join(paragraphs[1].split()) if len(paragraphs) > 1 else doc
    return why, doc


def _first_sentence(text: str) -> str:
    head, dot, _ = text.partition(". ")
    return head + "." if dot else text


def _descriptor(code: str, rule: ModuleType) -> dict:
    why, doc = _doc_parts(rule)
    return {
        "id": code,
        "name": rule.NAME,
        "shortDescription": {"text": _first_sentence(why)},
        "fullDescription": {"text": why},
        "help": {"text": doc, "markdown": _markdown(doc)},
        "defaultConfiguration": {"level": SARIF_LEVEL[rule.SEVERITY]},
        "properties": {"tags": [rule.NAME.split(".")[0]]},
    }


def _markdown(doc: str) -> str:
    """Indented example blocks become fenced YAML so code-scanning UIs render them as code."""
    out: list[str] = []
    block: list[str] = []

    def flush() -> None:
        while block and not block[-1].strip():
            block.pop()
        if block:
            out.extend(["```yaml", *block, "```", ""])
            block.clear()

    for line in doc.splitlines():
        if line.startswith("    ") or (block and not line.strip()):
            block.append(line[4:])
        else:
            flush()
            out.append(line)
    flush()
    return "\n".join(out).strip() + "\n"


def _uri(file: str) -> str:
    """A relative URI for the blueprint: relative to the working directory when possible."""
    path = file
    if os.path.isabs(path):
        try:
            path = os.path.relpath(path)
        except ValueError:  # another drive on Windows
            pass
    return quote(PurePath(path).as_posix(), safe="/.-_~")


def _result(finding: Finding, index: dict[str, int]) -> dict:
    location: dict = {"artifactLocation": {"uri": _uri(finding.file)}}
    if finding.line:
        region = {"startLine": finding.line}
        if finding.column:
            region["startColumn"] = finding.column
        location["region"] = region
    result = {
        "ruleId": finding.code,
        "level": SARIF_LEVEL[finding.severity],
        "message": {"text": finding.message + (f" [{finding.environment}]" if finding.environment else "")},
        "locations": [{"physicalLocation": location}],
        "partialFingerprints": {"tracegenFinding/v1": f"{finding.code}:{finding.dotted_path}:"
                                                      f"{finding.environment or ''}"},
        "properties": {"path": finding.dotted_path, "environment": finding.environment},
    }
    if finding.code in index:
        result["ruleIndex"] = index[finding.code]
    if finding.suppressed:
        result["suppressions"] = [{"kind": "inSource", "justification": finding.suppressed}]
    return result


def _information_uri() -> str | None:
    """The project's Homepage from its installed metadata, if it declares one."""
    try:
        urls = metadata.metadata("tracegen").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        return None
    for entry in urls:
        label, _, url = entry.partition(",")
        if label.strip().lower() in ("homepage", "documentation", "source") and url.strip():
            return url.strip()
    return None


def _sarif(findings: list[Finding], rules: dict[str, ModuleType]) -> dict:
    codes = sorted(rules)
    index = {code: position for position, code in enumerate(codes)}
    driver = {"name": "tracegen", "version": __version__, "semanticVersion": __version__,
              "rules": [_descriptor(code, rules[code]) for code in codes]}
    uri = _information_uri()
    if uri:
        driver["informationUri"] = uri
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": driver},
            "columnKind": "unicodeCodePoints",  # columns come from YAML marks, counted in characters
            "results": [_result(f, index) for f in findings],
        }],
    }
