// Known-bad variant of "{{id}}": greets correctly but never validates and answers every route.
// validate checks that it scores within variants/partial.expected.json.
import http from 'node:http';

const PORT = Number(process.env.PORT) || 8080;

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const text = JSON.stringify({ greeting: `Hello, ${url.searchParams.get('name') ?? 'world'}!` });
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
});

server.listen(PORT, '0.0.0.0', () => console.log(`listening on 0.0.0.0:${PORT}`));
