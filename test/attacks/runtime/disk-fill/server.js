'use strict';
// Fills every writable place it can find.
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
const chunk = Buffer.alloc(1024 * 1024, 7);
// /workspace last: its tmpfs counts against the memory limit, so Assay keeps it at most half that
// limit, and filling it ends in ENOSPC, not an OOM kill.
for (const p of ['/fill', '/var/tmp/fill', '/tmp/fill', '/workspace/fill']) {
  let written = 0;
  try {
    const fd = fs.openSync(p, 'w');
    for (;;) { fs.writeSync(fd, chunk); written++; }
  } catch (err) {
    console.log(`FILL ${p} ${err.code} after ${written} MB`);
  }
  try { fs.rmSync(p, { force: true }); } catch {}
}
serve();
