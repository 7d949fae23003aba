"""Spans as `tracegen verify` reads them, from the two sources a running system has: an OTLP JSON file
(the collector's `file` exporter: one ExportTraceServiceRequest per line) and a Jaeger query API
(`/api/traces?service=...`). Only what the measures need is kept."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tracegen.errors import BlueprintError, UsageError
from tracegen.verify import http

# OTLP's SpanKind and StatusCode enums (opentelemetry-proto trace/v1/trace.proto).
KINDS = {0: "unspecified", 1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}
STATUS_ERROR = 2
# Attributes that name the peer a client span calls (semantic conventions, old and new).
PEER_KEYS = ("peer.service", "server.address", "net.peer.name", "messaging.destination.name",
             "messaging.destination")
DATABASE_KEYS = ("db.system", "db.system.name")


@dataclass(frozen=True)
class Span:
    trace_id: str
    span_id: str
    parent_id: str            # "" for a root
    service: str
    name: str
    kind: str                 # server | client | producer | consumer | internal | unspecified
    error: bool
    attributes: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def database(self) -> bool:
        return any(key in self.attributes for key in DATABASE_KEYS)


def _any_value(value: dict) -> object:
    for key in ("stringValue", "boolValue", "intValue", "doubleValue"):
        if key in value:
            return value[key]
    return None


def _attributes(items: Iterable[dict]) -> dict:
    return {item.get("key"): _any_value(item.get("value") or {}) for item in items or ()}


def _kind(value: object) -> str:
    if isinstance(value, str):          # protojson may also write the enum's name
        return value.removeprefix("SPAN_KIND_").lower()
    return KINDS.get(value, "unspecified")


def _error(status: dict) -> bool:
    code = status.get("code", 0)
    return code == STATUS_ERROR or code == "STATUS_CODE_ERROR"


def from_otlp_request(request: dict) -> Iterator[Span]:
    """The spans of one ExportTraceServiceRequest in OTLP/JSON (ids in hex)."""
    for resource_spans in request.get("resourceSpans") or ():
        resource = _attributes((resource_spans.get("resource") or {}).get("attributes"))
        service = str(resource.get("service.name") or "unknown_service")
        for scope_spans in resource_spans.get("scopeSpans") or ():
            for span in scope_spans.get("spans") or ():
                yield Span(trace_id=str(span.get("traceId", "")).lower(), span_id=str(span.get("spanId", "")).lower(),
                           parent_id=str(span.get("parentSpanId") or "").lower(), service=service,
                           name=str(span.get("name", "")), kind=_kind(span.get("kind", 0)),
                           error=_error(span.get("status") or {}), attributes=_attributes(span.get("attributes")))


def read_otlp_file(path: str) -> list[Span]:
    """Every span of a file exporter's output. A line that is not JSON is `file:line:col: message`."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read spans from {path}: {getattr(error, 'strerror', None) or error}") from None
    spans: list[Span] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            request = json.loads(line)
        except json.JSONDecodeError as error:
            raise BlueprintError(f"not an OTLP JSON line: {error.msg}", path, number, error.colno) from None
        if not isinstance(request, dict):
            raise BlueprintError("not an OTLP JSON line: expected an ExportTraceServiceRequest object", path,
                                 number, 1)
        spans.extend(from_otlp_request(request))
    return spans


# --------------------------------------------------------------------------- Jaeger
def _tags(items: Iterable[dict]) -> dict:
    return {item.get("key"): item.get("value") for item in items or ()}


def from_jaeger(payload: dict) -> Iterator[Span]:
    """The spans of a Jaeger query API answer (`{"data": [trace, ...]}`)."""
    for trace in payload.get("data") or ():
        processes = {key: (value or {}).get("serviceName", "unknown_service")
                     for key, value in (trace.get("processes") or {}).items()}
        for span in trace.get("spans") or ():
            tags = _tags(span.get("tags"))
            parent = next((ref.get("spanID", "") for ref in span.get("references") or ()
                           if ref.get("refType") == "CHILD_OF"), "")
            error = tags.get("error") in (True, "true") or tags.get("otel.status_code") == "ERROR"
            yield Span(trace_id=str(span.get("traceID", "")).lower().rjust(32, "0"),
                       span_id=str(span.get("spanID", "")).lower().rjust(16, "0"),
                       parent_id=str(parent).lower().rjust(16, "0") if parent else "",
                       service=str(processes.get(span.get("processID"), "unknown_service")),
                       name=str(span.get("operationName", "")), kind=str(tags.get("span.kind", "internal")),
                       error=error, attributes=tags)


def read_jaeger(url: str, services: Iterable[str], lookback: str, limit: int) -> list[Span]:
    """The traces each service took part in within `lookback`, from Jaeger's query API, each span once."""
    unique: dict[tuple[str, str], Span] = {}
    for service in services:
        query = urllib.parse.urlencode({"service": service, "lookback": lookback, "limit": limit})
        body = http.get(f"{url.rstrip('/')}/api/traces?{query}", f"--jaeger (traces of {service})")
        try:
            payload = json.loads(body)
        except ValueError:
            raise UsageError(f"--jaeger: {url} did not answer with Jaeger's JSON for {service}") from None
        for span in from_jaeger(payload if isinstance(payload, dict) else {}):
            unique.setdefault((span.trace_id, span.span_id), span)
    return list(unique.values())
