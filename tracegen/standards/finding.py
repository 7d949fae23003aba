"""What a rule reports (`Hit`) and what the engine makes of it (`Finding`)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from tracegen.encoding.text import terminal_line
from tracegen.errors import where


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Hit:
    """A rule's report: the blueprint path it concerns, what to do, and the environment if any."""

    path: tuple
    message: str
    environment: str | None = None


@dataclass(frozen=True)
class Finding:
    code: str
    name: str
    severity: Severity
    message: str
    file: str
    line: int | None
    column: int | None
    path: tuple = ()
    environment: str | None = None
    suppressed: str | None = field(default=None, compare=False)  # the written reason, when suppressed

    @property
    def dotted_path(self) -> str:
        return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in self.path).lstrip(".")

    def text(self) -> str:
        scope = f" [{self.environment}]" if self.environment else ""
        return (f"{where(self.file, self.line, self.column)}: {self.severity.value} {self.code} "
                f"{terminal_line(self.message)}{scope}")
