'use strict';
// Known-bad variant of the "simple-api" challenge: the CRUD endpoints work, but there is no
// input validation (malformed JSON ends in a 500, any title/done is stored as sent) and
// GET /tasks ignores done, limit and offset.
const http = require('node:http');

const PORT = Number(process.env.PORT) || 8080;
const tasks = [];
let nextId = 1;

function sendJson(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(text);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    let data = '';
    req.on('data', (c) => { data += c; });
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

async function handle(req, res) {
  const url = new URL(req.url, 'http://localhost');
  const path = url.pathname;

  if (req.method === 'GET' && path === '/health') return sendJson(res, 200, { status: 'ok' });

  if (path === '/tasks') {
    if (req.method === 'GET') return sendJson(res, 200, tasks);
    if (req.method === 'POST') {
      const body = JSON.parse(await readBody(req));
      const task = { id: String(nextId++), title: body.title, done: body.done ?? false, createdAt: new Date().toISOString() };
      tasks.push(task);
      return sendJson(res, 201, task);
    }
  }

  const m = /^\/tasks\/([^/]+)$/.exec(path);
  if (m) {
    const i = tasks.findIndex((t) => t.id === m[1]);
    if (req.method === 'GET') return i < 0 ? sendJson(res, 404, { error: 'not found' }) : sendJson(res, 200, tasks[i]);
    if (req.method === 'PATCH') {
      const body = JSON.parse(await readBody(req));
      if (i < 0) return sendJson(res, 404, { error: 'not found' });
      Object.assign(tasks[i], body.title !== undefined ? { title: body.title } : {}, body.done !== undefined ? { done: body.done } : {});
      return sendJson(res, 200, tasks[i]);
    }
    if (req.method === 'DELETE') {
      if (i < 0) return sendJson(res, 404, { error: 'not found' });
      tasks.splice(i, 1);
      res.writeHead(204);
      return res.end();
    }
  }

  return sendJson(res, 404, { error: 'not found' });
}

http.createServer((req, res) => {
  handle(req, res).catch(() => sendJson(res, 500, { error: 'internal error' }));
}).listen(PORT, '0.0.0.0', () => console.log(`listening on 0.0.0.0:${PORT}`));
