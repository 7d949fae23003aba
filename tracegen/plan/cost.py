"""What the tracing costs, per backend and sampling mode, from the retention model's volumes and a
price table: GB/day ingested, GB stored for the backend's retention, $/day and $ per 1,000 root
requests. `tracegen plan` prints it; TG311 holds it against `standards.budget`.

Volumes are at the declared peak (sampling.assumptions; `--rps` changes them), so a day at peak is
an upper bound of a real day. Each backend's prices are its type's defaults below, overridden field
by field by `backends.<name>.pricing`. The defaults are list prices, not quotes: contracts, free
allotments (Datadog's per-host span allotments, Grafana Cloud's free 50 GB) and commitments are
not modelled. Checked 2026-11-29:

- Datadog (https://docs.datadoghq.com/account_management/billing/apm_tracing_profiler/): ingested
  spans $0.10 per GB; indexed spans $1.70 per million per month (15-day retention). Every exported
  span is assumed indexed (`indexed_share` 1.0; retention filters lower it). The APM host fee is
  per host, not per span, and is left out.
- Honeycomb (https://www.honeycomb.io/pricing, https://www.honeycomb.io/pricing-faq): billed per
  event, each span one event; 60 days of retention included. The Pro plan's $130 a month for 100
  million events gives the default $1.30 per million events: an estimate (plans are tiers, not a
  unit price).
- Grafana Cloud Traces (https://grafana.com/docs/grafana-cloud/cost-management-and-billing/
  understand-your-invoice/logs-invoice/): $0.05 per GB processed plus $0.40 per GB written; 30
  days of retention included, $0.10 per GB per further 30 days. The `tempo` type's default.
- Jaeger (self-hosted): object storage at $0.023 per GB-month (S3 Standard, us-east-1,
  https://aws.amazon.com/s3/pricing/): an estimate that leaves out the machines.
- otlp: no default (its destination is unknown): give `backends.<name>.pricing`.
"""

from __future__ import annotations

from dataclasses import dataclass

from tracegen.blueprint.model import Blueprint
from tracegen.plan import sampling_model as sm

DAYS_PER_MONTH = 30.0
SECONDS_PER_DAY = 86400.0


@dataclass(frozen=True)
class Prices:
    usd_per_gb_ingested: float = 0.0
    usd_per_million_spans: float = 0.0           # per event (Honeycomb)
    usd_per_million_indexed_spans: float = 0.0   # per indexed span and month (Datadog)
    indexed_share: float = 1.0
    usd_per_gb_month_stored: float = 0.0
    included_retention_days: int = 0             # stored at no extra cost for this long
    source: str = ""
    estimate: bool = False


DEFAULTS: dict[str, Prices] = {
    "datadog": Prices(usd_per_gb_ingested=0.10, usd_per_million_indexed_spans=1.70, included_retention_days=15,
                      source="Datadog list prices (APM billing docs), 2026-11-29"),
    "honeycomb": Prices(usd_per_million_spans=1.30, included_retention_days=60,
                        source="Honeycomb Pro plan, $130/month per 100M events, 2026-11-29", estimate=True),
    "tempo": Prices(usd_per_gb_ingested=0.45, usd_per_gb_month_stored=0.10, included_retention_days=30,
                    source="Grafana Cloud Traces list prices, 2026-11-29"),
    "jaeger": Prices(usd_per_gb_month_stored=0.023,
                     source="self-hosted: S3 Standard storage only, 2026-11-29", estimate=True),
    "otlp": Prices(source="no default price: set backends.<name>.pricing", estimate=True),
}


@dataclass(frozen=True)
class BackendCost:
    backend: str
    gb_ingested_per_day: float
    gb_stored: float                  # at steady state, for the backend's retention
    usd_per_day: float
    usd_per_1000_requests: float
    source: str
    estimate: bool


@dataclass(frozen=True)
class ModeCost:
    mode: str
    requests_per_day: float
    backends: tuple[BackendCost, ...]

    @property
    def usd_per_day(self) -> float:
        return sum(b.usd_per_day for b in self.backends)

    @property
    def usd_per_1000_requests(self) -> float:
        return sum(b.usd_per_1000_requests for b in self.backends)


def prices(bp: Blueprint, backend: str) -> Prices:
    spec = bp.backends[backend]
    base = DEFAULTS.get(spec.type, Prices(estimate=True))
    given = spec.pricing.model_dump(exclude_none=True) if spec.pricing else {}
    if not given:
        return base
    fields = {**base.__dict__, **given, "source": "backends.{0}.pricing".format(backend), "estimate": False}
    return Prices(**fields)


def _retention_days(bp: Blueprint, backend: str, p: Prices) -> int:
    retention = bp.backends[backend].retention
    if retention is None:
        return p.included_retention_days
    return retention.hot_days + retention.cold_days


def backend_cost(bp: Blueprint, volume: sm.Backend, requests_per_day: float) -> BackendCost:
    p = prices(bp, volume.name)
    days = _retention_days(bp, volume.name, p)
    spans_per_day = volume.spans_per_sec * SECONDS_PER_DAY
    stored = volume.gb_per_day * days
    billed_storage = volume.gb_per_day * max(0, days - p.included_retention_days)
    usd = (volume.gb_per_day * p.usd_per_gb_ingested
           + spans_per_day / 1e6 * p.usd_per_million_spans
           + spans_per_day / 1e6 * p.indexed_share * p.usd_per_million_indexed_spans
           + billed_storage * p.usd_per_gb_month_stored / DAYS_PER_MONTH)
    per_1000 = usd / (requests_per_day / 1000) if requests_per_day else 0.0
    return BackendCost(volume.name, volume.gb_per_day, stored, usd, per_1000, p.source, p.estimate)


UNSAMPLED = "(no tail sampling)"


def costs(bp: Blueprint, model: sm.SamplingModel) -> list[ModeCost]:
    """Every sampling mode's cost (the mode the collectors start in is `model.mode`), then what exporting
    every recorded span would cost: what the tail sampler saves."""
    result = []
    for mode in model.modes:
        requests = mode.volumes.traces_per_sec * SECONDS_PER_DAY
        result.append(ModeCost(mode.name, requests, tuple(backend_cost(bp, b, requests)
                                                          for b in mode.volumes.backends)))
    v = model.of().volumes
    if v.backends and v.exported_spans_per_sec < v.spans_per_sec * 0.999:
        gb = v.spans_per_sec * model.assumptions.span_bytes * SECONDS_PER_DAY / 1e9
        requests = v.traces_per_sec * SECONDS_PER_DAY
        everything = (sm.Backend(b.name, v.spans_per_sec, gb) for b in v.backends)
        result.append(ModeCost(UNSAMPLED, requests, tuple(backend_cost(bp, b, requests) for b in everything)))
    return result


def _usd(value: float) -> str:
    return f"${value:,.2f}" if value >= 1 else f"${value:,.4f}"


def text(bp: Blueprint, model: sm.SamplingModel) -> str:
    rows = costs(bp, model)
    lines = ["", "Cost at the declared peak (list prices; * an estimate):",
             "  mode                   backend              GB/day in   GB stored      $/day  $/1k requests"]
    for mode in rows:
        mark = "*" if mode.mode == model.mode else " "
        for b in mode.backends:
            lines.append(f"  {mark}{mode.mode:<21} {b.backend:<20} {b.gb_ingested_per_day:>9,.1f} {b.gb_stored:>11,.0f} "
                         f"{_usd(b.usd_per_day):>10}{'*' if b.estimate else ' '} {_usd(b.usd_per_1000_requests):>13}")
        if len(mode.backends) > 1:
            lines.append(f"  {'':<22} {'total':<20} {'':>9} {'':>11} {_usd(mode.usd_per_day):>10}  "
                         f"{_usd(mode.usd_per_1000_requests):>13}")
    sources = sorted({(b.backend, b.source) for m in rows for b in m.backends})
    lines += [f"  prices: {backend}: {source}" for backend, source in sources]
    return "\n".join(lines) + "\n"


def data(bp: Blueprint, model: sm.SamplingModel) -> dict:
    return {mode.mode: {
        "usd_per_day": round(mode.usd_per_day, 4), "usd_per_1000_requests": round(mode.usd_per_1000_requests, 6),
        "backends": {b.backend: {"gb_ingested_per_day": round(b.gb_ingested_per_day, 3),
                                 "gb_stored": round(b.gb_stored, 1), "usd_per_day": round(b.usd_per_day, 4),
                                 "usd_per_1000_requests": round(b.usd_per_1000_requests, 6),
                                 "price_source": b.source, "estimate": b.estimate} for b in mode.backends},
    } for mode in costs(bp, model)}
