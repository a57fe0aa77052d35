'use strict';
// Writes to stdout and stderr as fast as it can.
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
serve();
const line = 'x'.repeat(64 * 1024) + '\n';
setInterval(() => { for (let i = 0; i < 16; i++) { process.stdout.write(line); process.stderr.write(line); } }, 1);
