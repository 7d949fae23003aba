"""`tracegen lint FILE...`: lint existing OpenTelemetry Collector configs (see tracegen/lint/)."""

from __future__ import annotations

from pathlib import Path

import click

from tracegen.cli import FORMAT, STRICT, _write_report as write_report, handle_errors
from tracegen.errors import FindingsError, ToolError, UsageError, ValidationFailed
from tracegen.versions import COLLECTOR_VERSION

INSTALL_HINT = ("install Go >= 1.26 (tracegen builds the collector with the Collector Builder, cached under "
                "~/.cache/tracegen), or run `otelcol validate --config=FILE` with your own collector")


@click.command("lint")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@FORMAT
@STRICT
@click.option("--collector-version", default=COLLECTOR_VERSION, show_default=True,
              help="The collector version the configs run on (decides renamed component names).")
@click.option("--deployment", type=click.Choice(["daemonset", "replicated", "gateway", "single"]),
              help="How the configs run: several instances receiving from apps (daemonset, replicated), behind "
                   "trace-ID load balancing (gateway), or one instance. Default: from the manifests linted, "
                   "else from hints in the config (see `tracegen explain TL202`).")
@click.option("--ignore", multiple=True, metavar="CODE", help="Skip this rule (repeatable).")
@click.option("--fix", is_flag=True, help="Rename deprecated component names in place (comments and layout kept).")
@click.option("--validate", "run_validate", is_flag=True,
              help="Then run `otelcol validate` on each config (a collector built by tracegen's toolchain).")
@click.option("--output", "-o", "report_file", type=click.Path(dir_okay=False),
              help="Write the report to this file instead of standard output.")
@handle_errors
def command(files: tuple[str, ...], fmt: str, strict: bool, collector_version: str, deployment: str | None,
            ignore: tuple[str, ...], fix: bool, run_validate: bool, report_file: str | None) -> None:
    """Lint existing OpenTelemetry Collector config FILES (or Kubernetes manifests whose ConfigMaps hold
    one): rules TL101-TL404 with file:line:col, `tracegen explain TL101` for each. Exit 1 on error
    findings (warnings too with --strict)."""
    from tracegen.lint import engine, fix as fixer, source
    from tracegen.lint.rules import LINT_RULES
    from tracegen.standards.finding import Severity
    from tracegen.standards.report import render
    from tracegen.writer.in_place import replace_file

    settings = engine.options(collector_version, deployment)
    files = tuple(dict.fromkeys(files))
    configs = [config for file in files for config in source.read(file)]
    for file in files:
        if not any(config.file == file for config in configs):
            click.echo(f"tracegen: {file}: no collector config found (nothing to lint)", err=True)
    if fix:
        for file in files:
            in_file = [c for c in configs if c.file == file]
            planned = [e for c in in_file for e in fixer.edits(c, collector_version)]
            if not planned:
                continue
            text = Path(file).read_text(encoding="utf-8-sig")
            fixed, skipped = fixer.apply(text, planned)
            if fixed != text:
                replace_file(file, fixed)
            click.echo(f"fixed {len(planned) - len(skipped)} name(s) in {file}", err=True)
            for edit in skipped:
                click.echo(f"{file}:{edit.line}:{edit.column}: not fixed: '{edit.old}' is not written where "
                           f"expected; rename it to '{edit.new}' by hand", err=True)
        configs = [config for file in files for config in source.read(file)]
    findings = engine.lint(configs, settings, ignore)
    report = render(findings, fmt, LINT_RULES)
    if report_file:
        if any(Path(report_file).resolve() == Path(file).resolve() for file in files):
            raise UsageError(f"the report file {report_file} is one of the linted files; name another file")
        write_report(report_file, report, files[0])
    else:
        click.echo(report, nl=False)
    if run_validate:
        _validate(configs, collector_version)
    blocking = [f for f in findings if f.severity is Severity.ERROR or (strict and f.severity is Severity.WARNING)]
    if blocking:
        raise FindingsError("")


def _validate(configs, collector_version: str) -> None:
    """`otelcol validate` on each config; a missing toolchain is a skip naming what to install."""
    import yaml

    from tracegen.toolchain.collector import build_test_distribution, validate_config
    from tracegen.validators.collector import RUNTIME_ENV
    from tracegen.writer.in_place import scratch_file

    try:
        binary = build_test_distribution(collector_version, progress=lambda line: None)
    except ToolError as error:
        click.echo(f"skip  otelcol validate: {str(error).splitlines()[0]}; {INSTALL_HINT}", err=True)
        return
    rejected = []
    for config in configs:
        label = config.file + (f" [{config.origin}]" if config.origin else "")
        with scratch_file(yaml.safe_dump(config.data, sort_keys=False)) as path:
            result = validate_config(binary, [path], env=RUNTIME_ENV)   # the node name a DaemonSet passes
        click.echo(f"{'ok' if result.ok else 'fail':<4}  otelcol validate  {label}", err=True)
        if not result.ok:
            click.echo(result.output, err=True)
            rejected.append(label)
    if rejected:
        raise ValidationFailed(f"the collector rejected {', '.join(rejected)}")
