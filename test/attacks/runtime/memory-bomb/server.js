'use strict';
// Grows without bound once it is being tested.
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
const hog = [];
function grow() {
  for (let i = 0; i < 8; i++) hog.push(Buffer.alloc(8 * 1024 * 1024, 1));
  setTimeout(grow, 10);
}
// Starts growing at its first request, so the kill always lands while it is being tested
// (a timer from start-up could fire after a fast test run had already finished).
const server = serve();
server.once('request', () => setTimeout(grow, 0));
