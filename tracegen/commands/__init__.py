"""Commands beyond the core pipeline, one module each (`tracegen/commands/<name>.py`).

Each module defines `command`, a click command (or group) wrapped in `tracegen.cli.handle_errors`;
the CLI finds every module by name (`names`) and imports one only when its command is asked for
(`load`), so a new command is one new module and touches nothing else. Exit codes stay mapped in `tracegen.cli` only: commands raise `tracegen.errors`
exceptions.
"""

from __future__ import annotations

import importlib
import pkgutil

import click


def names() -> dict[str, str]:
    """Command name -> module name, without importing any command: a module is named after its
    command (`import_cmd` for `import`, a Python keyword). tests/test_cli.py holds every module to it."""
    found = {}
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            found[info.name.removesuffix("_cmd")] = info.name
    return dict(sorted(found.items()))


def load(module: str) -> click.Command:
    """The `command` of one module; imported only when that command runs (or help lists it), so
    `tracegen check` does not pay for the HTTP client `verify` needs."""
    return importlib.import_module(f"{__name__}.{module}").command
