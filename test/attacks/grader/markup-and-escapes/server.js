'use strict';
// Puts HTML, script tags and terminal escape sequences everywhere the report shows.
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
const evil = '<script>alert(1)</script><img src=x onerror=alert(2)>\u001b[2J\u001b[31mRED\u001b]0;pwned\u0007\u009b31m';
console.log(evil);
console.error(evil);
serve((req, res) => { res.writeHead(400, { 'content-type': 'text/html' }); res.end(evil); });
