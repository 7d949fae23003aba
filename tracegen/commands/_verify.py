"""Reading and judging the gateways' exporter counters for `tracegen migrate verify`.

The collector's own telemetry (the Prometheus endpoint in `service.telemetry.metrics`) counts, per
exporter (label `exporter`, the exporter's id such as `otlp_grpc/jaeger`):
`otelcol_exporter_sent_spans` (delivered), `otelcol_exporter_send_failed_spans` (given up after
retries, or rejected) and `otelcol_exporter_enqueue_failed_spans` (dropped: the queue was full).
The Prometheus exposition adds `_total` to counters; both spellings are read.
"""

from __future__ import annotations

import http.client
import json
import math
import re
import urllib.parse

from tracegen.errors import UsageError

SENT = "otelcol_exporter_sent_spans"
FAILED = ("otelcol_exporter_send_failed_spans", "otelcol_exporter_enqueue_failed_spans")
QUEUE = "otelcol_exporter_queue_size"      # a gauge: spans waiting, reported (not summed over the window)
METRICS = (SENT, *FAILED)
SAMPLE = re.compile(r'^(?P<name>[A-Za-z_:][A-Za-z0-9_:]*)(?:\{(?P<labels>[^}]*)\})?\s+(?P<value>\S+)')
LABEL = re.compile(r'(?P<key>[A-Za-z_][A-Za-z0-9_]*)="(?P<value>(?:[^"\\]|\\.)*)"')
TIMEOUT_S = 10


def _get(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"'{url}' is not an http(s) URL")
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection = kind(parts.hostname, parts.port, timeout=TIMEOUT_S)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            body = response.read().decode("utf-8", "replace")
        finally:
            connection.close()
    except (OSError, http.client.HTTPException, ValueError) as error:
        raise UsageError(f"cannot read {url}: {error}") from None
    if response.status != 200:
        raise UsageError(f"cannot read {url}: HTTP {response.status}")
    return body


def parse(text: str, exporters: tuple[str, ...]) -> dict[str, dict[str, float]]:
    """exporter -> metric -> value, summed over other labels, for the given exporters."""
    counts = {e: dict.fromkeys((*METRICS, QUEUE), 0.0) for e in exporters}
    for line in text.splitlines():
        match = SAMPLE.match(line)
        if not match:
            continue
        name = match["name"].removesuffix("_total")
        if name not in METRICS and match["name"] != QUEUE:
            continue
        name = name if name in METRICS else QUEUE
        labels = {m["key"]: m["value"] for m in LABEL.finditer(match["labels"] or "")}
        exporter = labels.get("exporter")
        if exporter in counts:
            try:
                counts[exporter][name] += float(match["value"])
            except ValueError:
                continue
    return counts


def scrape_all(urls: tuple[str, ...], exporters: tuple[str, ...]) -> dict[str, dict[str, float]]:
    total = {e: dict.fromkeys((*METRICS, QUEUE), 0.0) for e in exporters}
    for url in urls:
        for exporter, values in parse(_get(url), exporters).items():
            for metric, value in values.items():
                total[exporter][metric] += value
    return total


def difference(after: dict, before: dict) -> dict[str, dict[str, float]]:
    """Counters over the window; the queue as it is at the end."""
    return {e: {**{m: after[e][m] - before[e][m] for m in METRICS}, QUEUE: after[e][QUEUE]} for e in after}


def from_prometheus(base: str, exporters: tuple[str, ...], window_s: float) -> dict[str, dict[str, float]]:
    """increase() over the window, per exporter, from a Prometheus that scrapes the gateways."""
    counts = {e: dict.fromkeys((*METRICS, QUEUE), 0.0) for e in exporters}
    seconds = max(1, int(math.ceil(window_s)))
    queries = {m: f'sum by (exporter) (increase({{__name__=~"{m}(_total)?"}}[{seconds}s]))' for m in METRICS}
    queries[QUEUE] = f"sum by (exporter) ({QUEUE})"
    for metric, query in queries.items():
        url = base.rstrip("/") + "/api/v1/query?" + urllib.parse.urlencode({"query": query})
        try:
            body = json.loads(_get(url))
            results = body["data"]["result"]
        except (ValueError, KeyError, TypeError):
            raise UsageError(f"{base}: not a Prometheus query API answer") from None
        for row in results:
            exporter = row.get("metric", {}).get("exporter")
            if exporter in counts:
                counts[exporter][metric] += float(row["value"][1])
    return counts


def judge(plan, counts: dict[str, dict[str, float]], window_s: float) -> dict:
    """Go only when both exporters sent spans, neither failed one, and the new one's count is within
    the tolerance of the old one's."""
    old, new = counts[plan.old.exporter], counts[plan.new.exporter]
    old_sent, new_sent = old[SENT], new[SENT]
    reasons = []
    if old_sent <= 0:
        reasons.append(f"the old backend's exporter {plan.old.exporter} sent nothing in the window: no traffic "
                       "to compare (or the wrong endpoints)")
    difference_ratio = (new_sent - old_sent) / old_sent if old_sent > 0 else None
    if difference_ratio is not None and abs(difference_ratio) > plan.tolerance:
        reasons.append(f"the new backend got {difference_ratio:+.2%} of the old one's spans, beyond the "
                       f"tolerance of {plan.tolerance:.2%}")
    for side, values in (("old", old), ("new", new)):
        failed = sum(values[m] for m in FAILED)
        if failed > 0:
            reasons.append(f"the {side} backend's exporter failed {failed:.0f} span(s) (send or queue)")
    return {
        "migration": plan.name, "window_s": window_s, "tolerance": plan.tolerance,
        "exporters": {
            "old": {"backend": plan.old.backend, "exporter": plan.old.exporter,
                    **{m: old[m] for m in (*METRICS, QUEUE)}},
            "new": {"backend": plan.new.backend, "exporter": plan.new.exporter,
                    **{m: new[m] for m in (*METRICS, QUEUE)}},
        },
        "difference": difference_ratio, "go": not reasons, "reasons": reasons,
    }


def text(verdict: dict) -> str:
    rows = [f"migration {verdict['migration']}: window {verdict['window_s']:g}s, tolerance "
            f"{verdict['tolerance']:.2%}",
            f"  {'side':<4} {'backend':<16} {'exporter':<28} {'sent':>10} {'send failed':>12} {'queue full':>11} "
            f"{'queued now':>11}"]
    for side in ("old", "new"):
        e = verdict["exporters"][side]
        rows.append(f"  {side:<4} {e['backend']:<16} {e['exporter']:<28} {e[SENT]:>10.0f} {e[FAILED[0]]:>12.0f} "
                    f"{e[FAILED[1]]:>11.0f} {e[QUEUE]:>11.0f}")
    if verdict["difference"] is not None:
        rows.append(f"  new vs old: {verdict['difference']:+.2%}")
    rows += [f"  no-go: {reason}" for reason in verdict["reasons"]]
    rows.append("  verdict: " + ("GO" if verdict["go"] else "NO-GO"))
    return "\n".join(rows)
