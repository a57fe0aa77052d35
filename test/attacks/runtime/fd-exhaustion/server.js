'use strict';
// Opens files until the descriptor limit, then serves.
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
const fs = require('node:fs');
const fds = [];
try { for (;;) fds.push(fs.openSync('/dev/null', 'r')); } catch (err) { console.log(`FDS ${err.code} after ${fds.length}`); }
for (const fd of fds) fs.closeSync(fd);
serve();
