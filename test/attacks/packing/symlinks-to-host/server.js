'use strict';
// Symlinks to host files: the pack stage must drop them without reading the host file.
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
for (const name of ['passwd', 'canary', 'environ', 'escape', 'dir-escape']) {
  try {
    console.log(`LINK ${name} READ ${fs.readFileSync(name, 'utf8').slice(0, 200)}`);
  } catch (err) {
    console.log(`LINK ${name} ${err.code}`);
  }
}
serve();
