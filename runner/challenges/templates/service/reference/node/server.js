// Reference solution of "{{id}}": node:http only, so the install step has nothing to do.
import http from 'node:http';

const PORT = Number(process.env.PORT) || 8080;

function sendJson(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (req.method === 'GET' && url.pathname === '/greeting') {
    const name = url.searchParams.get('name');
    if (name === null) return sendJson(res, 200, { greeting: 'Hello, world!' });
    const length = [...name].length;
    if (length < 1 || length > 50) return sendJson(res, 400, { error: 'name must be 1 to 50 characters long' });
    return sendJson(res, 200, { greeting: `Hello, ${name}!` });
  }
  return sendJson(res, 404, { error: 'not found' });
});

server.listen(PORT, '0.0.0.0', () => console.log(`listening on 0.0.0.0:${PORT}`));
