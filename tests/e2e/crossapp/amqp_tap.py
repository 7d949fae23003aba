"""The test's own view of the broker: a plain pika client, no OpenTelemetry.

    python amqp_tap.py setup AMQP_URL   declare the topology: per topic a fanout exchange, the
                                        consumer's queue and a `<topic>.tap` queue bound beside it
    python amqp_tap.py drain AMQP_URL   read every message waiting in the tap queues; one JSON line
                                        each: {"queue", "headers", "body"}
    python amqp_tap.py publish AMQP_URL TOPIC BODY...
                                        publish messages with no headers at all, as a producer
                                        without tracing would (the chaos test's orphans)

The tap queues get a copy of every message the services publish, exactly as it crossed the broker:
what the consumers received too. Run with the interpreter of the services' virtualenv (pika).
"""

from __future__ import annotations

import json
import sys

import pika

TOPICS = ("orders", "shipments", "stock-events")


def _text(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, dict):
        return {k: _text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_text(v) for v in value]
    return value


def main(command: str, url: str, *args: str) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    try:
        if command == "setup":
            for topic in TOPICS:
                channel.exchange_declare(topic, exchange_type="fanout", durable=False)
                for queue in (topic, f"{topic}.tap"):
                    channel.queue_declare(queue, durable=False)
                    channel.queue_bind(queue, topic)
            print(json.dumps({"declared": list(TOPICS)}))
        elif command == "drain":
            for topic in TOPICS:
                queue = f"{topic}.tap"
                while True:
                    method, properties, body = channel.basic_get(queue, auto_ack=True)
                    if method is None:
                        break
                    print(json.dumps({"queue": topic, "headers": _text(properties.headers or {}),
                                      "body": body.decode("utf-8", "replace")}))
        elif command == "publish":
            topic, *bodies = args
            for body in bodies:
                channel.basic_publish(topic, "", body.encode(), pika.BasicProperties(content_type="application/json"))
            print(json.dumps({"published": len(bodies), "topic": topic}))
        else:
            raise SystemExit(f"unknown command {command}")
    finally:
        connection.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
