'use strict';
// notifications (Node): consumes the RabbitMQ queue `stock-events` with amqplib, run next to its
// generated tracing files as `node --require ./tracing.js notifications.js`. The generated
// tracing.js registers the amqplib instrumentation, which continues the producer's trace from the
// message headers: no tracing code here but the test's request id on the consumer span.
//
// AMQP_URL: the broker; PORT: a plain TCP port opened once the consumer runs (readiness).

const net = require('node:net');
const amqp = require('amqplib');
const { trace } = require('@opentelemetry/api');

const AMQP_URL = process.env.AMQP_URL;
const PORT = Number(process.env.PORT);
const QUEUE = 'stock-events';

async function main() {
  const connection = await amqp.connect(AMQP_URL);
  const channel = await connection.createChannel();
  // The same declarations as every other client of the topology (fanout exchange, one queue per
  // consumer; the test binds its tap queue beside it).
  await channel.assertExchange(QUEUE, 'fanout', { durable: false });
  await channel.assertQueue(QUEUE, { durable: false });
  await channel.bindQueue(QUEUE, QUEUE, '');
  await channel.prefetch(32);
  await channel.consume(QUEUE, (message) => {
    if (message === null) {
      return;
    }
    const event = JSON.parse(message.content.toString());
    const span = trace.getActiveSpan();
    span?.setAttribute('test.request_id', String(event.id));
    console.log(JSON.stringify({ msg: 'stock event', id: event.id, trace_id: span?.spanContext().traceId }));
    channel.ack(message);   // the instrumentation ends the consumer span on ack
  });
  net.createServer((socket) => socket.end()).listen(PORT, '127.0.0.1', () => {
    console.log(`notifications consuming ${QUEUE}; ready on ${PORT}`);
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
