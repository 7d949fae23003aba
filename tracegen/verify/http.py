"""One HTTP GET for the readers (Jaeger's query API, a Prometheus exporter): http(s) only, bounded."""

from __future__ import annotations

import http.client
import urllib.parse

from tracegen.errors import UsageError

TIMEOUT_S = 30


def get(url: str, what: str) -> str:
    """The body of a 2xx answer; anything else is a UsageError naming `what` and the URL."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"{what}: wants an http(s) URL, not {url!r}")
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(parts.hostname, parts.port, timeout=TIMEOUT_S)
    target = parts.path or "/"
    if parts.query:
        target += f"?{parts.query}"
    try:
        connection.request("GET", target)
        response = connection.getresponse()
        body = response.read().decode("utf-8", "replace")
    except (OSError, http.client.HTTPException) as error:
        raise UsageError(f"{what}: cannot read {parts.scheme}://{parts.netloc}{parts.path}: {error}") from None
    finally:
        connection.close()
    if not 200 <= response.status < 300:
        raise UsageError(f"{what}: {parts.scheme}://{parts.netloc}{parts.path} answered {response.status}")
    return body
