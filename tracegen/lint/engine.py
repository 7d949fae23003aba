"""Run the lint rules over collector configs: the engine, not the rule, stamps code, severity, file
and position on each finding (as the standards engine does)."""

from __future__ import annotations

from collections.abc import Iterable

from tracegen import components
from tracegen.errors import UsageError
from tracegen.lint.config import CollectorConfig
from tracegen.lint.rules import LINT_RULES
from tracegen.standards.finding import Finding

DEPLOYMENTS = ("daemonset", "replicated", "gateway", "single")


def options(collector_version: str, deployment: str | None) -> dict:
    try:
        components.check_supported(collector_version)
    except components.UnsupportedCollectorVersion as error:
        raise UsageError(f"--collector-version: {error.message}") from None
    return {"collector_version": collector_version, "deployment": deployment}


def lint(configs: Iterable[CollectorConfig], settings: dict, ignore: Iterable[str] = ()) -> list[Finding]:
    ignored = {code.upper() for code in ignore}
    unknown = ignored - set(LINT_RULES)
    if unknown:
        raise UsageError(f"--ignore: no lint rule {', '.join(sorted(unknown))}; `tracegen explain` lists them")
    findings = []
    for config in configs:
        config.options = settings
        for code, rule in LINT_RULES.items():
            if code in ignored:
                continue
            for hit in rule.check(config):
                line, column = config.locate(hit.path) or (None, None)
                findings.append(Finding(code, rule.NAME, rule.SEVERITY, hit.message, config.file, line, column,
                                        tuple(hit.path), config.origin))
    return sorted(findings, key=lambda f: (f.file, f.line or 0, f.column or 0, f.code))
