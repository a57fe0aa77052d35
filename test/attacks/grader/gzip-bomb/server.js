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
const gzip = zlib.createGzip({ level: 9 });
const parts = [];
gzip.on('data', (c) => parts.push(c));
gzip.on('end', () => {
  const bomb = Buffer.concat(parts);
  console.log(`BOMB ${bomb.length} bytes`);
  serve((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': bomb.length });
    res.end(bomb);
  });
});
const zeros = Buffer.alloc(1024 * 1024);
let left = 512;
(function write() {
  while (left > 0) { left--; if (!gzip.write(zeros)) return gzip.once('drain', write); }
  gzip.end();
})();
