"""What a backend type is: the facts one module states, and the behaviour every type shares.

URL shapes, as the collector's exporters treat them (and every type shares):

- OTLP/gRPC (`otlp_grpc`) takes `host:port` (an `http://`/`https://` prefix is stripped); anything
  after the port is not part of a gRPC address, so an endpoint with a path is refused.
- OTLP/HTTP (`otlp_http`) appends `/v1/traces` to `endpoint` (the OTLP base-URL rule, path prefix
  kept) and uses `traces_endpoint` as written. A URL whose path ends in `/v1/traces` goes into
  `traces_endpoint`; a bare origin into `endpoint`. Any other path is the type's call
  (`full_url_paths`): Datadog's documented intake URLs are whole traces URLs
  (`/api/v0.2/traces`), so for it a path always means `traces_endpoint`; for the OTLP-standard
  types it is a base prefix (Grafana's `/otlp`), unless it is one the exporter would mangle
  (`/v1`, another signal's path, a non-OTLP `/traces` path, a query), which is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

TRACES_PATH = "/v1/traces"
# Paths an OTLP base URL never ends with: the exporter would append /v1/traces to them.
_MANGLED_SUFFIXES = ("/v1", "/v1/logs", "/v1/metrics", "/v1/profiles", "/traces", "/spans")


def http_url(endpoint: str, insecure: bool) -> str:
    """The URL the OTLP/HTTP exporter is given: as written, or with the scheme TLS implies."""
    if "://" in endpoint:
        return endpoint
    return ("http://" if insecure else "https://") + endpoint


def url_path(endpoint: str, insecure: bool = False) -> str:
    return urlsplit(http_url(endpoint, insecure)).path


def shown(endpoint: str) -> str:
    """An endpoint as messages may show it: no query, fragment or userinfo (they may carry tokens)."""
    parts = urlsplit(endpoint if "://" in endpoint else "//" + endpoint)
    if not (parts.query or parts.fragment or "@" in parts.netloc):
        return endpoint
    host = parts.netloc.rpartition("@")[2]
    scheme = f"{parts.scheme}://" if "://" in endpoint else ""
    return f"{scheme}{host}{parts.path}" + ("?…" if parts.query else "")


def _shape_problem(endpoint: str, protocol: str, full_url_paths: bool) -> str | None:
    """What the generic OTLP exporters would do wrong with this endpoint, or None."""
    if protocol == "grpc":
        address = endpoint.split("://", 1)[-1]
        if "/" in address.rstrip("/") or "?" in address:
            return (f"'{endpoint}' is not a gRPC address: the OTLP/gRPC exporter takes host:port and "
                    "cannot send to a path; give host:port, or set protocol: http for a URL")
        return None
    parts = urlsplit(http_url(endpoint, False))
    if parts.query or parts.fragment:
        return (f"'{endpoint}' has a query or fragment: the OTLP/HTTP exporter would append {TRACES_PATH} "
                "after it; give the intake's plain URL")
    path = parts.path.rstrip("/")
    if full_url_paths or path == "" or path.endswith(TRACES_PATH):
        return None
    if path.endswith(_MANGLED_SUFFIXES):
        return (f"'{endpoint}' would be sent to {path}{TRACES_PATH}: the OTLP/HTTP exporter appends "
                f"{TRACES_PATH} to a base URL; give the base URL the intake documents, or its full "
                f"traces URL ending in {TRACES_PATH}")
    return None


@dataclass(frozen=True)
class Retention:
    """How long the backend keeps traces when nobody configures it (None: depends on its storage)."""

    hot_days: int | None
    cold_days: int | None = None
    source: str = ""


@dataclass(frozen=True)
class BackendType:
    """One kind of trace backend. Every backend tracegen supports speaks OTLP, so a type is the
    headers it needs, the protocol it takes, its intake rules and what it keeps by default."""

    name: str
    summary: str
    key_header: str | None = None            # the header that carries `api_key` (a credential)
    key_scheme: str = ""                     # prefix of the key in that header, e.g. "Bearer "
    key_required: bool = False               # without a key every export is rejected
    dataset_header: str | None = None        # the header that carries `dataset`
    keyed_headers: tuple[tuple[str, str], ...] = ()   # added with the key (fixed, not secret)
    protocol: str | None = None              # the only protocol its intake takes; None: the blueprint's
    retention: Retention = Retention(None)
    # True: any path in an HTTP endpoint is the intake's whole traces URL (traces_endpoint); False:
    # the OTLP base-URL rule, a path not ending in /v1/traces is a prefix (module docstring).
    full_url_paths: bool = False
    # endpoint, protocol, insecure, the blueprint's headers -> why the intake cannot work that way
    intake_rule: Callable[[str, str, bool, Mapping[str, str]], str | None] | None = field(default=None,
                                                                                         compare=False)
    # Resource attributes under the vendor's own names, as (semantic-convention key, vendor key): what
    # a migration away from this type maps back (plan/migration.py `attribute_mapping`).
    vendor_attributes: tuple[tuple[str, str], ...] = ()
    # What differs when traces move to or from this type, for the migration runbook (prose).
    migration_notes: tuple[str, ...] = ()

    def headers(self, given: dict[str, str], api_key: str | None, dataset: str | None) -> dict[str, str]:
        """The headers the exporter sends: the blueprint's own, then the key and the dataset."""
        headers = dict(given)
        if api_key and self.key_header:
            headers.update(self.keyed_headers)
            headers[self.key_header] = f"{self.key_scheme}{api_key}"
        if dataset and self.dataset_header:
            headers[self.dataset_header] = dataset
        return headers

    def exporter_protocol(self, asked: str) -> str:
        return self.protocol or asked

    def http_fields(self, endpoint: str, insecure: bool) -> dict[str, str]:
        """The otlp_http exporter's URL setting: `traces_endpoint` for a whole traces URL (used as
        written), `endpoint` for a base URL (the exporter appends /v1/traces)."""
        url = http_url(endpoint, insecure)
        path = urlsplit(url).path.rstrip("/")
        full = path.endswith(TRACES_PATH) or (self.full_url_paths and path != "")
        return {"traces_endpoint": url} if full else {"endpoint": url}

    def intake_problem(self, endpoint: str, protocol: str, insecure: bool,
                       headers: Mapping[str, str] | None = None) -> str | None:
        """Why exporting to this endpoint cannot work: a URL the exporter would mangle, or the
        type's own intake rule (TLS only, a required header, ...). None when it can."""
        protocol = self.exporter_protocol(protocol)
        problem = _shape_problem(endpoint, protocol, self.full_url_paths)
        if problem is None and self.intake_rule:
            problem = self.intake_rule(endpoint, protocol, insecure, {k.lower(): v for k, v in (headers or {}).items()})
        return None if problem is None else problem.replace(endpoint, shown(endpoint))

    def has_key(self, api_key: str | None, given: dict[str, str]) -> bool:
        """Whether a key reaches the backend, as `api_key` or already as its header."""
        return bool(api_key) or (self.key_header or "").lower() in {k.lower() for k in given}
