'use strict';
// Answers /health, then exits with code 0 as if it had finished.
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
let served = 0;
const server = serve((req, res) => { res.writeHead(404); res.end(); });
server.on('request', () => { if (++served === 3) setTimeout(() => process.exit(0), 50); });
