"""Error calls per service as the span_metrics connector counted them, before any sampling, read from
the gateway's Prometheus exporter (`--span-metrics http://gateway:8889/metrics`)."""

from __future__ import annotations

import re

from tracegen.plan import self_metrics as sm
from tracegen.plan.collector_common import SPAN_METRICS
from tracegen.plan.collectors import CONNECTOR_METRICS
from tracegen.verify import http

# The duration histogram's _count: the calls counter read 0 at 0.160.0 (see targets/prometheus_rules.py).
CALLS = next(m.prometheus for m in CONNECTOR_METRICS[SPAN_METRICS] if m.name.endswith(".duration")) + "_count"
SAMPLE = re.compile(r'^(?P<name>[A-Za-z_:][A-Za-z0-9_:]*)(?:\{(?P<labels>.*)\})?\s+(?P<value>\S+)')
LABEL = re.compile(r'(?P<key>[A-Za-z_][A-Za-z0-9_]*)="(?P<value>(?:[^"\\]|\\.)*)"')


def errors_by_service(exposition: str) -> dict[str, float]:
    """Sum of the calls counter with an error status, per service_name."""
    totals: dict[str, float] = {}
    for line in exposition.splitlines():
        match = SAMPLE.match(line)
        if not match or match.group("name") != CALLS:
            continue
        labels = {m.group("key"): m.group("value") for m in LABEL.finditer(match.group("labels") or "")}
        if labels.get("status_code") != sm.STATUS_ERROR:
            continue
        try:
            value = float(match.group("value"))
        except ValueError:
            continue
        service = labels.get("service_name", "")
        totals[service] = totals.get(service, 0.0) + value
    return totals


def read(url: str) -> dict[str, float]:
    return errors_by_service(http.get(url, "--span-metrics"))
