// Starter of "{{id}}". See README.md for the contract. You may keep node:http or add a framework.
import http from 'node:http';

const PORT = Number(process.env.PORT) || 8080;

function sendJson(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

const server = http.createServer((_req, res) => {
  // TODO: GET /greeting?name=<name> (see README.md).
  sendJson(res, 404, { error: 'not found' });
});

server.listen(PORT, '0.0.0.0', () => console.log(`listening on 0.0.0.0:${PORT}`));
