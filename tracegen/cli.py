"""The command line. It parses arguments, calls the stages, and maps errors to exit codes here only.

Exit codes: 0 fine; 1 error findings (or warnings with --strict) or a real validator rejected an
artifact; 2 unusable input or usage; 3 could not write; 4 a needed external tool is missing or
failed; 141 standard output's reader went away; 70 a bug in tracegen.
"""

from __future__ import annotations

import enum
import functools
import gc
import json
import os
import sys
from pathlib import Path

import click

from tracegen import __version__
from tracegen.errors import (BlueprintError, FindingsError, RefusedError, ToolError, TracegenError, UsageError,
                             ValidationFailed, WriteError, document, where)


class Exit(enum.IntEnum):
    OK = 0
    FINDINGS = 1
    USAGE = 2
    WRITE = 3
    TOOL = 4
    INTERNAL = 70
    BROKEN_PIPE = 141   # the reader of standard output went away (`| head`): what a shell shows for SIGPIPE


EXIT_CODES: dict[type[TracegenError], Exit] = {
    FindingsError: Exit.FINDINGS,
    ValidationFailed: Exit.FINDINGS,
    BlueprintError: Exit.USAGE,
    UsageError: Exit.USAGE,
    RefusedError: Exit.USAGE,
    WriteError: Exit.WRITE,
    ToolError: Exit.TOOL,
}


def _exit_code(error: TracegenError) -> Exit:
    for kind in type(error).__mro__:
        if kind in EXIT_CODES:
            return EXIT_CODES[kind]
    return Exit.USAGE


def handle_errors(command):
    """Turn tracegen's errors into one clear message and an exit code; never a traceback. With
    `--format json` or `sarif`, the failure is also written where the report goes, as a document."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except TracegenError as error:
            code = _exit_code(error)
            if not isinstance(error, (FindingsError, ValidationFailed)):   # those printed their report
                _failure_document(kwargs, error, code)
            if str(error):
                click.echo(terminal_safe(f"tracegen: {error}" if not isinstance(error, BlueprintError)
                                         else str(error)), err=True)
            sys.exit(code)
        except BrokenPipeError:
            # Not a bug: whoever read the output stopped reading. Nothing more can be said there.
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - so the exit's flush cannot fail again
            sys.exit(Exit.BROKEN_PIPE)
        except KeyboardInterrupt as error:
            _failure_document(kwargs, error, 130, "interrupted")
            click.echo("tracegen: interrupted", err=True)
            sys.exit(130)
        except Exception as error:  # noqa: BLE001 - last line of defence: no tracebacks for users
            if os.environ.get("TRACEGEN_DEBUG"):
                raise
            _failure_document(kwargs, error, Exit.INTERNAL, "internal error; please report it")
            # The exception's own text is not shown: it may quote blueprint values, secrets among them.
            click.echo(f"tracegen: internal error ({type(error).__name__}); nothing was written. "
                       "Set TRACEGEN_DEBUG=1 for the traceback and please report it.", err=True)
            sys.exit(Exit.INTERNAL)

    return wrapper


def terminal_safe(text: str) -> str:
    """Messages quote blueprint text: control characters (ANSI escapes, carriage returns, U+2028) are
    shown escaped, so input cannot rewrite the terminal or fake a line."""
    return "\n".join("".join(c if c.isprintable() else ascii(c)[1:-1] for c in line) for line in text.split("\n"))


def _failure_document(kwargs: dict, error: BaseException, code: int, message: str | None = None) -> None:
    """For --format json/sarif: the failure as a JSON document (or a SARIF log whose invocation
    failed), on standard output or in the --output report file."""
    fmt = kwargs.get("fmt")
    if fmt not in ("json", "sarif"):
        return
    doc = document(error, code, message)
    if fmt == "sarif":
        from tracegen.standards.report import render

        doc = _sarif_failure(json.loads(render([], "sarif")), doc)
    text = json.dumps(doc, indent=2) + "\n"
    if kwargs.get("report_file"):
        try:
            Path(kwargs["report_file"]).write_text(text, encoding="utf-8")
            return
        except OSError:
            pass  # the error itself may be that the report cannot be written: fall back to stdout
    click.echo(text, nl=False)


def _sarif_failure(log: dict, doc: dict) -> dict:
    notifications = []
    for problem in doc["error"]["problems"]:
        notification: dict = {"level": "error", "message": {"text": problem["message"]}}
        if problem["file"]:
            location: dict = {"artifactLocation": {"uri": Path(problem["file"]).as_posix()}}
            if problem["line"]:
                location["region"] = {"startLine": problem["line"],
                                      **({"startColumn": problem["column"]} if problem["column"] else {})}
            notification["locations"] = [{"physicalLocation": location}]
        notifications.append(notification)
    log["runs"][0]["invocations"] = [{"executionSuccessful": False, "exitCode": doc["error"]["exit_code"],
                                      "toolExecutionNotifications": notifications}]
    return log


def _display_path(path: str) -> str:
    """The blueprint path as written into output: relative to the working directory when inside it."""
    absolute = Path(path).resolve()
    try:
        return absolute.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return absolute.name


def _check(blueprint: str, fmt: str, strict: bool, select: set[str] | None = None):
    from tracegen.blueprint.loader import load
    from tracegen.standards.engine import check
    from tracegen.standards.report import render

    loaded = load(blueprint)
    outcome = check(loaded, select)
    return loaded, outcome, render(outcome.findings, fmt)


FORMAT = click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif"]), default="text",
                      show_default=True, help="How findings are printed.")
STRICT = click.option("--strict", is_flag=True, help="Warnings block too.")


class _Commands(click.Group):
    """Click's own usage errors (unknown option, missing argument) exit 2 with click's message; under
    --format json/sarif they are also written as a failure document, like every other error."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta["tracegen.args"] = list(args)
        return super().parse_args(ctx, args)

    def list_commands(self, ctx: click.Context) -> list[str]:
        from tracegen import commands

        return sorted({*super().list_commands(ctx), *commands.names()})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        """The core commands are defined here; the others (tracegen/commands/<name>.py) are imported
        only when asked for."""
        found = super().get_command(ctx, name)
        if found is None:
            from tracegen import commands

            module = commands.names().get(name)
            if module is not None:
                found = commands.load(module)
                self.add_command(found, name)
        return found

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except click.UsageError as error:
            args = ctx.meta.get("tracegen.args", [])
            fmt = next((value.split("=", 1)[1] if "=" in value else nxt for value, nxt in zip(args, args[1:] + [""])
                        if value == "--format" or value.startswith("--format=")), None)
            _failure_document({"fmt": fmt}, error, Exit.USAGE, error.format_message())
            raise


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="tracegen")
def main() -> None:
    """Compile a tracing blueprint into collector, Kubernetes, Istio, Ansible and SDK artifacts,
    checked against your tracing standards before anything is written."""
    # A run builds a blueprint's worth of objects that live until it exits and makes little cyclic
    # garbage: the default thresholds (700, 10, 10) spent ~10 % of a 1,000-service build and ~25 %
    # of its check in full collections; these spend ~1 %, at the same peak RSS (scripts/bench_build.py).
    gc.set_threshold(50_000, 50, 1000)


@main.command()
@click.argument("blueprint", type=click.Path())
@FORMAT
@STRICT
@click.option("--output", "-o", "report_file", type=click.Path(dir_okay=False),
              help="Write the report to this file instead of standard output.")
@handle_errors
def check(blueprint: str, fmt: str, strict: bool, report_file: str | None) -> None:
    """Check BLUEPRINT against the standards. Exit 1 if any error finding (or warning with --strict)."""
    _, outcome, report = _check(blueprint, fmt, strict)
    if report_file:
        _write_report(report_file, report, blueprint)
    else:
        click.echo(report, nl=False)
    if outcome.blocking(strict):
        raise FindingsError("")


def _write_report(report_file: str, text: str, blueprint: str) -> None:
    """The report file is a plain file that is not the blueprint (never a FIFO to hang on)."""
    target = Path(report_file)
    try:
        if target.exists() and Path(blueprint).exists() and os.path.samefile(target, blueprint):
            raise UsageError(f"the report file {report_file} is the blueprint; name another file")
        if target.is_symlink() or (target.exists() and not target.is_file()):
            raise WriteError(f"cannot write {report_file}: not a regular file")
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise WriteError(f"cannot write {report_file}: {exc.strerror}") from None


@main.command()
@click.argument("blueprint", type=click.Path())
@click.option("--out", "-o", "out_dir", required=True, type=click.Path(),
              help="Output directory (files tracegen did not write there are never touched).")
@FORMAT
@STRICT
@click.option("--force", is_flag=True, help="Overwrite files edited by hand since the last build.")
@click.option("--only", multiple=True, help="Build only these targets (repeatable); other targets' files stay.")
@handle_errors
def build(blueprint: str, out_dir: str, fmt: str, strict: bool, force: bool, only: tuple[str, ...]) -> None:
    """Check BLUEPRINT, then write every artifact into OUT_DIR with tracegen-manifest.json."""
    from tracegen.plan.builder import build_plan
    from tracegen.targets import TARGETS, stream
    from tracegen.writer import write

    if not out_dir.strip():
        raise UsageError("--out is empty; name the output directory")
    unknown = set(only) - set(TARGETS)
    if unknown:
        raise UsageError(f"unknown target(s) {sorted(unknown)}; known: {sorted(TARGETS)}")
    loaded, outcome, report = _check(blueprint, fmt, strict)
    if outcome.findings:
        click.echo(report, nl=False, err=True)
    blocking = outcome.blocking(strict)
    if blocking:
        raise FindingsError(f"{len(blocking)} blocking finding(s); nothing was written")
    plan = build_plan(loaded, _display_path(blueprint))
    artifacts = stream(plan, set(only) or None)          # written as they come, never all held at once
    result = write(artifacts, Path(out_dir), _display_path(blueprint), force=force, partial=bool(only))
    for note in result.notes:
        click.echo(f"tracegen: {note}", err=True)
    state = "unchanged" if result.unchanged else "written"
    click.echo(f"{result.written} artifacts {state} in {out_dir}")


@main.command("plan")
@click.argument("blueprint", type=click.Path(dir_okay=False))
@click.option("--env", "env", help="Only this environment.")
@click.option("--mode", help="Show this sampling mode's retention and volumes (default: the starting mode).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--rps", type=float, help="Volumes at this many root requests/s (default: the declared peak).")
@click.option("--error-rate", type=float, help="Share of requests that fail (default: sampling.assumptions).")
@click.option("--slow-rate", type=float, help="Share of requests above the latency threshold (default: "
                                              "sampling.assumptions).")
@handle_errors
def plan_command(blueprint: str, env: str | None, mode: str | None, fmt: str, rps: float | None,
                 error_rate: float | None, slow_rate: float | None) -> None:
    """Print each environment's sampling decision chain, the share of error, slow and healthy traces
    kept (against standards.sampling_targets), and the volumes into the gateways and to each backend."""
    from tracegen.blueprint.loader import load
    from tracegen.plan.builder import build_plan
    from tracegen.plan.report import render

    from tracegen.plan.refusals import PlanRefused

    loaded = load(blueprint)
    assume = {k: v for k, v in (("error_rate", error_rate), ("slow_rate", slow_rate)) if v is not None}
    try:
        plan = build_plan(loaded, _display_path(blueprint))
    except PlanRefused as refused:
        raise _positioned(loaded, refused) from None
    click.echo(render(loaded, plan, fmt, env, mode, rps, assume), nl=False)


def _positioned(loaded, refused) -> BlueprintError:
    """What the planner refused, at the blueprint positions `check` reports them (TG001, ...)."""
    problems = []
    for refusal in refused.refusals:
        line, column = loaded.locate(refusal.path, refusal.environment) or (None, None)
        problems.append((line, column, f"{refusal.code} {refusal.message}"))
    (line, column, message), *rest = problems
    return BlueprintError(message, loaded.file, line, column,
                          [f"{where(loaded.file, l, c)}: {m}" for l, c, m in rest])


@main.command()
@click.argument("code", required=False)
@handle_errors
def explain(code: str | None) -> None:
    """Print a rule's documentation (TG standards, TL lint rules); without CODE, list every rule."""
    from tracegen.lint.rules import LINT_RULES
    from tracegen.standards.rules import RULES

    RULES = {**RULES, **LINT_RULES}
    if code is None:
        for rule_code, rule in RULES.items():
            click.echo(f"{rule_code}  {rule.SEVERITY.value:<7}  {rule.NAME}")
        return
    rule = RULES.get(code.upper())
    if rule is None:
        raise UsageError(f"no rule {code}; `tracegen explain` lists them")
    click.echo((rule.__doc__ or "").strip())


@main.command()
@handle_errors
def schema() -> None:
    """Print the JSON Schema of the blueprint (for editors)."""
    from tracegen.blueprint.model import Blueprint

    data = Blueprint.model_json_schema()
    data["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    data["title"] = "tracegen blueprint"
    click.echo(json.dumps(data, indent=2, sort_keys=True))


@main.command()
@click.argument("path", default="tracegen.yaml", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Replace an existing file.")
@handle_errors
def init(path: str, force: bool) -> None:
    """Write a starter blueprint to PATH (default tracegen.yaml)."""
    from importlib.resources import files

    target = Path(path)
    if target.exists() and not force:
        raise WriteError(f"{path} exists; pass --force to replace it")
    text = files("tracegen").joinpath("templates/init/blueprint.yaml").read_text(encoding="utf-8")
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise WriteError(f"cannot write {path}: {exc.strerror}") from None
    click.echo(f"wrote {path}; next: tracegen check {path}")


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, exists=True))
@click.option("--only", multiple=True, help="Run only these validators (repeatable).")
@click.option("--require-all", is_flag=True, help="A validator whose tool is missing fails the run.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="How checks are printed.")
@handle_errors
def validate(directory: str, only: tuple[str, ...], require_all: bool, fmt: str) -> None:
    """Run every real validator available (otelcol validate, ...) over a build output DIRECTORY.
    A validator whose tool or Python package is missing reports its checks as skipped, naming what
    to install (`pip install 'tracegen[validate]'` for the Python ones)."""
    from dataclasses import asdict

    from tracegen.validators import run

    checks = run(Path(directory), set(only) or None)
    failed = [c for c in checks if c.status == "fail" or (require_all and c.status == "skip")]
    counts = {status: sum(c.status == status for c in checks) for status in ("ok", "fail", "skip")}
    if fmt == "json":
        click.echo(json.dumps({"checks": [asdict(c) for c in checks], "counts": counts,
                               "passed": not failed}, indent=2))
    else:
        for check in checks:
            detail = check.detail.splitlines()[0] if check.detail and check.status != "fail" else check.detail
            line = f"{check.status:<4}  {check.artifact}  [{check.validator}]"
            click.echo(line + (f"\n      {detail}" if check.status != "ok" and detail else ""))
        click.echo(f"{counts['ok']} ok, {counts['fail']} failed, {counts['skip']} skipped")
    if failed:
        raise ValidationFailed("")


@main.group()
def collector() -> None:
    """The real OpenTelemetry Collector: build the distribution a build output needs."""


@collector.command("install")
@click.argument("directory", type=click.Path(file_okay=False, exists=True))
@handle_errors
def collector_install(directory: str) -> None:
    """Build (or reuse from the cache) the collector each builder manifest in DIRECTORY describes,
    with the OpenTelemetry Collector Builder installed by `go install`. Prints the binary's path last."""
    from tracegen.toolchain.collector import build_distribution
    from tracegen.validators import read_manifest

    manifests = sorted(e["path"] for e in read_manifest(Path(directory)) if e["kind"] == "collector-distribution")
    if not manifests:
        raise UsageError(f"{directory} has no collector-distribution artifact; was it built by `tracegen build`?")
    binaries = []
    for manifest in manifests:
        binary = build_distribution(Path(directory) / manifest, progress=lambda line: click.echo(line, err=True))
        click.echo(f"{manifest}: {binary}", err=True)
        binaries.append(binary)
    for binary in sorted(set(binaries)):
        click.echo(str(binary))



def run() -> None:
    """The console script: run the command, then leave without tearing the interpreter down.

    A run builds a blueprint's worth of objects; freeing them one by one at exit took a quarter of
    `tracegen check` at 1,000 services (0.14 of 0.66 s) and grows with the estate. By then every
    command has finished its work (files written and renamed, locks released, child processes
    reaped), so the output streams are flushed and the process ends with the command's exit code,
    as mypy does. `main` itself (tests, embedding) exits the usual way."""
    try:
        main()
        code = 0
    except SystemExit as stop:
        code = stop.code
    if code is None:
        code = 0
    elif not isinstance(code, int):   # sys.exit("message"): print it like Python would
        print(code, file=sys.stderr)
        code = 1
    try:
        sys.stdout.flush()
    except BrokenPipeError:   # the reader went away (`| head`) before the last of the output
        code = code or Exit.BROKEN_PIPE
    except ValueError:   # already closed
        pass
    try:
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):
        pass
    os._exit(code)


if __name__ == "__main__":
    run()
