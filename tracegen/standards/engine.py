"""Run every registered rule over a loaded blueprint; stamp codes, positions and suppressions."""

from __future__ import annotations

from dataclasses import dataclass, replace

from tracegen.blueprint.loader import LoadedBlueprint
from tracegen.standards.finding import Finding, Severity
from tracegen.standards.rules import RULES


@dataclass(frozen=True)
class Outcome:
    findings: list[Finding]

    @property
    def active(self) -> list[Finding]:
        return [f for f in self.findings if not f.suppressed]

    def blocking(self, strict: bool = False) -> list[Finding]:
        levels = {Severity.ERROR, Severity.WARNING} if strict else {Severity.ERROR}
        return [f for f in self.active if f.severity in levels]


def _suppression(finding: Finding, loaded: LoadedBlueprint) -> str | None:
    if not getattr(RULES[finding.code], "SUPPRESSIBLE", True):
        return None  # what the planner refuses cannot be built, whatever the reason given
    for rule in loaded.blueprint.suppress:
        if rule.rule != finding.code:
            continue
        path = finding.dotted_path
        if rule.at is None or path == rule.at or path.startswith((rule.at + ".", rule.at + "[")):
            return rule.reason
    return None


def check(loaded: LoadedBlueprint, select: set[str] | None = None) -> Outcome:
    """All findings, sorted by position then code; suppressed ones carry their reason."""
    for index, rule in enumerate(loaded.blueprint.suppress):
        if rule.rule not in RULES:
            raise loaded.source.error(f"suppression names unknown rule {rule.rule}; see `tracegen explain`",
                                      ("suppress", index, "rule"))
        if not getattr(RULES[rule.rule], "SUPPRESSIBLE", True):
            raise loaded.source.error(f"{rule.rule} cannot be suppressed: tracegen cannot build what it "
                                      "reports; change the blueprint instead", ("suppress", index, "rule"))
    findings: dict[tuple, Finding] = {}
    for code, rule in RULES.items():
        if select and code not in select:
            continue
        for hit in rule.check(loaded):
            line, column = loaded.locate(hit.path, hit.environment) or (None, None)
            finding = Finding(code=code, name=rule.NAME, severity=rule.SEVERITY, message=hit.message,
                              file=loaded.file, line=line, column=column, path=tuple(hit.path),
                              environment=hit.environment)
            key = (code, line, column, hit.message)
            if key in findings:
                # The same base value judged in several environments: report it once, unscoped.
                findings[key] = replace(findings[key], environment=None)
                continue
            findings[key] = replace(finding, suppressed=_suppression(finding, loaded))
    ordered = sorted(findings.values(), key=lambda f: (f.line or 0, f.column or 0, f.code, f.message))
    return Outcome(ordered)
