"""`tracegen verify`: measure live spans against the blueprint's targets."""

from __future__ import annotations

import click

from tracegen.cli import _display_path, _positioned, handle_errors
from tracegen.errors import TargetsMissed, UsageError


@click.command("verify")
@click.argument("blueprint", type=click.Path(dir_okay=False))
@click.option("--otlp-file", "otlp_files", multiple=True, type=click.Path(dir_okay=False),
              help="A collector file exporter's output (OTLP JSON, one request per line). Repeatable.")
@click.option("--jaeger", help="A Jaeger query service's URL (e.g. http://jaeger:16686): reads api/traces of "
                               "every service of the environment.")
@click.option("--lookback", default="1h", show_default=True, help="With --jaeger: how far back to read.")
@click.option("--limit", default=1000, show_default=True, type=click.IntRange(1, 100000),
              help="With --jaeger: traces per service.")
@click.option("--span-metrics", help="The gateway's Prometheus exporter URL (…:8889/metrics): error capture is "
                                     "measured against its error counts, taken before sampling.")
@click.option("--env", "env", help="The environment whose services and targets apply (default: the first).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@handle_errors
def command(blueprint: str, otlp_files: tuple[str, ...], jaeger: str | None, lookback: str, limit: int,
            span_metrics: str | None, env: str | None, fmt: str) -> None:
    """Measure trace coverage, propagation success per hop, orphan spans and error capture on real
    spans (a collector's OTLP JSON file or a Jaeger query API) and hold them against the blueprint's
    `standards.sampling_targets`. Exit 1 when a figure is below its target, naming the hop or
    service; 0 when every measured figure meets it."""
    from tracegen.blueprint.loader import load
    from tracegen.plan.builder import build_plan
    from tracegen.plan.refusals import PlanRefused
    from tracegen.verify import judge, measures, span_metrics as metrics, spans as reader

    if bool(otlp_files) == bool(jaeger):
        raise UsageError("give the spans: --otlp-file FILE (repeatable) or --jaeger URL, not both")
    loaded = load(blueprint)
    try:
        plan = build_plan(loaded, _display_path(blueprint))
    except PlanRefused as refused:
        raise _positioned(loaded, refused) from None
    known = [e.name for e in plan.environments]
    if env is not None and env not in known:
        raise UsageError(f"no environment '{env}'; the blueprint has {', '.join(known)}")
    environment = next(e for e in plan.environments if env is None or e.name == env)
    topology = judge.topology(environment)
    if jaeger:
        spans = reader.read_jaeger(jaeger, topology.services, lookback, limit)
    else:
        spans = [span for path in otlp_files for span in reader.read_otlp_file(path)]
    measured = measures.measure(spans, topology)
    if span_metrics:
        measured.errors_before_sampling = metrics.read(span_metrics)
    checks = judge.judge(measured, environment, topology)
    click.echo(judge.render(checks, measured, environment.name, fmt), nl=False)
    if judge.failed(checks):
        raise TargetsMissed("")
