"""What a language is to tracegen: the facts the planner, the standards and the SDK target share."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Language:
    name: str
    summary: str
    # OTEL_EXPORTER_OTLP_PROTOCOL: the SDK's own default, so the bootstrap and the env agree with it.
    otlp_protocol: str
    # OTEL_PROPAGATORS values the generated output provides (builds in code, or installs the
    # package for); the one list per language the planner, the SDK target and its notes read.
    propagators: frozenset[str] = frozenset({"tracecontext", "baggage"})
    # True: the bootstrap builds propagators in code, so any other is refused (TG001). False: the
    # SDK reads OTEL_PROPAGATORS itself, and an unprovided one is only noted in the README.
    refuses_other_propagators: bool = False
    # CPU the generated bootstrap adds per request when it records every trace, in microseconds,
    # measured against the same app uninstrumented by scripts/bench_overhead.py (README, "Overhead of
    # recording every trace"); the plan warns where it breaks the playbook's CPU budget.
    recording_cpu_us: float | None = None

    @property
    def template_dir(self) -> str:
        """Where its SDK templates live, under tracegen/templates/."""
        return f"sdk/{self.name}"
