"""The one exception hierarchy. The CLI maps each category below to its exit code (cli.EXIT_CODES);
an error elsewhere in tracegen subclasses one of these categories, never TracegenError directly
(tests/test_cli.py checks), so every failure has an exit code and exit 70 is left to bugs.

    BlueprintError, UsageError, RefusedError -> 2    WriteError -> 3    ToolError -> 4
    FindingsError (ChangesFound), ValidationFailed -> 1
"""

from __future__ import annotations

from tracegen.encoding.text import terminal_line, terminal_safe


class TracegenError(Exception):
    """Base of every error tracegen raises on purpose. The message is written for the user."""

    def __str__(self) -> str:
        # Messages quote the user's input (keys, file names): nothing in them may drive the terminal.
        return terminal_safe(super().__str__())


class BlueprintError(TracegenError):
    """The blueprint is unusable: unreadable, malformed, or not of the schema."""

    def __init__(self, message: str, file: str | None = None, line: int | None = None,
                 column: int | None = None, more: list[BlueprintError] | None = None):
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.more = more or []  # further problems of the same file, in file order

    def __str__(self) -> str:
        return "\n".join([where(self.file, self.line, self.column) + f": {terminal_safe(self.message)}",
                          *(str(problem) for problem in self.more)])

    def problems(self) -> list[BlueprintError]:
        """This problem and the further ones, each on its own."""
        return [BlueprintError(self.message, self.file, self.line, self.column), *self.more]


def where(file: str | None, line: int | None, column: int | None) -> str:
    text = terminal_line(file or "<blueprint>")
    if line is not None:
        text += f":{line}"
        if column is not None:
            text += f":{column}"
    return text


class UsageError(TracegenError):
    """The command was called with arguments that cannot work (unknown rule code, bad option)."""


class RefusedError(TracegenError):
    """The blueprint is valid, but asks for something the planner or a target will not produce."""


class FindingsError(TracegenError):
    """Standards findings of severity error (or warnings under --strict) block emission."""


class ChangesFound(FindingsError):
    """`tracegen diff` found differences: exit 1, like `kubectl diff` (its report is already printed)."""


class TargetsMissed(FindingsError):
    """`tracegen verify` measured live spans below the blueprint's targets: exit 1 (report printed)."""


class WriteError(TracegenError):
    """Output could not be written (permissions, hand-edited files without --force, ...)."""


class ToolError(TracegenError):
    """An external tool tracegen needs (go, the collector builder, a validator) is missing or failed."""


class ValidationFailed(TracegenError):
    """A real consumer (otelcol validate, a schema, ansible-lint, a compiler) rejected an artifact."""


def document(error: BaseException, exit_code: int, message: str | None = None) -> dict:
    """A failure for machines (`--format json`): its kind, exit code and each problem with its
    position. `message` replaces the error's own text (internal errors are not described)."""
    if isinstance(error, BlueprintError):
        problems = [{"message": p.message, "file": p.file, "line": p.line, "column": p.column}
                    for p in error.problems()]
    else:
        problems = [{"message": message or str(error), "file": None, "line": None, "column": None}]
    return {"error": {"type": type(error).__name__, "exit_code": int(exit_code), "problems": problems}}
