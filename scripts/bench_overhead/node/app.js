'use strict';
// The overhead benchmark's Node service: GET / answers a small JSON body. Run as `node app.js`
// (uninstrumented) or `node --require ./tracing.js app.js` (the generated bootstrap). PORT is where
// it listens.
const http = require('node:http');

const PORT = Number(process.env.PORT);
const BODY = JSON.stringify({ ok: true, service: 'bench-node' });

http.createServer((request, response) => {
  response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY) });
  response.end(BODY);
}).listen(PORT, '127.0.0.1');
