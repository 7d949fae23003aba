"""The OpenTelemetry declarative configuration of one service (`otel-config.yaml`, file_format 1.0).

An SDK that supports it reads the file named by OTEL_CONFIG_FILE instead of the OTEL_* variables.
The spec reads environment variables only where the file references them, so the settings a
deployment usually changes are references with the blueprint's value as default
(`${OTEL_EXPORTER_OTLP_ENDPOINT:-http://...}`): there, as with the bootstraps, the variable wins. The
file is the same in every environment: the defaults are the OpenTelemetry ones (targets/sdk/common.py).
"""

from __future__ import annotations

from tracegen import encoding
from tracegen.plan import model as pm
from tracegen.plan.otel_env import ratio_text

FILE_FORMAT = "1.0"
FILE_NAME = "otel-config.yaml"
# Propagators the configuration schema names (`.propagator.composite[]` keys).
SCHEMA_PROPAGATORS = ("tracecontext", "baggage", "b3", "b3multi")


def configuration(service: pm.ServicePlan) -> dict:
    # The loader substitutes ${...} in every scalar: blueprint text is escaped (`$$`), and the
    # defaults tracegen writes (service name, endpoint) are validated to hold no `$`, `{` or `}`.
    attributes = [{"name": key, "value": f"${{OTEL_SERVICE_NAME:-{value}}}" if key == "service.name"
                   else encoding.declarative_text(value)}
                  for key, value in service.resource_attributes]
    if service.otlp_protocol == "grpc":
        exporter = {"otlp_grpc": {"endpoint": f"${{OTEL_EXPORTER_OTLP_ENDPOINT:-{service.otlp_endpoint}}}"}}
    else:
        # The general variable, as each environment's otel.env sets it, with the traces path appended
        # as the SDKs append it (the schema's endpoint is the full URL).
        exporter = {"otlp_http": {"endpoint": f"${{OTEL_EXPORTER_OTLP_ENDPOINT:-{service.otlp_endpoint}}}/v1/traces",
                                  "encoding": "protobuf"}}
    return {
        "file_format": FILE_FORMAT,
        "resource": {
            "attributes": attributes,
            # Entries of `attributes` win over these, per the schema: the variable can add, not replace.
            "attributes_list": "${OTEL_RESOURCE_ATTRIBUTES:-}",
        },
        "propagator": {"composite": [{name: None} for name in service.propagators if name in SCHEMA_PROPAGATORS]},
        "tracer_provider": {
            "processors": [{"batch": {"exporter": exporter}}],
            "sampler": _sampler(service),
        },
    }


def _sampler(service: pm.ServicePlan) -> dict:
    """Parent-based ratio sampling whose ratio OTEL_TRACES_SAMPLER_ARG sets: the file is the same in
    every environment, so each environment's ratio comes from its variables (1, every trace the service
    starts, when unset: the same as the specification's parentbased_always_on)."""
    return {"parent_based": {"root": {"trace_id_ratio_based": {
        "ratio": f"${{OTEL_TRACES_SAMPLER_ARG:-{ratio_text(service.sampler_ratio)}}}"}}}}
