'use strict';
// A tiny service for the Node SDK end-to-end test, run as `node --require ./tracing.js app.js` next
// to the generated files. PORT is where it listens.
//
//   GET /order    logs a line, calls GET /stock over HTTP (fetch), produces a message to an
//                 in-process queue with the generated messaging helpers, waits until the consumer
//                 has handled it, and answers with the trace id and the message's headers
//   GET /stock    a leaf
//   GET /fail     throws: the error handler marks the server span ERROR
//   GET /metrics  the exemplar histogram (OpenMetrics)

const express = require('express');
const { trace } = require('@opentelemetry/api');
const { expressErrorHandler } = require('./tracing');
const { logger } = require('./logger');
const { consumeSpan, produceSpan } = require('./messaging');
const { measureRequests, registry } = require('./exemplars');

const PORT = Number(process.env.PORT);

// The broker stand-in: messages are {value, headers}; nothing but the headers links producer and consumer.
const queue = [];
const waiting = [];
const handled = new Map();

function publish(message) {
  queue.push(message);
  waiting.splice(0).forEach((wake) => wake());
}

async function consumeForever() {
  for (;;) {
    while (queue.length === 0) {
      await new Promise((resolve) => waiting.push(resolve));
    }
    const message = queue.shift();
    await consumeSpan('kafka', 'orders', message.headers, async () => {
      logger.info({ order: message.value }, 'order consumed');
    });
    handled.get(message.value)?.();
  }
}

const app = express();
app.use(measureRequests);

app.get('/stock', (request, response) => {
  response.json({ in_stock: true });
});

app.get('/order', async (request, response, next) => {
  try {
    const traceId = trace.getActiveSpan()?.spanContext().traceId;
    logger.info({ order: 'o-1' }, 'order received');
    const stock = await (await fetch(`http://127.0.0.1:${PORT}/stock`)).json();
    const id = `o-${Date.now()}-${Math.random()}`;
    const done = new Promise((resolve) => handled.set(id, resolve));
    let sent;
    await produceSpan('kafka', 'orders', async (headers) => {
      sent = { value: id, headers };
      publish(sent);
    });
    await done;
    response.json({ trace_id: traceId ?? null, stock, message_headers: sent.headers });
  } catch (error) {
    next(error);
  }
});

app.get('/fail', () => {
  throw new Error('payment declined');
});

app.get('/metrics', async (request, response) => {
  response.set('Content-Type', registry.contentType);
  response.send(await registry.metrics());
});

app.use(expressErrorHandler);

consumeForever();
app.listen(PORT, '127.0.0.1', () => {
  console.log(`listening on ${PORT}`);
});
