'use strict';
// Tries the internet, the host's Redis and listeners on every host address, cloud metadata and the Docker socket.
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
const net = require('node:net');
const dns = require('node:dns');
const hostIps = {{HOST_IPS}};
const targets = [['1.1.1.1', 443], ['8.8.8.8', 53], ['169.254.169.254', 80], ['127.0.0.1', 6379], ['127.0.0.1', {{REDIS_PORT}}], ['host.docker.internal', {{REDIS_PORT}}], ['10.0.2.2', {{REDIS_PORT}}]];
for (const ip of hostIps) targets.push([ip, {{REDIS_PORT}}], [ip, {{GIT_PORT}}], [ip, 2375], [ip, 22]);
function probe(opts, label) {
  return new Promise((resolve) => {
    const socket = net.connect(opts);
    const done = (what) => { socket.destroy(); console.log(`PROBE ${label} ${what}`); resolve(); };
    socket.setTimeout(3000, () => done('BLOCKED timeout'));
    socket.once('connect', () => done('REACHED'));
    socket.once('error', (err) => done(`BLOCKED ${err.code}`));
  });
}
const probes = targets.map(([host, port]) => probe({ host, port }, `${host}:${port}`));
for (const p of ['/var/run/docker.sock', '/run/docker.sock', '/run/containerd/containerd.sock']) probes.push(probe({ path: p }, p));
probes.push(dns.promises.lookup('example.com').then((a) => console.log(`PROBE dns example.com REACHED ${a.address}`), (err) => console.log(`PROBE dns example.com BLOCKED ${err.code}`)));
Promise.all(probes).then(() => { console.log('PROBES DONE'); serve(); });
