'use strict';
// A shell fork bomb started beside the service: the report must say the pids limit was reached.
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
const { spawn } = require('node:child_process');
serve();
setTimeout(() => {
  const child = spawn('sh', ['-c', 'b() { b | b & }; b'], { stdio: 'ignore', detached: true });
  child.on('error', () => {});
  child.unref();
}, 200);
