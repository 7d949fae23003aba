"""A real Jaeger (v2 all-in-one, in-memory storage) as the tracing backend, and a client for its
query API (`/api/traces`), so the end-to-end tests judge what a user would see in Jaeger.

The binary comes from tracegen.toolchain.jaeger (built from the Go module proxy on first use,
cached); the config is written from its `config()` data, listening on 127.0.0.1 only.
"""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from tracegen.toolchain import jaeger as toolchain

from .processes import Collector, HOST, port_free, wait_until


@dataclass(frozen=True)
class JaegerSpan:
    span_id: str
    parent_id: str | None          # CHILD_OF reference within the trace, None for a root
    service: str
    name: str
    error: bool                    # status ERROR (Jaeger's `error` tag)
    start_us: int
    duration_us: int
    tags: dict


@dataclass(frozen=True)
class JaegerTrace:
    trace_id: str                  # 32 lower-case hex digits
    spans: tuple[JaegerSpan, ...]

    @property
    def services(self) -> set[str]:
        return {s.service for s in self.spans}

    @property
    def roots(self) -> list[JaegerSpan]:
        return [s for s in self.spans if s.parent_id is None]

    @property
    def orphans(self) -> list[JaegerSpan]:
        """Spans whose parent is not in the trace: the trace reached Jaeger incomplete."""
        ids = {s.span_id for s in self.spans}
        return [s for s in self.spans if s.parent_id is not None and s.parent_id not in ids]

    @property
    def duration_us(self) -> int:
        return max(s.start_us + s.duration_us for s in self.spans) - min(s.start_us for s in self.spans)


def _hex(value: str, width: int) -> str:
    return value.lower().rjust(width, "0")


def _tag_value(tag: dict) -> object:
    return tag.get("value")


def parse_traces(payload: dict) -> list[JaegerTrace]:
    """Jaeger's /api/traces JSON (its v1 UI model) as JaegerTrace values."""
    out = []
    for item in payload.get("data") or []:
        processes = {key: p.get("serviceName", "") for key, p in (item.get("processes") or {}).items()}
        spans = []
        for span in item.get("spans") or []:
            tags = {t["key"]: _tag_value(t) for t in span.get("tags") or []}
            parent = next((_hex(r["spanID"], 16) for r in span.get("references") or []
                           if r.get("refType") == "CHILD_OF"), None)
            error = tags.get("error") in (True, "true") or tags.get("otel.status_code") == "ERROR"
            spans.append(JaegerSpan(span_id=_hex(span["spanID"], 16), parent_id=parent,
                                    service=processes.get(span.get("processID", ""), ""),
                                    name=span.get("operationName", ""), error=error,
                                    start_us=int(span.get("startTime", 0)), duration_us=int(span.get("duration", 0)),
                                    tags=tags))
        out.append(JaegerTrace(trace_id=_hex(item["traceID"], 32), spans=tuple(spans)))
    return out


class Jaeger:
    """`jaeger --config <file>` on loopback: OTLP in on `ports.otlp_grpc`/`otlp_http`, the query
    API on `ports.query_http`. Its health check serves on `ports.health`."""

    def __init__(self, binary: Path, ports: toolchain.JaegerPorts, work: Path) -> None:
        self.ports = ports
        work.mkdir(parents=True, exist_ok=True)
        self.config_file = work / "jaeger.yaml"
        self.config_file.write_text(yaml.safe_dump(toolchain.config(ports), sort_keys=True), encoding="utf-8")
        # A collector process in all but name: same start/health/stop discipline and log handling.
        # Its own metrics are off (level none), so the metrics port is never read.
        self.process = Collector("jaeger", binary, [self.config_file], {"OTEL_SDK_DISABLED": "true"},
                                 work / "jaeger.log", ports.health, 0)

    @property
    def otlp_endpoint(self) -> str:
        return f"{HOST}:{self.ports.otlp_grpc}"

    def start(self, timeout_s: float = 60.0) -> None:
        busy = [p for p in (self.ports.otlp_grpc, self.ports.otlp_http, self.ports.query_http,
                            self.ports.query_grpc, self.ports.health) if not port_free(p)]
        if busy:
            raise RuntimeError(f"jaeger: loopback ports already in use: {busy}")
        self.process.start(timeout_s)
        if not wait_until(lambda: self._get("/api/services") is not None, timeout_s):
            raise RuntimeError(f"jaeger: query API not answering on {self.ports.query_http}\n{self.process.log_tail()}")

    def stop(self) -> None:
        self.process.stop(graceful=True, timeout_s=20)

    def log_tail(self, lines: int = 30) -> str:
        return self.process.log_tail(lines)

    # -- query API
    def _get(self, path: str, params: Iterable[tuple[str, str]] = (), timeout_s: float = 60.0) -> dict | None:
        query = urllib.parse.urlencode(list(params))
        url = f"http://{HOST}:{self.ports.query_http}{path}" + (f"?{query}" if query else "")
        try:
            with urllib.request.urlopen(url, timeout=timeout_s) as response:  # noqa: S310 - loopback only
                return json.loads(response.read().decode("utf-8"))
        except (OSError, ValueError):
            return None

    def services(self) -> list[str]:
        return list((self._get("/api/services") or {}).get("data") or [])

    def traces(self, service: str, since: float, until: float | None = None,
               limit: int = 100_000) -> list[JaegerTrace]:
        """Every stored trace with a span of `service` that started between the wall-clock times
        `since` and `until` (seconds; default now), whole."""
        end = until if until is not None else time.time() + 60
        payload = self._get("/api/traces", [("service", service), ("limit", str(limit)),
                                            ("start", str(int(since * 1e6))), ("end", str(int(end * 1e6)))])
        if payload is None:
            raise RuntimeError(f"jaeger: /api/traces for {service} failed\n{self.log_tail()}")
        return parse_traces(payload)

    def trace_ids(self, service: str, since: float) -> set[str]:
        return {t.trace_id for t in self.traces(service, since)}
