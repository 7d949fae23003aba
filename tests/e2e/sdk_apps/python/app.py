"""A tiny FastAPI service for the Python SDK end-to-end test, run as `python app.py` next to the
generated files. PORT is where it listens.

    GET /order    logs a line, calls GET /stock over HTTP (httpx), produces a message to an
                  in-process queue with the generated messaging helpers, waits until the consumer
                  thread has handled it, and answers with the trace id and the message's headers
    GET /stock    a leaf
    GET /fail     raises: the instrumentation marks the server span ERROR
    GET /metrics  the exemplar histogram (OpenMetrics)
"""

from __future__ import annotations

import asyncio
import logging
import os
import queue
import threading

import tracing

tracing.configure()   # before the application exists, so the FastAPI instrumentor patches it

import exemplars  # noqa: E402 - after configure(), as the generated README says
import httpx  # noqa: E402
import log_correlation  # noqa: E402
import messaging  # noqa: E402
import uvicorn  # noqa: E402
from fastapi import FastAPI, Response  # noqa: E402
from opentelemetry import trace  # noqa: E402

PORT = int(os.environ["PORT"])
log_correlation.install()
log = logging.getLogger("sample")

# The broker stand-in: messages are (value, headers) on a queue, handled by a thread that shares no
# context with the request: nothing but the headers links producer and consumer.
messages: queue.Queue = queue.Queue()
handled: dict[str, threading.Event] = {}


def consume_forever() -> None:
    while True:
        value, headers = messages.get()
        with messaging.consume_span("kafka", "orders", headers):
            log.info("order consumed %s", value)
        handled[value].set()


threading.Thread(target=consume_forever, daemon=True).start()

app = FastAPI()
app.middleware("http")(exemplars.measure_requests)


@app.get("/stock")
def stock() -> dict:
    return {"in_stock": True}


@app.get("/order")
async def order() -> dict:
    trace_id = format(trace.get_current_span().get_span_context().trace_id, "032x")
    log.info("order received")
    async with httpx.AsyncClient() as client:
        stock_answer = (await client.get(f"http://127.0.0.1:{PORT}/stock")).json()
    value = f"o-{os.urandom(4).hex()}"
    handled[value] = threading.Event()
    with messaging.produce_span("kafka", "orders") as headers:
        messages.put((value, list((k, v.encode()) for k, v in headers.items())))   # as Kafka clients carry them
    await asyncio.to_thread(handled[value].wait, 10)
    return {"trace_id": trace_id, "stock": stock_answer, "message_headers": headers}


@app.get("/fail")
def fail() -> dict:
    raise RuntimeError("payment declined")


@app.get("/metrics")
def metrics() -> Response:
    body, content_type = exemplars.metrics()
    return Response(body, media_type=content_type)


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=PORT, log_level="warning")
