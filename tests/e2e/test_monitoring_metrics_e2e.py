"""Every metric the generated dashboards and alerting rules read is served by a running collector of
the pinned version: a collector with the components tracegen's gateways run (memory_limiter,
tail_sampling, span_metrics, service_graph, the prometheus exporter, an OTLP exporter) is driven
into each situation the rules watch (an unreachable backend, a memory_limiter refusing, a tail
buffer too small, a span after its trace's decision), then both of its metric endpoints are scraped
and every name the checkout blueprint's dashboards and rules reference must be among them.

Ports are ephemeral (asked of the OS), so this runs beside the other e2e suites.
"""

from __future__ import annotations

import os
import re
import socket
import time
import urllib.request
from pathlib import Path

import pytest
import yaml
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode

from tests.e2e.harness.processes import Collector, wait_until
from tracegen.blueprint.loader import load
from tracegen.plan.builder import build_plan
from tracegen.plan.collector_common import Components
from tracegen.targets import dashboards, prometheus_rules
from tracegen.toolchain.collector import build_test_distribution
from tracegen.versions import COLLECTOR_VERSION

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]
NAME = re.compile(r"\b((?:traces|otelcol)_[a-z0-9_]*)")


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for sock in sockets:
        sock.close()
    return ports


def _config(main: int, refusing: int, early: int, health: int, metrics: int, derived: int, dead: int) -> dict:
    c = Components(COLLECTOR_VERSION)
    tail = c.name("processor/tail_sampling")
    limiter = c.name("processor/memory_limiter")
    span_metrics, graph = c.name("connector/span_metrics"), c.name("connector/service_graph")
    backend = c.name("exporter/otlp_grpc", "backend")
    keep_all = [{"name": "everything", "type": "always_sample"}]

    def receiver(port: int) -> dict:
        return {"protocols": {"grpc": {"endpoint": f"127.0.0.1:{port}"}}}

    return {
        "receivers": {"otlp": receiver(main), "otlp/refusing": receiver(refusing), "otlp/early": receiver(early)},
        "processors": {
            limiter: {"check_interval": "1s", "limit_mib": 4000, "spike_limit_mib": 800},
            f"{limiter}/tiny": {"check_interval": "100ms", "limit_mib": 2, "spike_limit_mib": 1},
            tail: {"decision_wait": "1s", "num_traces": 1000, "policies": keep_all},
            f"{tail}/small": {"decision_wait": "5s", "num_traces": 2, "policies": keep_all},
        },
        # The test's own collector: flushing every second (the default is a minute) only shortens the
        # wait for the names below; what the connectors serve does not change.
        "connectors": {span_metrics: {"metrics_flush_interval": "1s"}, graph: {"metrics_flush_interval": "1s"}},
        "exporters": {
            backend: {"endpoint": f"127.0.0.1:{dead}", "tls": {"insecure": True},
                      "retry_on_failure": {"enabled": False}},
            c.name("exporter/prometheus"): {"endpoint": f"127.0.0.1:{derived}"},
        },
        "extensions": {c.name("extension/health_check"): {"endpoint": f"127.0.0.1:{health}"}},
        "service": {
            "extensions": [c.name("extension/health_check")],
            "telemetry": {"metrics": {"level": "detailed", "readers": [
                {"pull": {"exporter": {"prometheus": {"host": "127.0.0.1", "port": metrics}}}}]}},
            "pipelines": {
                "traces/sampled": {"receivers": ["otlp"], "processors": [limiter, tail], "exporters": [backend]},
                "traces/metrics": {"receivers": ["otlp"], "processors": [limiter], "exporters": [span_metrics, graph]},
                "traces/refusing": {"receivers": ["otlp/refusing"], "processors": [f"{limiter}/tiny"],
                                    "exporters": [backend]},
                "traces/early": {"receivers": ["otlp/early"], "processors": [f"{tail}/small"], "exporters": [backend]},
                "metrics": {"receivers": [span_metrics, graph], "exporters": [c.name("exporter/prometheus")]},
            },
        },
    }


def _provider(port: int, service: str) -> TracerProvider:
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=f"127.0.0.1:{port}", insecure=True,
                                                                     timeout=5)))
    return provider


def _drive(main: int, refusing: int, early: int) -> None:
    front, back = _provider(main, "checkout"), _provider(main, "payments")
    tf, tb = front.get_tracer("e2e"), back.get_tracer("e2e")
    for i in range(20):      # client -> server across services, some failing: span metrics and graph edges
        with tf.start_as_current_span("GET /", kind=SpanKind.SERVER):
            with tf.start_as_current_span("POST /pay", kind=SpanKind.CLIENT) as call:
                with tb.start_as_current_span("POST /pay", kind=SpanKind.SERVER) as served:
                    if i % 5 == 0:
                        served.set_status(Status(StatusCode.ERROR))
                        call.set_status(Status(StatusCode.ERROR))
    root = tf.start_span("late parent")                     # a span after its trace's decision
    context = trace.set_span_in_context(root)
    tf.start_span("early child", context=context).end()
    time.sleep(3)                                           # decision_wait 1s has passed
    tf.start_span("late child", context=context).end()
    root.end()
    tiny = _provider(early, "jobs").get_tracer("e2e")       # 10 traces into a buffer of 2
    for i in range(10):
        tiny.start_span(f"job {i}").end()
    refused = _provider(refusing, "bulk").get_tracer("e2e")  # a memory_limiter over its limit
    for _ in range(5):
        refused.start_span("x" * 2000).end()
    for provider in (front, back):
        provider.shutdown()


def _scrape(port: int) -> set[str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:  # noqa: S310
            text = response.read().decode()
    except OSError:
        return set()
    return {line.split("{")[0].split(" ")[0] for line in text.splitlines() if line and not line.startswith("#")}


def test_every_metric_the_dashboards_and_rules_read_is_served(tmp_path):
    plan = build_plan(load(str(REPO / "blueprints" / "checkout.yaml")))
    prod = next(e for e in plan.environments if e.name == "prod")
    wanted = set()
    for board in dashboards.dashboards(prod).values():
        for panel in board["panels"]:
            for target in panel.get("targets", []):
                wanted |= set(NAME.findall(target["expr"]))
    for group in prometheus_rules.groups(prod):
        for rule in group["rules"]:
            wanted |= set(NAME.findall(rule["expr"]))
    assert {"otelcol_processor_tail_sampling_sampling_late_span_age_count", "otelcol_receiver_refused_spans",
            "otelcol_exporter_send_failed_spans", "traces_service_graph_request_total",
            "traces_span_metrics_duration_milliseconds_bucket"} <= wanted
    main, refusing, early, health, metrics, derived, dead = _free_ports(7)
    config = tmp_path / "collector.yaml"
    config.write_text(yaml.safe_dump(_config(main, refusing, early, health, metrics, derived, dead)))
    collector = Collector("collector", build_test_distribution(), [config], dict(os.environ),
                          tmp_path / "collector.log", health, metrics)
    collector.start()
    try:
        _drive(main, refusing, early)
        # span_metrics and service_graph flush on their interval (a second here).
        served: set[str] = set()

        def everything() -> bool:
            served.clear()
            served.update(_scrape(metrics) | _scrape(derived))
            return wanted <= served
        wait_until(everything, 150, interval_s=5)
    finally:
        collector.stop()
    assert wanted - served == set(), f"not served by the collector: {sorted(wanted - served)}\n{collector.log_tail()}"
