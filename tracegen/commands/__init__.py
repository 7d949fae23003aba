"""Commands beyond the core pipeline, one module each (`tracegen/commands/<name>.py`).

Each module defines `command`, a click command (or group) wrapped in `tracegen.cli.handle_errors`;
`register` adds every module's command to the CLI, so a new command is one new module and touches
nothing else. Exit codes stay mapped in `tracegen.cli` only: commands raise `tracegen.errors`
exceptions.
"""

from __future__ import annotations

import importlib
import pkgutil

import click


def register(group: click.Group) -> None:
    """Add the `command` of every module in this package to `group`, in name order."""
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        group.add_command(module.command)
