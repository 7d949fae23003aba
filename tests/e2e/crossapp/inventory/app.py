"""inventory (Python/FastAPI) of the cross-service test, run as `python app.py` next to its generated
tracing files. The generated tracing.configure() installs the FastAPI and pika instrumentations:
pika's publish span writes traceparent into the message headers and its consume span continues the
producer's trace from them. The only OpenTelemetry call here puts the test's request id on spans.

    GET /reserve?id=ID&mode=ok|slow|fail   slow sleeps SLOW_S, fail raises (the server span is
                                           marked ERROR); otherwise publishes a `stock-events`
                                           message with pika
    a consumer thread handles `shipments` messages (published by fulfillment, Go)

AMQP_URL: the broker; PORT: where it listens.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time

import tracing

tracing.configure()   # before the application exists, so the FastAPI instrumentor patches it

import log_correlation  # noqa: E402
import pika  # noqa: E402
import uvicorn  # noqa: E402
from fastapi import FastAPI  # noqa: E402
from opentelemetry import trace  # noqa: E402

AMQP_URL = os.environ["AMQP_URL"]
PORT = int(os.environ["PORT"])
SLOW_S = 0.7
STOCK_EVENTS = "stock-events"
SHIPMENTS = "shipments"

log_correlation.install()
log = logging.getLogger("inventory")
app = FastAPI()
# A pika connection is not thread-safe: one per thread of the server's thread pool.
_local = threading.local()


def _channel():
    """This thread's channel, with the topology every client declares (fanout exchange, queue)."""
    channel = getattr(_local, "channel", None)
    if channel is None or channel.is_closed:
        connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
        channel = connection.channel()
        for name in (STOCK_EVENTS, SHIPMENTS):
            channel.exchange_declare(name, exchange_type="fanout", durable=False)
            channel.queue_declare(name, durable=False)
            channel.queue_bind(name, name)
        _local.channel = channel
    return channel


@app.get("/reserve")
def reserve(id: str, mode: str = "ok") -> dict:
    trace.get_current_span().set_attribute("test.request_id", id)
    if mode == "slow":
        time.sleep(SLOW_S)
    if mode == "fail":
        raise RuntimeError(f"out of stock for {id}")
    _channel().basic_publish(exchange=STOCK_EVENTS, routing_key="", body=json.dumps({"id": id, "mode": mode}),
                             properties=pika.BasicProperties(content_type="application/json"))
    log.info("reserved %s", id)
    return {"id": id, "reserved": True}


def _on_shipment(channel, method, properties, body) -> None:
    shipment = json.loads(body)
    trace.get_current_span().set_attribute("test.request_id", str(shipment["id"]))
    log.info("shipment recorded %s", shipment["id"])
    channel.basic_ack(method.delivery_tag)


def _consume_shipments(ready: threading.Event) -> None:
    channel = _channel()
    channel.basic_qos(prefetch_count=32)
    channel.basic_consume(SHIPMENTS, _on_shipment)
    ready.set()
    channel.start_consuming()


if __name__ == "__main__":
    consuming = threading.Event()
    threading.Thread(target=_consume_shipments, args=(consuming,), daemon=True, name="shipments").start()
    if not consuming.wait(30):
        raise SystemExit("could not start consuming shipments")
    uvicorn.run(app, host="127.0.0.1", port=PORT, log_level="warning")
