'use strict';
// Starts every response and never finishes it.
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
serve((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.write('[');
  const t = setInterval(() => res.write(' '), 100);
  res.on('close', () => clearInterval(t));
});
