'use strict';
// Starter for the "tasks-api-postgres" challenge. See README.md for the full contract.
// Postgres is running beside your service: its settings are in the environment (DATABASE_URL,
// and PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE). The `pg` package is already a dependency.
const http = require('node:http');
const { Pool } = require('pg');

const PORT = Number(process.env.PORT) || 8080;
const pool = new Pool({ connectionString: process.env.DATABASE_URL });

function sendJson(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

async function main() {
  // TODO: create your tables here (the database starts empty), before the server listens.
  await pool.query('SELECT 1');

  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');

    if (req.method === 'GET' && url.pathname === '/health') {
      return sendJson(res, 200, { status: 'ok' });
    }

    // TODO: implement the task endpoints described in README.md:
    //   POST /tasks (with Idempotency-Key), GET /tasks (done filter, limit/offset),
    //   GET /tasks/:id, PATCH /tasks/:id, DELETE /tasks/:id, with validation and
    //   {"error": string} bodies, all stored in Postgres.

    return sendJson(res, 404, { error: 'not found' });
  });

  server.listen(PORT, '0.0.0.0', () => {
    console.log(`listening on 0.0.0.0:${PORT}`);
  });
}

main().catch((err) => {
  console.error('could not start:', err.message);
  process.exit(1);
});
