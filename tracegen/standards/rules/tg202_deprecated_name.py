"""TG202 semconv.deprecated-name (warning)

OpenTelemetry's semantic conventions renamed many attributes (`http.status_code` became
`http.response.status_code`, `deployment.environment` became `deployment.environment.name`, ...).
Current SDKs and instrumentations emit the new names, so redaction, sampling policies and
required-attribute checks written against old names silently match nothing.

Bad:

    standards:
      pii:
        - {key: http.url, action: delete}

Good:

    standards:
      pii:
        - {key: url.full, action: delete}
"""

from __future__ import annotations

from collections.abc import Iterator

from tracegen.blueprint.loader import LoadedBlueprint
from tracegen.standards.finding import Hit, Severity
from tracegen.standards.rules._common import service_keys, standards_keys, views

NAME = "semconv.deprecated-name"
SEVERITY = Severity.WARNING
# From the semantic-conventions registry's deprecated groups and schema rename maps.
REPLACEMENTS = {
    "deployment.environment": "deployment.environment.name",
    "http.method": "http.request.method",
    "http.status_code": "http.response.status_code",
    "http.url": "url.full",
    "http.target": "url.path and url.query",
    "http.scheme": "url.scheme",
    "http.host": "server.address, client.address or http.request.header.host",
    "http.server_name": "server.address",
    "http.client_ip": "client.address",
    "http.user_agent": "user_agent.original",
    "http.flavor": "network.protocol.name and network.protocol.version",
    "http.request_content_length": "http.request.header.content-length",
    "http.response_content_length": "http.response.header.content-length",
    "db.statement": "db.query.text",
    "db.name": "db.namespace",
    "db.operation": "db.operation.name",
    "db.system": "db.system.name",
    "db.sql.table": "db.collection.name",
    "db.mongodb.collection": "db.collection.name",
    "db.cassandra.table": "db.collection.name",
    "db.connection_string": "server.address and server.port",
    "net.peer.name": "server.address (client spans) or client.address (server spans)",
    "net.peer.port": "server.port (client spans) or client.port (server spans)",
    "net.peer.ip": "network.peer.address",
    "net.host.name": "server.address",
    "net.host.port": "server.port",
    "net.host.ip": "network.local.address",
    "net.sock.peer.addr": "network.peer.address",
    "net.sock.peer.port": "network.peer.port",
    "net.transport": "network.transport",
    "net.protocol.name": "network.protocol.name",
    "net.protocol.version": "network.protocol.version",
    "messaging.destination": "messaging.destination.name",
    "messaging.message_id": "messaging.message.id",
    "messaging.operation": "messaging.operation.type",
    "messaging.client_id": "messaging.client.id",
    "messaging.kafka.consumer.group": "messaging.consumer.group.name",
}


def _message(key: str) -> str:
    return f"'{key}' is a deprecated semantic-convention name: use {REPLACEMENTS[key]}"


def check(loaded: LoadedBlueprint) -> Iterator[Hit]:
    for env, bp in views(loaded):
        for path, key in standards_keys(bp):
            if key in REPLACEMENTS:
                yield Hit(path, _message(key), environment=env)
    for path, key in service_keys(loaded.blueprint):
        if key in REPLACEMENTS:
            yield Hit(path, _message(key))
