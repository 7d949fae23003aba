"""`tracegen import FILE... -o blueprint.yaml`: a draft blueprint from existing collector configs."""

from __future__ import annotations

from pathlib import Path

import click

from tracegen.cli import handle_errors
from tracegen.errors import UsageError


@click.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--output", "-o", "out", required=True, type=click.Path(dir_okay=False),
              help="Where to write the draft blueprint (refused if it exists, unless --force).")
@click.option("--name", help="The blueprint's name (default: the output file's stem).")
@click.option("--environment", default="prod", show_default=True, help="The environment the configs run in.")
@click.option("--force", is_flag=True, help="Replace an existing output file.")
@handle_errors
def command(files: tuple[str, ...], out: str, name: str | None, environment: str, force: bool) -> None:
    """Write a draft blueprint from collector configs FILES (or Kubernetes manifests: ConfigMaps holding a
    config, Deployments whose containers set OTEL_SERVICE_NAME). Backends keep secrets as ${env:NAME};
    everything not mapped gets a `# tracegen import:` comment. Then `tracegen check` it."""
    from tracegen.importer import emit, safe_name
    from tracegen.importer.draft import build
    from tracegen.writer.in_place import create_file

    target = Path(out)
    if any(target.resolve() == Path(f).resolve() for f in files):
        raise UsageError(f"{out} is one of the input files; name another output")
    if target.exists() and not force:
        raise UsageError(f"{out} exists; pass --force to replace it")
    draft = build(list(files), safe_name(name or target.stem, "imported", set(), 63),
                  safe_name(environment, "prod", set(), 63))
    create_file(out, emit.render(draft, list(files)))
    click.echo(f"wrote {out} ({len(draft.notes)} comment(s) to review); next: tracegen check {out}", err=True)
