"""Java: the OpenTelemetry Java agent 2.x, whose default OTLP protocol is http/protobuf on 4318. The
agent reads OTEL_PROPAGATORS itself and has every propagator the blueprint can name."""

from tracegen.languages.base import Language

LANGUAGE = Language(name="java", summary="Java agent 2.x", otlp_protocol="http/protobuf")
