'use strict';
// Answers with a gzip bomb (512 MB of zeros) labelled as gzip JSON.
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
const zlib = require('node:zlib');
// Gzip members concatenate into one valid stream: 32 copies of 16 MB of zeros, ~512 MB unpacked.
const member = zlib.gzipSync(Buffer.alloc(16 * 1024 * 1024), { level: 9 });
const bomb = Buffer.concat(Array.from({ length: 32 }, () => member));
console.log(`BOMB ${bomb.length} bytes`);
serve((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': bomb.length });
  res.end(bomb);
});
