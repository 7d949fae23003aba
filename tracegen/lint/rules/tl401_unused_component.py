"""TL401 components.unused (warning)

A component defined but used by no pipeline (an extension not listed in `service.extensions`) is
dead configuration: it is not started, so whoever reads the config believes something runs that
does not (a redaction processor nobody wired in is a privacy incident waiting to happen). A
connector must be both an exporter of one pipeline and a receiver of another. Wire it in or delete
it.

Bad:

    processors:
      memory_limiter: {check_interval: 1s, limit_percentage: 80, spike_limit_percentage: 20}
      redaction: {allow_all_keys: true, blocked_values: ['4[0-9]{12}(?:[0-9]{3})?']}
    service:
      pipelines:
        traces: {receivers: [otlp], processors: [memory_limiter], exporters: [otlp_grpc/backend]}

Good:

    service:
      pipelines:
        traces: {receivers: [otlp], processors: [memory_limiter, redaction], exporters: [otlp_grpc/backend]}
"""

from __future__ import annotations

from collections.abc import Iterator

from tracegen.lint.config import CollectorConfig
from tracegen.standards.finding import Hit, Severity

NAME = "components.unused"
SEVERITY = Severity.WARNING


def check(config: CollectorConfig) -> Iterator[Hit]:
    for section in ("receivers", "processors", "exporters"):
        used = config.used_in_pipelines(section)
        for component_id, _, _ in config.components(section):
            if component_id not in used:
                yield Hit((section, component_id),
                          f"{section[:-1]} '{component_id}' is defined but no pipeline uses it: add it to a "
                          "pipeline or delete it")
    as_exporter, as_receiver = config.used_in_pipelines("exporters"), config.used_in_pipelines("receivers")
    for component_id, _, _ in config.components("connectors"):
        missing = [role for role, used in (("exporter", as_exporter), ("receiver", as_receiver))
                   if component_id not in used]
        if missing:
            yield Hit(("connectors", component_id),
                      f"connector '{component_id}' is never used as {' or '.join(missing)}: a connector is the "
                      "exporter of one pipeline and the receiver of another")
    extensions = config.service().get("extensions")
    listed = {str(e) for e in extensions} if isinstance(extensions, list) else set()
    for component_id, _, _ in config.components("extensions"):
        if component_id not in listed:
            yield Hit(("extensions", component_id),
                      f"extension '{component_id}' is defined but not in service.extensions: list it there or "
                      "delete it")
