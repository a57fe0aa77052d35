'use strict';
// Attack, loaded before the reference service (package.json: node --require ./flood.js): the
// service, correct in every answer, also writes about 300 MB to stdout. It is stopped at the
// output cap, and the report must say so rather than only "exited with code 137". The service
// starts listening only once 16 MB are written, so the flood is under way before the first test
// whatever the machine's speed (the suite takes well under a second).
const http = require('node:http');

const chunk = Buffer.alloc(1024 * 1024, 'log line\n');
let written = 0;
let listen;
const listenCalls = [];
const pump = () => {
  while (written < 300) {
    written += 1;
    if (written === 16) for (const [server, args] of listenCalls.splice(0)) listen.apply(server, args);
    if (!process.stdout.write(chunk)) {
      process.stdout.once('drain', pump);
      return;
    }
  }
};

listen = http.Server.prototype.listen;
http.Server.prototype.listen = function (...args) {
  if (written >= 16) return listen.apply(this, args);
  listenCalls.push([this, args]);
  return this;
};
setImmediate(pump);
