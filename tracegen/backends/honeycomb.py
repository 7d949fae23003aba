"""Honeycomb: OTLP gRPC (api.honeycomb.io:443) or HTTP (https://api.honeycomb.io), the team's API
key in `x-honeycomb-team`, the dataset in `x-honeycomb-dataset` (classic environments). The intake
is TLS only. Honeycomb keeps events 60 days."""

from __future__ import annotations

from tracegen.backends.base import BackendType, Retention


def _intake(endpoint: str, protocol: str, insecure: bool) -> str | None:
    if insecure and "honeycomb.io" in endpoint:
        return "Honeycomb's intake accepts TLS only: remove tls.insecure"
    return None


BACKEND = BackendType(
    name="honeycomb",
    summary="Honeycomb over OTLP",
    key_header="x-honeycomb-team",
    key_required=True,
    dataset_header="x-honeycomb-dataset",
    retention=Retention(60, source="Honeycomb's standard retention"),
    intake_rule=_intake,
)
