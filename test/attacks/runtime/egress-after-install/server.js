'use strict';
// Installed from the registry (the install step had network), then probes what it could reach if
// it still sat on the install bridge: the engine's embedded DNS (127.0.0.11), the registry, the
// internet, and the host's services on every host address.
const http = require('node:http');
const net = require('node:net');
const dgram = require('node:dgram');
const dns = require('node:dns');
require('express'); // the dependency really was installed

const hostIps = {{HOST_IPS}};
const targets = [['127.0.0.11', 53], ['1.1.1.1', 443], ['104.16.0.35', 443]];
for (const ip of hostIps) targets.push([ip, {{REDIS_PORT}}], [ip, {{GIT_PORT}}], [ip, 53]);
function probe(host, port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (what) => { socket.destroy(); console.log(`PROBE ${host}:${port} ${what}`); resolve(); };
    socket.setTimeout(3000, () => done('BLOCKED timeout'));
    socket.once('connect', () => done('REACHED'));
    socket.once('error', (err) => done(`BLOCKED ${err.code}`));
  });
}
// A DNS query for registry.npmjs.org sent over UDP to the embedded DNS server.
function probeUdpDns() {
  return new Promise((resolve) => {
    const sock = dgram.createSocket('udp4');
    const q = Buffer.from('abcd01000001000000000000' + '08726567697374727905' + '6e706d6a7303' + '6f726700' + '00010001', 'hex');
    const done = (what) => { try { sock.close(); } catch {} console.log(`PROBE udp 127.0.0.11:53 ${what}`); resolve(); };
    const timer = setTimeout(() => done('BLOCKED timeout'), 3000);
    sock.once('message', () => { clearTimeout(timer); done('REACHED'); });
    sock.once('error', (err) => { clearTimeout(timer); done(`BLOCKED ${err.code}`); });
    sock.send(q, 53, '127.0.0.11');
  });
}
const probes = targets.map(([h, p]) => probe(h, p));
probes.push(probeUdpDns());
probes.push(dns.promises.lookup('registry.npmjs.org').then((a) => console.log(`PROBE dns registry.npmjs.org REACHED ${a.address}`), (err) => console.log(`PROBE dns registry.npmjs.org BLOCKED ${err.code}`)));
Promise.all(probes).then(() => {
  console.log('PROBES DONE');
  http.createServer((req, res) => { res.writeHead(404); res.end('{}'); }).listen(Number(process.env.PORT) || 8080);
});
