"""`tracegen diff OLD_DIR NEW_DIR` and `tracegen diff BLUEPRINT --against DIR`."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click

from tracegen.cli import handle_errors
from tracegen.errors import ChangesFound, UsageError


@click.command("diff")
@click.argument("old", type=click.Path())
@click.argument("new", required=False, type=click.Path())
@click.option("--against", "against", type=click.Path(),
              help="Compare what the blueprint OLD would build now with this committed build directory.")
@click.option("--env", "environments", multiple=True,
              help="Only the artifacts of this environment (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@handle_errors
def command(old: str, new: str | None, against: str | None, environments: tuple[str, ...], fmt: str) -> None:
    """Show what changes between two builds, by meaning: a summary per artifact kind, then each
    change at its path inside the document, keyed by identity (Kubernetes
    apiVersion/kind/namespace/name, collector component IDs and pipelines, named list items), SDK
    code and docs as a unified diff. Secrets are shown as <redacted>; changes that can lose data (an exporter or pipeline
    removed, sampling tightened, a PII rule or a persistent queue removed) are marked `!`.

    \b
    tracegen diff OLD_DIR NEW_DIR
    tracegen diff BLUEPRINT --against DIR   (DIR -> what BLUEPRINT builds now; nothing is written)

    Exit 0: no change; 1: changes; 2: bad input.
    """
    from tracegen.diff import Build, diff_trees, from_blueprint, render

    if against is not None:
        if new is not None:
            raise UsageError("give either OLD_DIR NEW_DIR or BLUEPRINT --against DIR, not both")
        if not Path(old).is_file():
            raise UsageError(f"{old} is not a blueprint file; with --against, name a blueprint and a build directory")
        committed = Build.from_directory(against)
        # Generated headers name the blueprint as the committed build did, so a different working
        # directory is not reported as a change.
        tree = diff_trees(committed, from_blueprint(old, committed.blueprint))
    else:
        if new is None:
            raise UsageError("name two build directories (OLD_DIR NEW_DIR), or a blueprint and --against DIR")
        for path in (old, new):
            if Path(path).is_file():
                raise UsageError(f"{path} is a file, not a build directory; to compare a blueprint with a build, "
                                 f"run `tracegen diff {path} --against DIR`")
        tree = diff_trees(old, new)
    if environments:
        tree = dataclasses.replace(tree, files=tuple(f for f in tree.files if f.environment in environments))
    click.echo(render(tree, fmt), nl=False)
    if tree.changed:
        raise ChangesFound("")
