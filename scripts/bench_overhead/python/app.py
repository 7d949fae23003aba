"""The overhead benchmark's Python service: Flask, GET / answers a small JSON body. BENCH_TRACING=1
loads the generated bootstrap (tracing.configure()) first; without it nothing of OpenTelemetry runs.
PORT is where it listens (Werkzeug's threaded server, the same in every variant)."""

from __future__ import annotations

import logging
import os

if os.environ.get("BENCH_TRACING") == "1":
    import tracing

    tracing.configure()

from flask import Flask  # noqa: E402

app = Flask(__name__)
logging.getLogger("werkzeug").setLevel(logging.ERROR)   # no access log line per request


@app.get("/")
def index() -> dict:
    return {"ok": True, "service": "bench-python"}


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(os.environ["PORT"]), threaded=True)
