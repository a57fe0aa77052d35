'use strict';
// Starter for the "simple-api" challenge. See README.md for the full contract.
// You may keep node:http, add a framework to package.json, or rewrite this in Python (main.py).
const http = require('node:http');

const PORT = Number(process.env.PORT) || 8080;

function sendJson(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');

  if (req.method === 'GET' && url.pathname === '/health') {
    return sendJson(res, 200, { status: 'ok' });
  }

  // TODO: implement the task endpoints described in README.md:
  //   POST /tasks, GET /tasks (done filter, limit/offset), GET /tasks/:id,
  //   PATCH /tasks/:id, DELETE /tasks/:id, with validation and {"error": string} bodies.

  return sendJson(res, 404, { error: 'not found' });
});

server.listen(PORT, '0.0.0.0', () => {
  console.log(`listening on 0.0.0.0:${PORT}`);
});
