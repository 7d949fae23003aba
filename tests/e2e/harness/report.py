"""Measured figures an end-to-end module prints when it finishes, also under -q, pass or fail."""

from __future__ import annotations

import contextlib


def print_figures(request, title: str, lines: list[str]) -> None:
    """Write `lines` under a `title` separator on pytest's terminal. Call it from a module fixture's
    teardown, which runs under output capture: this steps out of it so the figures reach the terminal."""
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or not lines:
        return
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        reporter.write_line("")
        reporter.write_sep("-", title)
        for line in lines:
            reporter.write_line(line)
