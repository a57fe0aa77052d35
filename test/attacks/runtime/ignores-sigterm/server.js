'use strict';
// Ignores SIGTERM and leaves a detached daemon that ignores it too.
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
process.on('SIGTERM', () => console.log('ignoring SIGTERM'));
process.on('SIGINT', () => console.log('ignoring SIGINT'));
const daemon = spawn(process.execPath, ['-e', "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)"], { detached: true, stdio: 'ignore' });
daemon.unref();
serve();
