"""Honeycomb: OTLP gRPC (`api.honeycomb.io:443`) or HTTP (`https://api.honeycomb.io`, to which the
exporter appends /v1/traces, or the whole `https://api.honeycomb.io/v1/traces`), the team's API
key in `x-honeycomb-team`, the dataset in `x-honeycomb-dataset` (classic environments; newer
environments take the dataset from service.name). The intake is TLS only. Honeycomb keeps events
60 days. EU teams use api.eu1.honeycomb.io."""

from __future__ import annotations

from collections.abc import Mapping

from tracegen.backends.base import TRACES_PATH, BackendType, Retention, url_path


def _intake(endpoint: str, protocol: str, insecure: bool, headers: Mapping[str, str]) -> str | None:
    if "honeycomb.io" not in endpoint:
        return None                          # a local stand-in or a proxy in front of Honeycomb
    if insecure or endpoint.startswith("http://"):
        return "Honeycomb's intake accepts TLS only: remove tls.insecure and use https://"
    if protocol == "http" and url_path(endpoint).rstrip("/") not in ("", TRACES_PATH):
        return (f"Honeycomb's OTLP/HTTP intake is https://api.honeycomb.io (or its full URL ending in "
                f"{TRACES_PATH}); '{endpoint}' has another path")
    return None


BACKEND = BackendType(
    name="honeycomb",
    summary="Honeycomb over OTLP",
    key_header="x-honeycomb-team",
    key_required=True,
    dataset_header="x-honeycomb-dataset",
    retention=Retention(60, source="Honeycomb's standard retention"),
    migration_notes=(
        "Honeycomb: the team's key goes in x-honeycomb-team; a classic environment needs the dataset "
        "(x-honeycomb-dataset), a newer one names datasets after service.name, so a service without "
        "service.name lands in `unknown_service`.",
    ),
    intake_rule=_intake,
)
