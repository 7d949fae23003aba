"""orders (Python/FastAPI) of the sampling-promise test, run as `python orders.py` next to its
generated tracing files. The generated tracing.configure() installs the FastAPI and httpx
instrumentations; this file only serves requests.

    GET /orders?id=ID&mode=ok|slow|fail   calls NEXT_URL/reserve (stock, Node) with httpx; an
                                          upstream failure becomes a 500 here (the server span is
                                          ERROR, as for any 5xx answer)

PORT: where it listens.
"""

from __future__ import annotations

import os

import tracing

tracing.configure()   # before the application exists, so the FastAPI instrumentor patches it

import httpx  # noqa: E402
import uvicorn  # noqa: E402
from fastapi import FastAPI, HTTPException  # noqa: E402
from opentelemetry import trace  # noqa: E402

PORT = int(os.environ["PORT"])
NEXT_URL = os.environ["NEXT_URL"]
app = FastAPI()
# Idle connections expire well before stock's (Node's) 5 s keep-alive timeout, so a request never
# goes out on a connection the server is closing at that moment.
client = httpx.Client(timeout=30, limits=httpx.Limits(keepalive_expiry=1.0))


@app.get("/orders")
def orders(id: str, mode: str = "ok") -> dict:
    trace.get_current_span().set_attribute("test.request_id", id)
    answer = client.get(f"{NEXT_URL}/reserve", params={"id": id, "mode": mode})
    if answer.status_code >= 500:
        # An answer, not an unhandled exception: uvicorn would close the connection after one,
        # racing the edge's next request on it.
        raise HTTPException(status_code=500, detail=f"stock answered {answer.status_code}")
    return {"id": id, "ordered": True}


if __name__ == "__main__":
    # Keep idle connections far longer than the edge's fetch (undici, 4 s) does, for the same reason.
    uvicorn.run(app, host="127.0.0.1", port=PORT, log_level="warning", access_log=False, timeout_keep_alive=30)
