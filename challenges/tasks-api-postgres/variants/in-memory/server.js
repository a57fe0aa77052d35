'use strict';
// Known-bad variant of the "tasks-api-postgres" challenge: the simple-api reference plus
// Idempotency-Key, all in memory. Every request is answered right (one process, so concurrent
// retries with one key are safe), but nothing is in Postgres and a restart loses everything.
const http = require('node:http');
const crypto = require('node:crypto');

const PORT = Number(process.env.PORT) || 8080;
const MAX_BODY_BYTES = 1024 * 1024;

/** id -> task; a Map iterates in insertion order, which is creation order. */
const tasks = new Map();
/** Idempotency-Key -> the task its first request created. */
const byKey = new Map();

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

/** Parses a JSON object body; returns { value } or { error }. */
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
    if (!/^\d+$/.test(v)) return { error: 'offset must be an integer >= 0' };
    out.offset = Number(v);
  }
  return out;
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
      let list = [...tasks.values()];
      if (q.done !== undefined) list = list.filter((t) => t.done === q.done);
      return send(res, 200, list.slice(q.offset, q.offset + q.limit));
    }
    if (method === 'POST') {
      const body = await readJsonObject(req);
      if (body.error) return error(res, body.status, body.error);
      const problem = validateFields(body.value, { requireTitle: true });
      if (problem) return error(res, 400, problem);
      const key = req.headers['idempotency-key'];
      if (key !== undefined && byKey.has(key)) return send(res, 201, byKey.get(key));
      const task = {
        id: crypto.randomUUID(),
        title: body.value.title.trim(),
        done: body.value.done ?? false,
        createdAt: new Date().toISOString(),
      };
      tasks.set(task.id, task);
      if (key !== undefined) byKey.set(key, task);
      return send(res, 201, task);
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
      const task = tasks.get(id);
      return task ? send(res, 200, task) : error(res, 404, 'task not found');
    }
    if (method === 'PATCH') {
      const body = await readJsonObject(req);
      if (body.error) return error(res, body.status, body.error);
      const problem = validateFields(body.value, { requireTitle: false });
      if (problem) return error(res, 400, problem);
      const task = tasks.get(id);
      if (!task) return error(res, 404, 'task not found');
      if (body.value.title !== undefined) task.title = body.value.title.trim();
      if (body.value.done !== undefined) task.done = body.value.done;
      return send(res, 200, task);
    }
    if (method === 'DELETE') {
      if (!tasks.delete(id)) return error(res, 404, 'task not found');
      return send(res, 204);
    }
  }

  return error(res, 404, 'not found');
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((err) => {
    console.error(err);
    if (!res.headersSent) error(res, 500, 'internal error');
    else res.destroy();
  });
});

server.listen(PORT, '0.0.0.0', () => {
  console.log(`listening on 0.0.0.0:${PORT}`);
});
