'use strict';
// Known-bad variant of the "tasks-api-postgres" reference: everything is in Postgres, but the
// Idempotency-Key is checked, then the task inserted, in two statements with no transaction and
// no unique constraint. One request at a time it works; concurrent retries with one key all
// find no task and each create one.
const http = require('node:http');
const crypto = require('node:crypto');
const { Pool } = require('pg');

const PORT = Number(process.env.PORT) || 8080;
const MAX_BODY_BYTES = 1024 * 1024;
const MAX_KEY_LENGTH = 255;

// pg reads DATABASE_URL's parts from PGHOST, PGUSER, ... too; the URL is explicit.
const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
pool.on('error', (err) => console.error('idle client error', err.message));

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS tasks (
    seq bigserial PRIMARY KEY,
    id uuid NOT NULL UNIQUE,
    title text NOT NULL,
    done boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL,
    idempotency_key text
  )`;

const COLUMNS = 'id, title, done, created_at';

function toTask(row) {
  return { id: row.id, title: row.title, done: row.done, createdAt: row.created_at.toISOString() };
}

function send(res, status, body) {
  if (body === undefined) {
    res.writeHead(status);
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

const error = (res, status, message) => send(res, status, { error: message });

/** Reads the whole body; resolves { tooLarge } or { text }. Always drains the request. */
function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? { tooLarge } : { text: Buffer.concat(chunks).toString('utf8') }));
    req.on('error', reject);
  });
}

/** Parses a JSON object body; returns { value } or { status, error }. */
async function readJsonObject(req) {
  const body = await readBody(req);
  if (body.tooLarge) return { status: 413, error: 'request body too large' };
  let value;
  try {
    value = JSON.parse(body.text);
  } catch {
    return { status: 400, error: 'malformed JSON body' };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { status: 400, error: 'the body must be a JSON object' };
  }
  return { value };
}

/** Validates title/done; returns an error message or undefined. */
function validateFields(body, { requireTitle }) {
  if (body.title === undefined) {
    if (requireTitle) return 'title is required';
  } else {
    if (typeof body.title !== 'string') return 'title must be a string';
    const len = body.title.trim().length;
    if (len < 1) return 'title must not be empty';
    if (len > 200) return 'title must be at most 200 characters';
  }
  if (body.done !== undefined && typeof body.done !== 'boolean') return 'done must be a boolean';
  return undefined;
}

/** Parses the list query; returns { done, limit, offset } or { error }. */
function parseListQuery(params) {
  const out = { done: undefined, limit: 20, offset: 0 };
  if (params.has('done')) {
    const v = params.get('done');
    if (v === 'true') out.done = true;
    else if (v === 'false') out.done = false;
    else return { error: 'done must be true or false' };
  }
  if (params.has('limit')) {
    const v = params.get('limit');
    if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 100) return { error: 'limit must be an integer from 1 to 100' };
    out.limit = Number(v);
  }
  if (params.has('offset')) {
    const v = params.get('offset');
    if (!/^\d+$/.test(v) || v.length > 15) return { error: 'offset must be an integer >= 0' };
    out.offset = Number(v);
  }
  return out;
}

/** Task ids are UUIDs; anything else cannot name a task (and must not reach a uuid column). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function createTask(value, key) {
  if (key !== undefined) {
    const existing = await pool.query(`SELECT ${COLUMNS} FROM tasks WHERE idempotency_key = $1 ORDER BY seq LIMIT 1`, [key]);
    if (existing.rows.length) return toTask(existing.rows[0]);
  }
  const params = [crypto.randomUUID(), value.title.trim(), value.done ?? false, new Date(), key ?? null];
  const inserted = await pool.query(`INSERT INTO tasks (id, title, done, created_at, idempotency_key) VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`, params);
  return toTask(inserted.rows[0]);
}

async function handle(req, res) {
  const url = new URL(req.url, 'http://localhost');
  const path = url.pathname;
  const method = req.method;

  if (path === '/health') {
    if (method === 'GET') return send(res, 200, { status: 'ok' });
    return error(res, 404, 'not found');
  }

  if (path === '/tasks') {
    if (method === 'GET') {
      const q = parseListQuery(url.searchParams);
      if (q.error) return error(res, 400, q.error);
      const { rows } = await pool.query(
        `SELECT ${COLUMNS} FROM tasks WHERE ($1::boolean IS NULL OR done = $1) ORDER BY seq LIMIT $2 OFFSET $3`,
        [q.done ?? null, q.limit, q.offset],
      );
      return send(res, 200, rows.map(toTask));
    }
    if (method === 'POST') {
      const key = req.headers['idempotency-key'];
      if (key !== undefined && (key.length < 1 || key.length > MAX_KEY_LENGTH)) return error(res, 400, `Idempotency-Key must be 1 to ${MAX_KEY_LENGTH} characters`);
      const body = await readJsonObject(req);
      if (body.error) return error(res, body.status, body.error);
      const problem = validateFields(body.value, { requireTitle: true });
      if (problem) return error(res, 400, problem);
      return send(res, 201, await createTask(body.value, key));
    }
    return error(res, 404, 'not found');
  }

  const match = /^\/tasks\/([^/]+)$/.exec(path);
  if (match) {
    let id;
    try {
      id = decodeURIComponent(match[1]);
    } catch {
      return error(res, 404, 'task not found');
    }
    if (method === 'GET') {
      if (!UUID.test(id)) return error(res, 404, 'task not found');
      const { rows } = await pool.query(`SELECT ${COLUMNS} FROM tasks WHERE id = $1`, [id]);
      return rows.length ? send(res, 200, toTask(rows[0])) : error(res, 404, 'task not found');
    }
    if (method === 'PATCH') {
      const body = await readJsonObject(req);
      if (body.error) return error(res, body.status, body.error);
      const problem = validateFields(body.value, { requireTitle: false });
      if (problem) return error(res, 400, problem);
      if (!UUID.test(id)) return error(res, 404, 'task not found');
      const { rows } = await pool.query(
        `UPDATE tasks SET title = COALESCE($2, title), done = COALESCE($3, done) WHERE id = $1 RETURNING ${COLUMNS}`,
        [id, body.value.title?.trim() ?? null, body.value.done ?? null],
      );
      return rows.length ? send(res, 200, toTask(rows[0])) : error(res, 404, 'task not found');
    }
    if (method === 'DELETE') {
      if (!UUID.test(id)) return error(res, 404, 'task not found');
      const { rowCount } = await pool.query('DELETE FROM tasks WHERE id = $1', [id]);
      return rowCount ? send(res, 204) : error(res, 404, 'task not found');
    }
  }

  return error(res, 404, 'not found');
}

async function main() {
  await pool.query(SCHEMA);
  const server = http.createServer((req, res) => {
    handle(req, res).catch((err) => {
      console.error(err);
      if (!res.headersSent) error(res, 500, 'internal error');
      else res.destroy();
    });
  });
  server.listen(PORT, '0.0.0.0', () => console.log(`listening on 0.0.0.0:${PORT}`));
  // A restart (or a deploy) sends SIGTERM: finish what is in flight, then close the pool.
  process.once('SIGTERM', () => {
    server.close(() => pool.end().finally(() => process.exit(0)));
    setTimeout(() => process.exit(0), 1000).unref();
  });
}

main().catch((err) => {
  console.error('could not start:', err.message);
  process.exit(1);
});
