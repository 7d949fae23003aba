"""Any OTLP endpoint (a vendor's intake, another collector): gRPC or HTTP, the key as a bearer
token in `authorization`. What it keeps is up to whoever runs it."""

from tracegen.backends.base import BackendType, Retention

BACKEND = BackendType(
    name="otlp",
    summary="a generic OTLP endpoint",
    key_header="authorization",
    key_scheme="Bearer ",
    retention=Retention(None, source="up to the receiving end"),
)
