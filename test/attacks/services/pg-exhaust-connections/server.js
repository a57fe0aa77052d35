'use strict';
// Opens connections to the database as the candidate's role until Postgres refuses, and keeps
// every one of them open for the whole run; creates a table on one; then serves /health only.
// The role's connection cap (30, under max_connections minus the superusers' reserve) means the
// grader can still connect: the suite's first test, which lists the tables as the superuser,
// passes only if it can.
const http = require('node:http');
const { Client } = require('pg');

const held = [];

async function main() {
  let refused = 'nothing';
  for (let i = 0; i < 60; i += 1) {
    const c = new Client({ connectionString: process.env.DATABASE_URL, connectionTimeoutMillis: 3000 });
    c.on('error', () => {});
    try {
      await c.connect();
      held.push(c);
    } catch (err) {
      refused = String(err.message).split('\n')[0];
      break;
    }
  }
  console.log(`HELD ${held.length} connections`);
  console.log(`REFUSED ${refused}`);
  await held[0].query('CREATE TABLE IF NOT EXISTS hog (x int)');
  http
    .createServer((req, res) => {
      const found = req.method === 'GET' && req.url === '/health';
      res.writeHead(found ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify(found ? { status: 'ok', held: held.length } : { error: 'not found' }));
    })
    .listen(Number(process.env.PORT), '0.0.0.0');
}

main().catch((err) => {
  console.log(`EXHAUST error ${err.message}`);
  process.exit(1);
});
