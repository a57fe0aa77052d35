'use strict';
// Redirects every request to /health, which the grader must not follow.
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
serve((req, res) => { res.writeHead(302, { location: 'http://127.0.0.1:8080/health' }); res.end(); });
