"""The standard OTEL_* variables of one service, decided once by the planner (ServicePlan.otel_env).
Every SDK reads them; the Kubernetes env patch, the VM environment file and `otel.env` all write
`ServicePlan.otel_env` as it is, so they are identical by construction."""

from __future__ import annotations

from urllib.parse import quote

from tracegen import languages
from tracegen.plan import model as pm

# OTEL_RESOURCE_ATTRIBUTES is a W3C-baggage-like list: ',' '=' '%' and spaces must be percent-encoded.
# Everything else but these is encoded too (every SDK percent-decodes): no shell, systemd or docker
# reader then sees a quote, `$`, `;` or backtick, and Java's decoder cannot turn a `+` into a space.
_SAFE = "-._~:/@"


def ratio_text(ratio: float) -> str:
    return f"{ratio:.10f}".rstrip("0").rstrip(".") or "0"


def resource_attributes_text(service: pm.ServicePlan) -> str:
    return ",".join(f"{key}={quote(value, safe=_SAFE)}" for key, value in service.resource_attributes
                    if key != "service.name")   # OTEL_SERVICE_NAME wins over it anyway


def otel_variables(service: pm.ServicePlan) -> tuple[tuple[str, str], ...]:
    """(name, value) pairs in a stable order."""
    return (
        ("OTEL_SERVICE_NAME", service.name),
        ("OTEL_RESOURCE_ATTRIBUTES", resource_attributes_text(service)),
        ("OTEL_PROPAGATORS", ",".join(service.propagators)),
        ("OTEL_TRACES_SAMPLER", service.sampler),
        ("OTEL_TRACES_SAMPLER_ARG", ratio_text(service.sampler_ratio)),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", service.otlp_endpoint),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", service.otlp_protocol),
        # The agents run a traces pipeline only: SDKs that would also export metrics and logs over
        # OTLP by default (the Java agent does) must not.
        ("OTEL_METRICS_EXPORTER", "none"),
        ("OTEL_LOGS_EXPORTER", "none"),
    ) + languages.get(service.language).extra_env   # e.g. PHP's OTEL_PHP_AUTOLOAD_ENABLED
