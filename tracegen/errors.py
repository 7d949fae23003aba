"""The one exception hierarchy. The CLI maps these to exit codes (see cli.EXIT_CODES)."""

from __future__ import annotations


class TracegenError(Exception):
    """Base of every error tracegen raises on purpose. The message is written for the user."""


class BlueprintError(TracegenError):
    """The blueprint is unusable: unreadable, malformed, or not of the schema."""

    def __init__(self, message: str, file: str | None = None, line: int | None = None,
                 column: int | None = None, more: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.more = more or []  # further problems, already formatted as file:line:col: message

    def __str__(self) -> str:
        return "\n".join([where(self.file, self.line, self.column) + f": {self.message}", *self.more])


def where(file: str | None, line: int | None, column: int | None) -> str:
    text = file or "<blueprint>"
    if line is not None:
        text += f":{line}"
        if column is not None:
            text += f":{column}"
    return text


class UsageError(TracegenError):
    """The command was called with arguments that cannot work (unknown rule code, bad option)."""


class FindingsError(TracegenError):
    """Standards findings of severity error (or warnings under --strict) block emission."""


class WriteError(TracegenError):
    """Output could not be written (permissions, hand-edited files without --force, ...)."""


class ToolError(TracegenError):
    """An external tool tracegen needs (go, the collector builder, a validator) is missing or failed."""


class ValidationFailed(TracegenError):
    """A real consumer (otelcol validate, a schema, ansible-lint, a compiler) rejected an artifact."""
