"""What recording traces costs the applications, from the measured per-language figures.

The playbook's budget for tracing is < 5 ms p95 added latency and < 2 % CPU. scripts/bench_overhead.py
measured the generated bootstraps (README, "Overhead of recording every trace"): latency stays
inside the budget everywhere, CPU does not in every language. Read as that benchmark does, 2 % CPU
is 2 % of a core at 200 requests/s, i.e. 100 µs per request. `tracegen plan` shows these warnings
per environment, with each service's cost at its declared peak.
"""

from __future__ import annotations

from dataclasses import dataclass

from tracegen import languages
from tracegen.plan import model as pm

BUDGET_CPU_SHARE = 0.02             # of one core
BUDGET_REFERENCE_RPS = 200          # the request rate at which the benchmark reads that share
BUDGET_CPU_US = BUDGET_CPU_SHARE * 1e6 / BUDGET_REFERENCE_RPS   # 100 µs per request


@dataclass(frozen=True)
class OverheadWarning:
    service: str
    language: str
    cpu_us_per_request: float
    cores_at_peak: float | None
    source: str = "measured by scripts/bench_overhead.py"   # languages.Language.recording_cpu_source

    def text(self) -> str:
        at_peak = "" if self.cores_at_peak is None else \
            f"; {self.cores_at_peak * 100:.1f} % of a core at its declared peak"
        return (f"{self.service} ({self.language}): recording costs ~{self.cpu_us_per_request:.0f} µs CPU per "
                f"request ({self.source}), over the < 2 % CPU budget ({BUDGET_CPU_US:.0f} µs at "
                f"{BUDGET_REFERENCE_RPS} requests/s per core){at_peak}; head sampling saves little of it")


def warnings(env: pm.EnvironmentPlan, peak_rps: dict[str, float]) -> list[OverheadWarning]:
    """Services whose SDK records traces (any non-zero sampler) in a language over the CPU budget."""
    found = []
    for service in env.services:
        language = languages.get(service.language)
        cost = language.recording_cpu_us
        if cost is None or cost <= BUDGET_CPU_US or service.sampler_ratio <= 0:
            continue
        peak = peak_rps.get(service.name) or 0
        found.append(OverheadWarning(service.name, service.language, cost,
                                     cost * peak / 1e6 if peak else None, language.recording_cpu_source))
    return found
