'use strict';
// edge: the system's entry point (Node/Express), run next to its generated tracing files as
// `node --require ./tracing.js edge.js`. All tracing comes from the generated tracing.js (HTTP,
// Express and undici instrumentations, W3C propagation); this file has none of its own but the
// test's request id on the server span.
//
//   GET /checkout?id=ID&mode=ok|slow|fail   calls orders (Java) over HTTP with fetch and answers
//                                           with the trace id the request was recorded under
//
// Chaos switch: a request with `x-chaos-strip: 1` loses its traceparent/tracestate before the
// HTTP instrumentation sees it, as if a proxy in front had dropped them. The SDK must then start a
// new root here, and the rest of the system must still join that new trace.
//
// PORT: where it listens; ORDERS_URL: the orders service.

const http = require('node:http');
const express = require('express');
const { trace } = require('@opentelemetry/api');
const { expressErrorHandler } = require('./tracing');

const PORT = Number(process.env.PORT);
const ORDERS_URL = process.env.ORDERS_URL;

const app = express();

app.get('/checkout', async (request, response, next) => {
  try {
    const span = trace.getActiveSpan();
    const id = String(request.query.id ?? '');
    const mode = String(request.query.mode ?? 'ok');
    span?.setAttribute('test.request_id', id);
    const query = new URLSearchParams({ id, mode });
    const upstream = await fetch(`${ORDERS_URL}/orders?${query}`);
    const body = await upstream.text();
    if (!upstream.ok) {
      throw new Error(`orders answered ${upstream.status}: ${body}`);
    }
    const context = span?.spanContext();
    response.json({
      id,
      trace_id: context?.traceId ?? null,
      span_id: context?.spanId ?? null,
      sampled: Boolean(context && (context.traceFlags & 1)),
      traceparent_seen: request.headers.traceparent ?? null,
      stripped: request.chaosStripped === true,
    });
  } catch (error) {
    next(error);
  }
});

app.use(expressErrorHandler);

const server = http.createServer(app);
// The HTTP instrumentation wraps http.Server.prototype.emit: an own `emit` on this server runs
// before it, so the headers are gone when the SDK extracts the caller's context.
const instrumentedEmit = server.emit;
server.emit = function emit(event, request, ...rest) {
  if (event === 'request' && request.headers['x-chaos-strip'] === '1') {
    delete request.headers.traceparent;
    delete request.headers.tracestate;
    request.chaosStripped = true;
  }
  return instrumentedEmit.call(this, event, request, ...rest);
};

server.listen(PORT, '127.0.0.1', () => {
  console.log(`edge listening on ${PORT}`);
});
