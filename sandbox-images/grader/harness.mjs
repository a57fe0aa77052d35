// The trusted HTTP test harness for service challenges. It runs inside the grader container,
// which shares the candidate container's network namespace (NetworkMode container:<id>), so the
// candidate's service is reachable on 127.0.0.1 and nothing else is reachable at all.
//
// Takes (argv): --suite <file.mjs> --port <n> --ready-timeout-ms <n> --test-timeout-ms <n>
//               --total-timeout-ms <n> --max-response-bytes <n>
// Does: waits until the service accepts TCP connections, then runs the suite's tests one by one.
//   Every request has a timeout and a response-size cap and never follows redirects or
//   decompresses, so a frozen or hostile service fails tests instead of hanging the grader.
// Prints: one JSON line per event, each prefixed: "ASSAY_READY {readyMs}" or
//   "ASSAY_NOT_READY {reason}", "ASSAY_TEST {id, status, message?, durationMs}" per test as it
//   finishes (so results survive a deadline), "ASSAY_SUITE_ERROR {message}", and "ASSAY_DONE {}".
//   The candidate cannot write to this container's output: it runs in another container.
import net from 'node:net';
import http from 'node:http';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';

const { values: args } = parseArgs({
  options: {
    suite: { type: 'string' },
    port: { type: 'string', default: '8080' },
    'ready-timeout-ms': { type: 'string', default: '10000' },
    'test-timeout-ms': { type: 'string', default: '5000' },
    'total-timeout-ms': { type: 'string', default: '60000' },
    'max-response-bytes': { type: 'string', default: '1048576' },
  },
});
const port = Number(args.port);
const readyTimeoutMs = Number(args['ready-timeout-ms']);
const testTimeoutMs = Number(args['test-timeout-ms']);
const totalTimeoutMs = Number(args['total-timeout-ms']);
const maxResponseBytes = Number(args['max-response-bytes']);
const MAX_MESSAGE = 500;

function emit(kind, data = {}) {
  process.stdout.write(`\nASSAY_${kind} ${JSON.stringify(data)}\n`);
}

function clip(text) {
  const s = String(text ?? '');
  return s.length > MAX_MESSAGE ? `${s.slice(0, MAX_MESSAGE)}… (${s.length - MAX_MESSAGE} more chars)` : s;
}

function canConnect() {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (ok) => { socket.destroy(); resolve(ok); };
    socket.setTimeout(500, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function waitUntilReady() {
  const started = Date.now();
  while (Date.now() - started < readyTimeoutMs) {
    if (await canConnect()) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 25));
  }
  return undefined;
}

class HttpError extends Error {}

/**
 * One HTTP request to the candidate's service. Never follows redirects, never decompresses,
 * caps the body and the time. Resolves { status, headers, text, json, durationMs }.
 */
function request({ method = 'GET', path = '/', headers = {}, body, rawBody, timeoutMs = 3000 } = {}) {
  const payload = rawBody !== undefined ? Buffer.from(String(rawBody)) : body !== undefined ? Buffer.from(JSON.stringify(body)) : undefined;
  const sendHeaders = { ...headers };
  if (payload) {
    if (!Object.keys(sendHeaders).some((h) => h.toLowerCase() === 'content-type')) sendHeaders['content-type'] = 'application/json';
    sendHeaders['content-length'] = String(payload.length);
  }
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port, method, path, headers: sendHeaders,
      agent: false, maxHeaderSize: 16 * 1024, insecureHTTPParser: false,
    });
    const timer = setTimeout(() => req.destroy(new HttpError(`${method} ${path}: no complete response within ${timeoutMs} ms`)), timeoutMs);
    req.once('error', (err) => { clearTimeout(timer); reject(err instanceof HttpError ? err : new HttpError(`${method} ${path}: ${err.code ?? err.message}`)); });
    req.once('response', (res) => {
      const chunks = [];
      let size = 0;
      res.on('data', (chunk) => {
        size += chunk.length;
        if (size > maxResponseBytes) {
          req.destroy(new HttpError(`${method} ${path}: response body larger than ${maxResponseBytes} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.once('end', () => {
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try { json = text.length ? JSON.parse(text) : undefined; } catch { json = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, text, json, durationMs: Date.now() - started });
      });
      res.once('error', (err) => { clearTimeout(timer); reject(new HttpError(`${method} ${path}: ${err.message}`)); });
    });
    if (payload) req.end(payload); else req.end();
  });
}

const client = {
  request,
  get: (path, opts = {}) => request({ ...opts, method: 'GET', path }),
  delete: (path, opts = {}) => request({ ...opts, method: 'DELETE', path }),
  post: (path, body, opts = {}) => request({ ...opts, method: 'POST', path, body }),
  patch: (path, body, opts = {}) => request({ ...opts, method: 'PATCH', path, body }),
  put: (path, body, opts = {}) => request({ ...opts, method: 'PUT', path, body }),
};

async function main() {
  const tests = [];
  try {
    const mod = await import(pathToFileURL(args.suite).href);
    const define = mod.default;
    if (typeof define !== 'function') throw new Error('the suite module must export a default function');
    await define({ test: (id, fn, opts = {}) => tests.push({ id, fn, timeoutMs: opts.timeoutMs ?? testTimeoutMs }) });
  } catch (err) {
    emit('SUITE_ERROR', { message: clip(err?.stack ?? err) });
    return;
  }
  const readyMs = await waitUntilReady();
  if (readyMs === undefined) {
    emit('NOT_READY', { reason: `nothing accepted connections on port ${port} within ${readyTimeoutMs} ms` });
    return;
  }
  emit('READY', { readyMs });
  const deadline = Date.now() + totalTimeoutMs;
  for (const t of tests) {
    const started = Date.now();
    const budget = Math.min(t.timeoutMs, deadline - started);
    if (budget <= 0) {
      emit('TEST', { id: t.id, status: 'timeout', message: `the test step ran out of time (${totalTimeoutMs} ms) before this test`, durationMs: 0 });
      continue;
    }
    let timer;
    try {
      await Promise.race([
        t.fn({ http: client }),
        new Promise((_, reject) => { timer = setTimeout(() => reject(Object.assign(new Error(`test took longer than ${budget} ms`), { assayTimeout: true })), budget); }),
      ]);
      emit('TEST', { id: t.id, status: 'passed', durationMs: Date.now() - started });
    } catch (err) {
      emit('TEST', { id: t.id, status: err?.assayTimeout ? 'timeout' : 'failed', message: clip(err?.message ?? err), durationMs: Date.now() - started });
    } finally {
      clearTimeout(timer);
    }
  }
}

main().then(
  () => { emit('DONE'); process.exit(0); },
  (err) => { emit('SUITE_ERROR', { message: clip(err?.stack ?? err) }); process.exit(0); },
);
