"""Backend types, one module each, registered in BACKENDS.

A backend type states the headers its intake needs (the key header, a dataset header, fixed
headers that come with the key), the protocol it takes, its intake rules and what it keeps by
default (base.BackendType). The planner turns a blueprint backend into an exporter with it
(plan/builder.py `_exporter`), the blueprint's schema takes its `type` values from NAMES, and the
standards ask it which types need a key. Adding one: a module here with `BACKEND`, a line below,
tests (CONTRIBUTING.md).
"""

from __future__ import annotations

from tracegen.backends import datadog, honeycomb, jaeger, otlp, tempo
from tracegen.backends.base import BackendType, Retention

BACKENDS: dict[str, BackendType] = {b.name: b for b in (
    jaeger.BACKEND,
    tempo.BACKEND,
    honeycomb.BACKEND,
    datadog.BACKEND,
    otlp.BACKEND,
)}
NAMES: tuple[str, ...] = tuple(BACKENDS)


def get(name: str) -> BackendType:
    return BACKENDS[name]


__all__ = ["BACKENDS", "NAMES", "BackendType", "Retention", "get"]
