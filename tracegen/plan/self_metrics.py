"""The collector's own metrics (its internal telemetry, served on every collector's metrics port) that
tracegen's alerting rules and dashboards read, under their Prometheus names at the pinned collector.

Scraped from a 0.160.0 build (otlp receiver, memory_limiter, tail_sampling, span_metrics,
service_graph, otlp and file exporters) on 2026-11-29: at 0.160 the collector's Prometheus reader
serves counters without a `_total` suffix. A counter appears at its first increment (refusals,
late spans), so a quiet collector may not serve every name yet. The late-span histogram's name is
the tail_sampling processor's (`sampling_late_span_age`, seconds), read from its source.
"""

from __future__ import annotations

RECEIVER_ACCEPTED = "otelcol_receiver_accepted_spans"           # labels receiver, transport
RECEIVER_REFUSED = "otelcol_receiver_refused_spans"             # memory_limiter refusals reach the sender here
MEMORY_LIMITER_REFUSED = "otelcol_processor_memory_limiter_refused_spans"   # label processor
EXPORTER_SENT = "otelcol_exporter_sent_spans"                   # label exporter
EXPORTER_SEND_FAILED = "otelcol_exporter_send_failed_spans"     # labels exporter, error_type, error_permanent
EXPORTER_QUEUE_SIZE = "otelcol_exporter_queue_size"             # gauge, labels exporter, data_type
EXPORTER_QUEUE_CAPACITY = "otelcol_exporter_queue_capacity"
TAIL_DROPPED_TOO_EARLY = "otelcol_processor_tail_sampling_sampling_trace_dropped_too_early"
TAIL_LATE_SPAN_AGE = "otelcol_processor_tail_sampling_sampling_late_span_age"   # histogram (s)
TAIL_TRACES_SAMPLED = "otelcol_processor_tail_sampling_count_traces_sampled"    # labels policy, decision
TAIL_TRACES_ON_MEMORY = "otelcol_processor_tail_sampling_sampling_traces_on_memory"
SERVICE_GRAPH_TOTAL_EDGES = "otelcol_connector_servicegraph_total_edges"
SERVICE_GRAPH_EXPIRED_EDGES = "otelcol_connector_servicegraph_expired_edges"

# The service graph's edge from its virtual "user" node: a SERVER/CONSUMER span with no parent
# (scraped at 0.160: client="user", connection_type="virtual_node"). Into a service that only other
# services call, such an edge is a call whose trace context did not arrive.
SERVICE_GRAPH_ROOT_CLIENT = "user"
SERVICE_GRAPH_VIRTUAL_NODE = "virtual_node"
# Span metrics dimensions and values at 0.160 (the connector's defaults; tracegen adds none).
SPAN_KIND_SERVER = "SPAN_KIND_SERVER"
SPAN_KIND_CONSUMER = "SPAN_KIND_CONSUMER"
STATUS_ERROR = "STATUS_CODE_ERROR"
