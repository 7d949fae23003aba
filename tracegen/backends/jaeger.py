"""Jaeger: OTLP (gRPC 4317 or HTTP 4318) straight into the collector of Jaeger v2 or the OTLP
receiver of Jaeger v1.35+; the collector's own `jaeger` exporter was removed in contrib v0.85.0.
Retention depends on Jaeger's storage (Badger TTL, Elasticsearch index cleaner, ...)."""

from tracegen.backends.base import BackendType, Retention

BACKEND = BackendType(
    name="jaeger",
    summary="Jaeger over OTLP",
    retention=Retention(None, source="set by Jaeger's storage backend"),
    migration_notes=(
        "Jaeger: it keeps what its storage keeps (Badger TTL, Elasticsearch index cleaner); state "
        "retention.hot_days so the runbook can say until when the old traces stay queryable.",
    ),
)
