'use strict';
// Sends 64 KB of response headers.
const http = require('node:http');

function serve(handler) {
  const server = http.createServer((req, res) => {
    if (req.url === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"status":"ok"}');
      return;
    }
    if (handler) return handler(req, res);
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"error":"not found"}');
  });
  server.listen(Number(process.env.PORT) || 8080);
  return server;
}
const big = 'h'.repeat(60 * 1024);
serve((req, res) => { res.writeHead(200, { 'content-type': 'application/json', 'x-big': big }); res.end('[]'); });
