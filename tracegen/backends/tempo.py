"""Grafana Tempo: OTLP gRPC or HTTP; `dataset` names the tenant (X-Scope-OrgID) of a multi-tenant
Tempo. Tempo's compactor keeps blocks `block_retention` long, 336h (14 days) unless configured."""

from tracegen.backends.base import BackendType, Retention

BACKEND = BackendType(
    name="tempo",
    summary="Grafana Tempo over OTLP",
    dataset_header="X-Scope-OrgID",
    retention=Retention(14, source="Tempo compactor block_retention default (336h)"),
    migration_notes=(
        "Tempo: a multi-tenant Tempo needs the tenant in X-Scope-OrgID (the backend's `dataset`); without "
        "it a multi-tenant Tempo refuses every export (401), which `migrate verify` shows as failed spans.",
    ),
)
