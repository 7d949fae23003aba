"""Pieces every collector config shares: component naming, receivers, limits, queues, extensions,
the collector's own telemetry.

Component names come from `tracegen.components` for the plan's collector version (the 2026 snake_case
renames do not load in older collectors). Which components a config uses is read back from the
config itself (tracegen.plan.collectors), so the builder manifest lists exactly what it names.
"""

from __future__ import annotations

from dataclasses import dataclass

from tracegen import components
from tracegen.encoding import host_port
from tracegen.plan import model as pm
from tracegen.secrets import Reference

# Canonical component ids (tracegen.components translates them per collector version).
OTLP_RECEIVER = "receiver/otlp"
MEMORY_LIMITER = "processor/memory_limiter"
K8S_ATTRIBUTES = "processor/k8s_attributes"
RESOURCE_DETECTION = "processor/resource_detection"
RESOURCE = "processor/resource"
ATTRIBUTES = "processor/attributes"
REDACTION = "processor/redaction"
TRANSFORM = "processor/transform"
TAIL_SAMPLING = "processor/tail_sampling"
OTLP_GRPC = "exporter/otlp_grpc"
OTLP_HTTP = "exporter/otlp_http"
LOAD_BALANCING = "exporter/load_balancing"
DEBUG = "exporter/debug"
PROMETHEUS = "exporter/prometheus"
SPAN_METRICS = "connector/span_metrics"
SERVICE_GRAPH = "connector/service_graph"
HEALTH_CHECK = "extension/health_check"
FILE_STORAGE = "extension/file_storage"

QUEUE_DIRECTORY = "/var/lib/otelcol/queue"
STATE_DIR_ENV = "TRACEGEN_STATE_DIR"
STATE_DIR_DEFAULT = "/tmp/tracegen"
# How long one batch is retried before it is dropped: a backend outage of up to 15 minutes (a
# typical vendor incident or a backend upgrade) loses nothing that fits in the (persistent) queue.
RETRY_MAX_ELAPSED = "900s"
# Rough in-memory cost of one span, used to turn a memory budget into a queue size in spans.
SPAN_BYTES = 1024


@dataclass(frozen=True)
class Components:
    """Names components as the collector at `collector_version` loads them."""

    collector_version: str

    def name(self, canonical: str, suffix: str | None = None) -> str:
        base = components.config_name(canonical, self.collector_version)
        return f"{base}/{suffix}" if suffix else base


def version_at_least(version: str, minimum: str) -> bool:
    return tuple(int(p) for p in version.split(".")) >= tuple(int(p) for p in minimum.split("."))


def bind_host(tier: pm.Tier) -> str:
    """Loopback on the local platform (every process shares one host), all interfaces elsewhere."""
    return "127.0.0.1" if tier.platform == "local" else "0.0.0.0"


def receiver_host(tier: pm.Tier) -> str:
    """Where the OTLP receivers listen: a VM agent takes spans only from the apps on its own host, so
    loopback; elsewhere as bind_host."""
    return "127.0.0.1" if tier.platform == "vm" and tier.role == "agent" else bind_host(tier)


def external_receiver(port: int, tls: dict | None) -> dict:
    """The gateways' receiver for agents outside the cluster (gRPC: their load balancer's protocol)."""
    grpc: dict = {"endpoint": host_port("0.0.0.0", port)}
    if tls:
        grpc["tls"] = dict(tls)
    return {"protocols": {"grpc": grpc}}


def otlp_receiver(ports: pm.Ports, host: str, tls: dict | None = None) -> dict:
    grpc: dict = {"endpoint": host_port(host, ports.otlp_grpc)}
    http: dict = {"endpoint": host_port(host, ports.otlp_http)}
    if tls:
        grpc["tls"] = dict(tls)
        http["tls"] = dict(tls)
    return {"protocols": {"grpc": grpc, "http": http}}


def memory_limiter(tier: pm.Tier) -> dict:
    limit, spike = tier.memory_limiter
    return {"check_interval": "1s", "limit_mib": limit, "spike_limit_mib": spike}


def retry() -> dict:
    # max_interval 10s: measured in the e2e outage test, 30s (with its ±50 % jitter) delayed recovery
    # by up to 45 s after a backend came back.
    return {"enabled": True, "initial_interval": "5s", "max_interval": "10s",
            "max_elapsed_time": RETRY_MAX_ELAPSED}


def queue_items(tier: pm.Tier, queues: int) -> int:
    """A queue's size in spans: a quarter of the tier's memory limit, shared by its queues."""
    limit, _ = tier.memory_limiter
    return max(10_000, limit * 1024 * 1024 // 4 // SPAN_BYTES // max(1, queues))


def sending_queue(size: int, storage: str | None) -> dict:
    # Batching lives here, in the exporter's queue, not in a `batch` processor: collector 0.165
    # batches inside exporterhelper (`sending_queue.batch`) after the queue, so what sits in a
    # persistent queue is flushed in full batches after a restart, and the collector warns when a
    # pipeline has both a batch processor and exporter batching. One mechanism, measured in spans.
    queue: dict = {
        "enabled": True,
        "sizer": "items",
        "queue_size": size,
        "num_consumers": 10,
        "batch": {"flush_timeout": "200ms", "min_size": 2048, "max_size": 8192},
    }
    if storage:
        queue["storage"] = storage
    return queue


def queue_directory(tier: pm.Tier, environment: str, instance: str) -> str:
    if tier.platform == "local":
        # Several local processes share one machine: each needs its own directory.
        return Reference(f"${{env:{STATE_DIR_ENV}:-{STATE_DIR_DEFAULT}}}/{environment}/{instance}/queue")
    return QUEUE_DIRECTORY


def file_storage(directory: str) -> dict:
    return {"directory": directory, "create_directory": True, "timeout": "1s",
            "compaction": {"on_start": True, "directory": directory, "max_transaction_size": 65536}}


def health_check(host: str, ports: pm.Ports) -> dict:
    return {"endpoint": host_port(host, ports.health)}


def telemetry(host: str, ports: pm.Ports) -> dict:
    return {
        "logs": {"level": "info"},
        "metrics": {"level": "normal", "readers": [
            {"pull": {"exporter": {"prometheus": {"host": host, "port": ports.metrics}}}}]},
    }


def pipeline(receivers: list[str], processors: list[str], exporters: list[str]) -> dict:
    return {"receivers": list(receivers), "processors": list(processors), "exporters": list(exporters)}
