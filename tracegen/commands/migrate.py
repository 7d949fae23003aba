"""`tracegen migrate`: move a backend migration between phases, print its plan, verify it.

    tracegen migrate plan BLUEPRINT                 phases, what each exports, the next command
    tracegen migrate advance BLUEPRINT [-o OUT]     next phase: edits `phase:` in place, then builds
    tracegen migrate rollback BLUEPRINT [-o OUT]    previous phase, the same way
    tracegen migrate verify BLUEPRINT --metrics URL ... | --prometheus URL

The blueprint's `phase:` is edited in place, on its own line, so comments and layout stay as they
were (the loader's source positions find it); the edited file is loaded again before it replaces
the original, so a rollback never leaves a blueprint tracegen cannot read.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import click

from tracegen.cli import build as build_command
from tracegen.cli import handle_errors
from tracegen.commands import _verify as verifying
from tracegen.errors import UsageError, ValidationFailed

FORMAT = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
NAME = click.option("--migration", "name", help="Which migration (needed when the blueprint has several).")


def _load(blueprint: str):
    from tracegen.blueprint.loader import load
    from tracegen.plan.migration import plan_migrations

    loaded = load(blueprint)
    return loaded, plan_migrations(loaded)


def _pick(plans, name: str | None):
    if not plans:
        raise UsageError("the blueprint has no migrations: add one under `migrations:`")
    if name is None:
        if len(plans) > 1:
            raise UsageError(f"the blueprint has several migrations; name one with --migration "
                             f"({', '.join(p.name for p in plans)})")
        return 0, plans[0]
    for index, plan in enumerate(plans):
        if plan.name == name:
            return index, plan
    raise UsageError(f"no migration '{name}' (known: {', '.join(p.name for p in plans)})")


@click.group("migrate", invoke_without_command=True)
@click.pass_context
def command(ctx: click.Context) -> None:
    """Backend migrations: plan, advance, rollback, verify (see `tracegen migrate plan --help`)."""
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


def _plan_document(plan) -> dict:
    from tracegen.plan.migration import EXPORTS, PHASES, following, previous

    def side(s):
        return {"backend": s.backend, "type": s.backend_type, "exporter": s.exporter, "hot_days": s.hot_days}
    return {
        "name": plan.name, "phase": plan.phase, "environments": list(plan.environments),
        "from": side(plan.old), "to": side(plan.new), "next": following(plan.phase),
        "previous": previous(plan.phase),
        "phases": [{"phase": phase, "exports": [plan.old.backend if k == "from" else plan.new.backend
                                                 for k in EXPORTS[phase]], "current": phase == plan.phase}
                   for phase in PHASES],
        "verify": {"window": plan.window, "tolerance": plan.tolerance, "observe_days": plan.observe_days},
        "owner": {"team": plan.owner_team, "oncall": plan.owner_oncall},
        "attribute_mapping": [{"set": k, "from": v} for k, v in plan.mapping],
    }


def _plan_text(doc: dict) -> str:
    lines = [f"migration {doc['name']}: {doc['from']['backend']} ({doc['from']['type']}) -> "
             f"{doc['to']['backend']} ({doc['to']['type']}) in {', '.join(doc['environments']) or 'no environment'}"]
    for row in doc["phases"]:
        mark = "->" if row["current"] else "  "
        lines.append(f"  {mark} {row['phase']:<10} exports to {' and '.join(row['exports'])}")
    lines.append(f"  verify: window {doc['verify']['window']}, tolerance {doc['verify']['tolerance']:.2%}, "
                 f"observe {doc['verify']['observe_days']} days after cutover")
    owner = doc["owner"]
    lines.append(f"  owner: {owner['team'] or 'none stated'}" + (f" ({owner['oncall']})" if owner["oncall"] else ""))
    for pair in doc["attribute_mapping"]:
        lines.append(f"  maps resource attribute {pair['from']} -> {pair['set']} (insert, never overwrite)")
    if doc["next"]:
        lines.append(f"  next: tracegen migrate advance BLUEPRINT --migration {doc['name']} -o OUT  ({doc['next']})")
    if doc["previous"]:
        lines.append(f"  back: tracegen migrate rollback BLUEPRINT --migration {doc['name']} -o OUT  "
                     f"({doc['previous']})")
    return "\n".join(lines) + "\n"


@command.command("plan")
@click.argument("blueprint", type=click.Path(dir_okay=False))
@NAME
@FORMAT
@click.option("--diff", "show_diff", is_flag=True,
              help="Instead, show what advancing one phase would change in the build (nothing is edited).")
@handle_errors
def plan_cmd(blueprint: str, name: str | None, fmt: str, show_diff: bool) -> None:
    """Print each migration's phases, what each phase exports to, and the next command."""
    _, plans = _load(blueprint)
    if show_diff:
        migration, before, after, old_text, new_text = edited(blueprint, name, "advance")
        click.echo(phase_diff(blueprint, old_text, new_text, (before, after), fmt), nl=False)
        return
    chosen = [_pick(plans, name)[1]] if name or not plans else list(plans)
    docs = [_plan_document(p) for p in chosen]
    click.echo(json.dumps({"migrations": docs}, indent=2) if fmt == "json" else "".join(map(_plan_text, docs)),
               nl=fmt == "json")


PHASE_LINE = re.compile(r"^(?P<head>\s*(?:-\s+)?phase\s*:\s*)(?P<value>\"[^\"]*\"|'[^']*'|[A-Za-z-]+)(?P<tail>.*)$")


def set_phase(text: str, loaded, index: int, phase: str) -> str:
    """The blueprint text with migration `index`'s phase set, everything else byte for byte."""
    lines = text.splitlines(keepends=True)
    raw = loaded.raw.get("migrations") or []
    at = loaded.source.locate(("migrations", index, "phase"))
    if index < len(raw) and isinstance(raw[index], dict) and "phase" in raw[index] and at is not None:
        line = lines[at[0] - 1]
        match = PHASE_LINE.match(line.rstrip("\r\n"))
        if not match:
            raise UsageError(f"{loaded.file}:{at[0]}:{at[1]}: cannot edit this phase in place (not a "
                             f"`phase: <value>` line of its own); set it to {phase} by hand")
        ending = line[len(line.rstrip("\r\n")):]
        lines[at[0] - 1] = f"{match['head']}{phase}{match['tail']}{ending}"
        return "".join(lines)
    # No phase yet (the default, planned): a line after the migration's `name:`, at its indentation.
    at = loaded.source.locate(("migrations", index, "name"))
    line = lines[at[0] - 1] if at else ""
    if at is None or not re.match(r"^\s*(-\s+)?name\s*:", line):
        raise UsageError(f"{loaded.file}: cannot add a phase to migration {index + 1} in place; add "
                         f"`phase: {phase}` to it by hand")
    ending = line[len(line.rstrip("\r\n")):] or "\n"
    lines.insert(at[0], " " * (at[1] - 1) + f"phase: {phase}{ending}")
    return "".join(lines)


def _replace(path: Path, text: str) -> None:
    """Replace the blueprint atomically (a temporary file beside it, then a rename), via the writer."""
    from tracegen.writer.files import Tree

    Tree(path.parent, path.parent).write_atomically(path.name, text.encode("utf-8"), sync=False)


def _phase_build(text: str, blueprint: str, phase: str):
    """What the blueprint text builds, in memory, as a `tracegen.diff.Build` labelled with its phase."""
    from tracegen.blueprint.loader import load_text
    from tracegen.diff import Build
    from tracegen.plan.builder import build_plan
    from tracegen.targets import build_all

    display = Path(blueprint).as_posix()
    return Build.from_artifacts(build_all(build_plan(load_text(text, display), display)), label=f"phase {phase}")


def phase_diff(blueprint: str, before: str, after: str, phases: tuple[str, str], fmt: str = "text") -> str:
    """What moving between the two phases changes in the build (tracegen diff's API, nothing written)."""
    from tracegen.diff import diff_trees, render

    tree = diff_trees(_phase_build(before, blueprint, phases[0]), _phase_build(after, blueprint, phases[1]))
    return render(tree, fmt)


def edited(blueprint: str, name: str | None, step: str):
    """(migration, old phase, new phase, text before, text after) of one step, nothing written."""
    from tracegen.blueprint.loader import load_text, read_text
    from tracegen.plan.migration import following, previous

    path = Path(blueprint)
    if path.suffix.lower() not in (".yaml", ".yml"):
        raise UsageError(f"{blueprint}: migrate edits YAML blueprints in place; set `phase` by hand in this file")
    loaded, plans = _load(blueprint)
    index, plan = _pick(plans, name)
    target = following(plan.phase) if step == "advance" else previous(plan.phase)
    if target is None:
        raise UsageError(f"migration {plan.name} is at {plan.phase}: there is no phase to "
                         f"{'advance to' if step == 'advance' else 'roll back to'}")
    text = read_text(path)
    new_text = set_phase(text, loaded, index, target)
    again = load_text(new_text, loaded.file)        # what we write must load, with the phase we meant
    if again.blueprint.migrations[index].phase != target:
        raise UsageError(f"{blueprint}: the edited phase did not read back as {target}; set it by hand")
    return plan.name, plan.phase, target, text, new_text


def move(blueprint: str, name: str | None, step: str) -> tuple[str, str, str, str]:
    """Edit the blueprint's phase one step in place; returns (migration, old phase, new phase, diff)."""
    migration, before, after, old_text, new_text = edited(blueprint, name, step)
    change = phase_diff(blueprint, old_text, new_text, (before, after))
    _replace(Path(blueprint), new_text)
    return migration, before, after, change


def _step(ctx: click.Context, blueprint: str, name: str | None, out_dir: str | None, step: str) -> None:
    migration, before, after, change = move(blueprint, name, step)
    click.echo(f"migration {migration}: {before} -> {after} ({blueprint} edited)")
    click.echo(change, nl=False)
    if out_dir:
        ctx.invoke(build_command, blueprint=blueprint, out_dir=out_dir, fmt="text", strict=False, force=False,
                   only=())


def _stepper(step: str, summary: str) -> click.Command:
    @command.command(step, help=summary)
    @click.argument("blueprint", type=click.Path(dir_okay=False, exists=True))
    @NAME
    @click.option("--out", "-o", "out_dir", type=click.Path(), help="Build the resulting phase into this directory.")
    @click.pass_context
    @handle_errors
    def run(ctx: click.Context, blueprint: str, name: str | None, out_dir: str | None) -> None:
        _step(ctx, blueprint, name, out_dir, step)
    return run


advance = _stepper("advance", "Move the migration to its next phase (edits the blueprint in place) and build it "
                              "with -o.")
rollback = _stepper("rollback", "Move the migration back one phase (edits the blueprint in place) and build it "
                                "with -o.")


@command.command("verify")
@click.argument("blueprint", type=click.Path(dir_okay=False))
@NAME
@click.option("--metrics", "metrics", multiple=True,
              help="A gateway's telemetry endpoint, e.g. http://gateway-0:8888/metrics (repeat for each).")
@click.option("--prometheus", help="A Prometheus base URL that scrapes the gateways (instead of --metrics).")
@click.option("--window", help="Time between the two readings (default: the migration's verify.window).")
@FORMAT
@handle_errors
def verify(blueprint: str, name: str | None, metrics: tuple[str, ...], prometheus: str | None, window: str | None,
           fmt: str) -> None:
    """Exit 0 only when, over the window, the new backend's exporter sent within the tolerance of the
    old one's spans and neither failed a span (otelcol_exporter_sent_spans, *_send_failed_spans and
    *_enqueue_failed_spans, per exporter, from the gateways' own telemetry)."""
    from tracegen.blueprint.model import duration_seconds

    _, plans = _load(blueprint)
    _, plan = _pick(plans, name)
    if bool(metrics) == bool(prometheus):
        raise UsageError("give the gateways' telemetry endpoints (--metrics URL, repeatable) or --prometheus URL")
    try:
        seconds = duration_seconds(window) if window else plan.window_s
    except ValueError as error:
        raise UsageError(f"--window: {error}") from None
    exporters = (plan.old.exporter, plan.new.exporter)
    if prometheus:
        counts = verifying.from_prometheus(prometheus, exporters, seconds)
    else:
        first = verifying.scrape_all(metrics, exporters)
        time.sleep(seconds)
        counts = verifying.difference(verifying.scrape_all(metrics, exporters), first)
    verdict = verifying.judge(plan, counts, seconds)
    click.echo(json.dumps(verdict, indent=2) if fmt == "json" else verifying.text(verdict), nl=True)
    if not verdict["go"]:
        raise ValidationFailed("")
