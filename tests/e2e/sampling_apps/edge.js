'use strict';
// edge and stock of the sampling-promise test (Node/Express), run next to their generated tracing
// files as `node --require ./tracing.js app.js`. All tracing comes from the generated tracing.js;
// this file only serves requests.
//
// ROLE=edge   GET /checkout?id=ID&mode=ok|slow|fail  calls NEXT_URL/orders over HTTP (fetch) and
//             answers with the trace id and sampled flag the request was recorded under; an
//             upstream failure becomes a 502 here (the server span is marked ERROR).
// ROLE=stock  GET /reserve?id=ID&mode=...            slow waits SLOW_MS, fail throws (500, ERROR).
//
// PORT: where it listens.

const http = require('node:http');
const express = require('express');
const { trace } = require('@opentelemetry/api');
const { expressErrorHandler } = require('./tracing');

const ROLE = process.env.ROLE;
const PORT = Number(process.env.PORT);
const NEXT_URL = process.env.NEXT_URL;
const SLOW_MS = Number(process.env.SLOW_MS ?? '600');

const app = express();

function tag(request) {
  const span = trace.getActiveSpan();
  span?.setAttribute('test.request_id', String(request.query.id ?? ''));
  return span;
}

app.get('/checkout', async (request, response, next) => {
  try {
    const span = tag(request);
    const query = new URLSearchParams({ id: String(request.query.id ?? ''), mode: String(request.query.mode ?? 'ok') });
    const upstream = await fetch(`${NEXT_URL}/orders?${query}`);
    const body = await upstream.text();
    const context = span?.spanContext();
    const answer = { trace_id: context?.traceId ?? null, sampled: Boolean(context && (context.traceFlags & 1)) };
    if (!upstream.ok) {
      const error = new Error(`orders answered ${upstream.status}: ${body.slice(0, 200)}`);
      error.answer = answer;
      throw error;
    }
    response.json(answer);
  } catch (error) {
    next(error);
  }
});

app.get('/reserve', async (request, response, next) => {
  tag(request);
  const mode = String(request.query.mode ?? 'ok');
  if (mode === 'slow') {
    await new Promise((resolve) => setTimeout(resolve, SLOW_MS));
  }
  if (mode === 'fail') {
    next(new Error(`out of stock for ${request.query.id}`));
    return;
  }
  response.json({ reserved: true });
});

app.use(expressErrorHandler);
// After the generated handler has marked the span: answer 502 at the edge (with the trace id, so
// the test can find the trace), 500 at stock.
app.use((error, request, response, next) => {  // eslint-disable-line no-unused-vars
  const cause = error.cause ? `: ${error.cause.code ?? ''} ${error.cause.message ?? error.cause}` : '';
  response.status(ROLE === 'edge' ? 502 : 500).json({ error: `${error.message}${cause}`, ...(error.answer ?? {}) });
});

http.createServer(app).listen(PORT, '127.0.0.1', () => {
  console.log(`${ROLE} listening on ${PORT}`);
});
