// The trusted HTTP test harness for service challenges. It runs inside the grader container,
// which shares the candidate container's network namespace (NetworkMode container:<id>), so the
// candidate's service is reachable on 127.0.0.1 and nothing else is reachable at all.
//
// Takes (argv): --suite <file.mjs> --port <n> --ready-timeout-ms <n> --test-timeout-ms <n>
//               --total-timeout-ms <n> --max-response-bytes <n> [--driver-port <n>]
//               [--unresponsive-after <n>]
// Does: waits until the service (and the driver, when there is one) accepts TCP connections,
//   then runs the suite's tests one by one. Every request has a timeout and a response-size cap
//   and never follows redirects or decompresses, so a frozen or hostile service fails tests
//   instead of hanging the grader. With --driver-port, each test also gets `driver`, a client of
//   Assay's driver in the candidate's container (sandbox-images/node/driver.mjs) that calls the
//   candidate's modules and returns what they returned or threw; the suite compares those values
//   here, so no verdict is ever computed where candidate code runs. After --unresponsive-after
//   (default 3) request timeouts in a row on one target (the service or the driver), that target
//   is given up: every later request to it fails at once, so a frozen service costs seconds, not
//   one timeout per remaining test.
//   While it waits, it reads the namespace's socket tables (listeners.mjs): a service that
//   listens only on other ports (or at an address 127.0.0.1 does not reach) for WRONG_PORT_GRACE_MS
//   (2-5 s) is not ready, and the reason names what it listens on, so a hard-coded port costs seconds and
//   is explained, not a bare timeout.
//
//   Services (challenge.json `services`): the environment variable ASSAY_SERVICES (JSON, set by
//   runner/stages/run/service.ts) holds, per service, the grader's own connection URL (the
//   Postgres superuser, the Redis `assay` user) and the candidate's; each test gets `services`
//   (`services.pg`, `services.redis`: see serviceClients below), with the client libraries baked
//   into this image (package.json beside this file).
//
//   Restarts: a test's `restart()` asks the runner, which owns the candidate's process, to stop
//   the service and start it again. The protocol: the harness prints "ASSAY_RESTART {id, test}";
//   the runner stops the service (SIGTERM to its process group, SIGKILL after a grace period),
//   starts it again with the same command and environment, then writes
//   /tmp/assay-restart-<id>.json ({ok, stopMs, reason?}) into this container (an exec of its
//   own: the candidate cannot write here); the harness waits for that file, then for the port
//   to accept connections again, and prints "ASSAY_RESTARTED {id, test, ok, stopMs?,
//   durationMs?, reason?}". Everything else (the driver, the services) keeps running.
// Prints: one JSON line per event, each prefixed: "ASSAY_READY {readyMs, driverReady?}" or
//   "ASSAY_NOT_READY {reason}", "ASSAY_TEST {id, status, message?, durationMs}" per test as it
//   finishes (so results survive a deadline), "ASSAY_UNRESPONSIVE {target, timeouts}" when a
//   target is given up, "ASSAY_RESTART" / "ASSAY_RESTARTED" (above), "ASSAY_SUITE_ERROR
//   {message}", and "ASSAY_DONE {}".
//   The candidate cannot write to this container's output: it runs in another container.
import net from 'node:net';
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { listenerProblem, readListeners } from './listeners.mjs';

const { values: args } = parseArgs({
  options: {
    suite: { type: 'string' },
    port: { type: 'string', default: '8080' },
    'ready-timeout-ms': { type: 'string', default: '10000' },
    'test-timeout-ms': { type: 'string', default: '5000' },
    'total-timeout-ms': { type: 'string', default: '60000' },
    'max-response-bytes': { type: 'string', default: '1048576' },
    'driver-port': { type: 'string' },
    'unresponsive-after': { type: 'string', default: '3' },
  },
});
const port = Number(args.port);
const readyTimeoutMs = Number(args['ready-timeout-ms']);
const testTimeoutMs = Number(args['test-timeout-ms']);
const totalTimeoutMs = Number(args['total-timeout-ms']);
const maxResponseBytes = Number(args['max-response-bytes']);
const unresponsiveAfter = Number(args['unresponsive-after']);
const MAX_MESSAGE = 500;

function emit(kind, data = {}) {
  process.stdout.write(`\nASSAY_${kind} ${JSON.stringify(data)}\n`);
}

function clip(text) {
  const s = String(text ?? '');
  return s.length > MAX_MESSAGE ? `${s.slice(0, MAX_MESSAGE)}… (${s.length - MAX_MESSAGE} more chars)` : s;
}

function canConnect(targetPort) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port: targetPort });
    const done = (ok) => { socket.destroy(); resolve(ok); };
    socket.setTimeout(500, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Milliseconds until the port accepted a connection, or undefined at the deadline. */
async function waitUntilListening(targetPort, started, deadline) {
  while (Date.now() < deadline) {
    if (await canConnect(targetPort)) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 25));
  }
  return undefined;
}

/**
 * How long the service may listen only elsewhere before the wait ends: half the start timeout,
 * from 2 to 5 s. Generous, because a service may open another port long before PORT (a metrics
 * or admin port, a front end started beside a slow TypeScript back end), and ending its start
 * too early would fail a working submission; the saving only has to be the rest of the timeout.
 */
const WRONG_PORT_GRACE_MS = Math.min(5000, Math.max(2000, readyTimeoutMs / 2));
/** The Node.js inspector's port (node --inspect): open long before a slow start listens on PORT, so never the reason. */
const INSPECTOR_PORT = 9229;

/** Ports in this namespace that are not the service's: the inspector, the driver and the challenge's services (from their URLs). */
function notTheServicePorts() {
  const ports = [INSPECTOR_PORT, ...(driverTarget ? [driverTarget.port] : [])];
  for (const svc of Object.values(servicesConfig())) {
    for (const url of [svc?.adminUrl, svc?.candidateUrl]) {
      try {
        const p = Number(new URL(String(url)).port);
        if (p > 0) ports.push(p);
      } catch { /* no URL, no port */ }
    }
  }
  return ports;
}

/**
 * Waits for the service to accept connections on `port`: { readyMs }, or { reason } when it
 * listened only elsewhere for WRONG_PORT_GRACE_MS, or at the deadline (the reason then says what
 * it listens on, when anything).
 */
async function waitForService(started, deadline) {
  const ignore = notTheServicePorts();
  let elsewhereSince;
  while (Date.now() < deadline) {
    if (await canConnect(port)) return { readyMs: Date.now() - started };
    const problem = listenerProblem(await readListeners(), port, ignore);
    elsewhereSince = problem === undefined ? undefined : (elsewhereSince ?? Date.now());
    if (problem !== undefined && Date.now() - elsewhereSince >= WRONG_PORT_GRACE_MS) return { reason: problem };
    await sleep(25);
  }
  const problem = listenerProblem(await readListeners(), port, ignore);
  return { reason: problem ?? `nothing accepted connections on port ${port} within ${readyTimeoutMs} ms` };
}

class HttpError extends Error {}

/**
 * Somewhere the harness sends requests: the service, or the driver. Tracks request timeouts in
 * a row; at `unresponsiveAfter` the target is given up and every later request fails at once.
 */
function target(name, targetPort, label) {
  return { name, port: targetPort, label, timeoutsInARow: 0, givenUp: undefined };
}

function noteTimeout(t, timeoutMs) {
  t.timeoutsInARow += 1;
  if (t.givenUp === undefined && t.timeoutsInARow >= unresponsiveAfter) {
    t.givenUp = `${t.label} stopped answering (${t.timeoutsInARow} requests in a row got no complete response within their timeout, the last ${timeoutMs} ms)`;
    emit('UNRESPONSIVE', { target: t.name, timeouts: t.timeoutsInARow });
  }
}

/**
 * One HTTP request to a target in the candidate's container. Never follows redirects, never
 * decompresses, caps the body and the time. Resolves { status, headers, text, json, durationMs }.
 * With `hold` (see burst), the body's last byte waits for `hold.release`.
 */
function request(t, { method = 'GET', path = '/', headers = {}, body, rawBody, timeoutMs = 3000 } = {}, hold) {
  if (t.givenUp !== undefined) return Promise.reject(new HttpError(`${method} ${path}: not sent: ${t.givenUp}`));
  const payload = rawBody !== undefined ? Buffer.from(String(rawBody)) : body !== undefined ? Buffer.from(JSON.stringify(body)) : undefined;
  const sendHeaders = { ...headers };
  if (payload) {
    if (!Object.keys(sendHeaders).some((h) => h.toLowerCase() === 'content-type')) sendHeaders['content-type'] = 'application/json';
    sendHeaders['content-length'] = String(payload.length);
  }
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port: t.port, method, path, headers: sendHeaders,
      agent: false, maxHeaderSize: 16 * 1024, insecureHTTPParser: false,
    });
    const timer = setTimeout(() => {
      noteTimeout(t, timeoutMs);
      req.destroy(new HttpError(`${method} ${path}: no complete response within ${timeoutMs} ms`));
    }, timeoutMs);
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
        t.timeoutsInARow = 0;
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try { json = text.length ? JSON.parse(text) : undefined; } catch { json = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, text, json, durationMs: Date.now() - started });
      });
      res.once('error', (err) => { clearTimeout(timer); reject(new HttpError(`${method} ${path}: ${err.message}`)); });
    });
    if (payload && hold) {
      req.write(payload.subarray(0, payload.length - 1), () => hold.sent());
      hold.release.then(() => { if (!req.destroyed) req.end(payload.subarray(payload.length - 1)); });
    } else if (payload) req.end(payload);
    else req.end();
  });
}

/**
 * Sends every request at once and makes them land together, for race checks (concurrent
 * retries, double submits): each goes out with all of its body but the last byte, and once every
 * one is on the wire (or failed) the last bytes are sent in the same tick, so the service gets
 * them complete at the same moment rather than one connection after another. A request without
 * a body is sent as is. Resolves like Promise.all of request().
 */
async function burst(t, list) {
  let release;
  const released = new Promise((r) => (release = r));
  let waiting = list.length;
  let allSent;
  const sent = new Promise((r) => (allSent = r));
  const markSent = () => { if (--waiting === 0) allSent(); };
  const pending = list.map((opts) => {
    const hasBody = opts.body !== undefined || (opts.rawBody !== undefined && String(opts.rawBody).length > 0);
    let counted = false;
    const once = () => { if (!counted) { counted = true; markSent(); } };
    const p = request(t, opts, hasBody ? { sent: once, release: released } : undefined);
    if (!hasBody) once();
    p.catch(() => {}).finally(once); // a request that failed early is not waited for
    return p;
  });
  if (list.length === 0) allSent();
  // Bounded: a request stuck before its first bytes are out must not hold the others forever.
  await Promise.race([sent, sleep(Math.min(...list.map((o) => o.timeoutMs ?? 3000), 10_000))]);
  release();
  return Promise.all(pending);
}

const service = target('service', port, 'the service');
const driverTarget = args['driver-port'] ? target('driver', Number(args['driver-port']), "the driver (the candidate's modules)") : undefined;

const client = {
  request: (opts) => request(service, opts),
  get: (path, opts = {}) => request(service, { ...opts, method: 'GET', path }),
  delete: (path, opts = {}) => request(service, { ...opts, method: 'DELETE', path }),
  post: (path, body, opts = {}) => request(service, { ...opts, method: 'POST', path, body }),
  patch: (path, body, opts = {}) => request(service, { ...opts, method: 'PATCH', path, body }),
  put: (path, body, opts = {}) => request(service, { ...opts, method: 'PUT', path, body }),
  /** Several requests ({method, path, body, headers, timeoutMs}) that reach the service at the same moment (see burst). */
  burst: (requests) => burst(service, requests),
};

// --- the driver's client --------------------------------------------------------------------

/** An object kept in the driver (a constructed instance, or a result kept with `keep`). */
class Handle {
  constructor(id) {
    this.id = id;
  }
}

/** The driver could not make the call (no such module, export or method; a bad answer). */
class DriverError extends Error {
  constructor(message) {
    super(message);
    this.name = 'AssayDriverError';
  }
}

/** Stands for a value JSON cannot carry back (a function, a symbol, a cycle, a promise). */
class Opaque {
  constructor(kind, detail) {
    this.kind = kind;
    if (detail !== undefined) this.detail = detail;
  }
}

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

function defineAll(target, entries) {
  // defineProperty, not assignment: a key such as "__proto__" stays a plain data property.
  for (const [k, v] of entries) Object.defineProperty(target, k, { value: v, enumerable: true, writable: true, configurable: true });
  return target;
}

function encodeArg(value, depth = 0) {
  if (depth > 32) throw new Error('driver arguments are nested too deeply');
  if (value === undefined) return { $type: 'undefined' };
  if (value instanceof Handle) return { $handle: value.id };
  if (value instanceof Uint8Array) return { $type: 'bytes', base64: Buffer.from(value).toString('base64') };
  if (Array.isArray(value)) return value.map((v) => encodeArg(v, depth + 1));
  if (isObject(value)) return defineAll({}, Object.entries(value).map(([k, v]) => [k, encodeArg(v, depth + 1)]));
  return value;
}

/** The candidate's value as the driver described it (see sandbox-images/node/driver.mjs). */
function decodeValue(v, depth = 0) {
  if (depth > 64) return new Opaque('truncated');
  if (Array.isArray(v)) return v.map((x) => decodeValue(x, depth + 1));
  if (!isObject(v)) return v;
  if (typeof v.$handle === 'string') return new Handle(v.$handle);
  const list = (x) => (Array.isArray(x) ? x : []);
  switch (v.$type) {
    case 'undefined': return undefined;
    case 'bytes': return Buffer.from(String(v.base64 ?? ''), 'base64');
    case 'number': return Number(v.value);
    case 'bigint': try { return BigInt(String(v.value)); } catch { return new Opaque('bigint', String(v.value)); }
    case 'date': return new Date(v.value ?? NaN);
    case 'map': return new Map(list(v.entries).map((e) => [decodeValue(list(e)[0], depth + 1), decodeValue(list(e)[1], depth + 1)]));
    case 'set': return new Set(list(v.values).map((x) => decodeValue(x, depth + 1)));
    case 'error': return candidateError(v);
    case 'object': return defineAll({}, list(v.entries).map((e) => [String(list(e)[0]), decodeValue(list(e)[1], depth + 1)]));
    case 'function': case 'symbol': case 'circular': case 'truncated': case 'promise':
      return new Opaque(v.$type, v.name ?? v.description);
    default:
      return defineAll({}, Object.entries(v).map(([k, x]) => [k, decodeValue(x, depth + 1)]));
  }
}

/** What the candidate's code threw, as an Error carrying its name, message and own properties (status, code, ...). */
function candidateError(e) {
  const err = new Error(String(e?.message ?? ''));
  Object.defineProperty(err, 'name', { value: String(e?.name ?? 'Error'), enumerable: false, writable: true, configurable: true });
  const props = isObject(e?.props) ? Object.entries(e.props).filter(([k]) => k !== 'name' && k !== 'message' && k !== 'stack') : [];
  return defineAll(err, props.map(([k, x]) => [k, decodeValue(x)]));
}

function settled(r) {
  if (!isObject(r)) return { status: 'rejected', reason: new DriverError('the driver gave no answer for this call') };
  if (r.ok === true) return { status: 'fulfilled', value: decodeValue(r.value) };
  const e = isObject(r.error) ? r.error : {};
  return { status: 'rejected', reason: e.origin === 'candidate' ? candidateError(e) : new DriverError(String(e.message ?? 'the driver could not make the call')) };
}

/** A call descriptor on the wire: {module, export, args, new?} or {handle, method, args}. */
function wireCall(call) {
  const args = encodeArg(call.args ?? []);
  if (call.target !== undefined) {
    if (!(call.target instanceof Handle)) throw new DriverError('a call on an object needs a handle from construct() or keep');
    return { handle: call.target.id, method: call.method, args };
  }
  return { module: call.module, export: call.export, args, ...(call.new ? { new: true } : {}), ...(call.keep ? { keep: true } : {}) };
}

/**
 * The `driver` a test receives: calls into the candidate's modules, each answer decoded. One
 * session per test: the objects it keeps and the folders it makes are dropped when it ends.
 */
function driverClient(t, sessionId) {
  /** `what` names the call in messages, e.g. "src/money.js toCents()". */
  async function post(what, body, timeoutMs = 3000) {
    let res;
    try {
      res = await request(t, { method: 'POST', path: '/', body: { ...body, session: sessionId }, timeoutMs });
    } catch (err) {
      throw new DriverError(`driver ${what}: ${String(err?.message ?? err).replace(/^POST \/: /, '')}`);
    }
    if (res.status !== 200 || !isObject(res.json)) throw new DriverError(`driver ${what}: the driver answered ${res.status}: ${clip(res.text)}`);
    return res.json;
  }
  const name = (call) => (call.target !== undefined ? `.${call.method}()` : `${call.module} ${call.new ? 'new ' : ''}${call.export}()`);
  async function run(call, { timeoutMs } = {}) {
    const out = settled(await post(name(call), { op: 'call', call: wireCall(call) }, timeoutMs));
    if (out.status === 'rejected') throw out.reason;
    return out.value;
  }
  return {
    /** Calls an exported function: resolves what it returned (awaited), rejects with what it threw. */
    call: (module, name, ...args) => run({ module, export: name, args }),
    /** `new` on an exported class: resolves a handle to the instance, kept in the driver. */
    construct: (module, name, ...args) => run({ module, export: name, args, new: true }),
    /** Calls a method of a kept object. */
    invoke: (handle, method, ...args) => run({ target: handle, method, args }),
    /** One call given as a descriptor ({module, export, args, new?, keep?} or {target, method, args}), with options. */
    run,
    /** Starts every call in the same tick in the candidate's process, then waits for all: Promise.allSettled results. */
    settle: async (calls, { timeoutMs } = {}) => {
      const answer = await post(`settle(${calls.map(name).join(', ')})`, { op: 'settle', calls: calls.map(wireCall) }, timeoutMs);
      if (!Array.isArray(answer.results) || answer.results.length !== calls.length) throw new DriverError('the driver answered a different number of results');
      return answer.results.map(settled);
    },
    /** A fresh folder in the candidate's container with these files ({relative path: text}) and empty dirs; resolves its absolute path. */
    tempDir: async (files = {}, dirs = []) => {
      const answer = await post('tempDir()', { op: 'tempdir', files, dirs });
      if (typeof answer.path !== 'string') throw new DriverError('the driver answered no folder');
      return answer.path;
    },
    end: () => post('end()', { op: 'end' }, 1000),
  };
}

// --- services (Postgres, Redis) -----------------------------------------------------------

/** Connection settings per declared service, from the runner: { postgres?: {adminUrl, candidateUrl, env}, redis?: {...} }. */
function servicesConfig() {
  try {
    const parsed = JSON.parse(process.env.ASSAY_SERVICES ?? '{}');
    return isObject(parsed) ? parsed : {};
  } catch {
    return {};
  }
}

const QUERY_TIMEOUT_MS = 5000;

/**
 * What a test gets as `services`. Clients are created on first use and closed by the harness
 * (the shared ones when the run ends, the ones a test opened with connect() after that test).
 * - services.pg.query(text, values?): a query as the Postgres superuser in the candidate's database
 * - services.pg.connect({ as: 'admin' | 'candidate' }): a connected pg.Client of one's own
 * - services.redis.command(...args): one Redis command as the grader's user (e.g. 'GET', 'k')
 * - services.redis.connect({ as }): a connected node-redis client of one's own
 * - services.<name>.env: the variables the candidate's service got (DATABASE_URL, PG*, REDIS_URL)
 */
function serviceClients(config) {
  const opened = new Set();
  let pgPool;
  let redisShared;
  const out = {};
  const urlOf = (svc, as) => (as === 'candidate' ? svc.candidateUrl : svc.adminUrl);
  if (isObject(config.postgres)) {
    const svc = config.postgres;
    const pgOptions = (as) => ({ connectionString: urlOf(svc, as), connectionTimeoutMillis: 3000, statement_timeout: QUERY_TIMEOUT_MS, query_timeout: QUERY_TIMEOUT_MS });
    out.pg = {
      env: { ...svc.env },
      async query(text, values) {
        if (!pgPool) {
          const { default: pg } = await import('pg');
          pgPool = new pg.Pool({ ...pgOptions('admin'), max: 3 });
          pgPool.on('error', () => {}); // an idle client dropped by the server: the next query reconnects
        }
        return pgPool.query(text, values);
      },
      async connect({ as = 'admin' } = {}) {
        const { default: pg } = await import('pg');
        const client = new pg.Client(pgOptions(as));
        client.on('error', () => {});
        await client.connect();
        opened.add({ close: () => client.end() });
        return client;
      },
    };
  }
  if (isObject(config.redis)) {
    const svc = config.redis;
    const connect = async (as) => {
      const { createClient } = await import('redis');
      const client = createClient({ url: urlOf(svc, as), socket: { connectTimeout: 3000, reconnectStrategy: false } });
      client.on('error', () => {});
      await client.connect();
      return client;
    };
    out.redis = {
      env: { ...svc.env },
      async command(...args) {
        redisShared ??= connect('admin');
        return (await redisShared).sendCommand(args.map(String));
      },
      async connect({ as = 'admin' } = {}) {
        const client = await connect(as);
        opened.add({ close: () => client.quit() });
        return client;
      },
    };
  }
  // A close waits for the server's goodbye: bounded, so a frozen service cannot hold the harness.
  const settle = (promises) => Promise.race([Promise.allSettled(promises), sleep(2000)]);
  const closeOpened = async () => {
    const all = [...opened];
    opened.clear();
    await settle(all.map((c) => c.close()));
  };
  return {
    services: out,
    /** Closes the clients a test opened itself (after each test). */
    closeOpened,
    async closeAll() {
      await closeOpened();
      await settle([pgPool?.end(), redisShared?.then((c) => c.quit())]);
    },
  };
}

// --- restarts ---------------------------------------------------------------------------------

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** What the runner may take to stop a service (its SIGTERM grace plus the SIGKILL) and start it again. */
const RESTART_ANSWER_MS = 15_000;
let restarts = 0;

/**
 * Asks the runner to restart the candidate's service (see the protocol in the header) and waits
 * until it accepts connections again. Resolves { durationMs, stopMs }; rejects when the service
 * could not be stopped or did not come back within `timeoutMs` (default: the start timeout).
 */
async function restartService(testId, { timeoutMs = readyTimeoutMs } = {}) {
  restarts += 1;
  const id = restarts;
  const started = Date.now();
  const failed = (reason) => {
    emit('RESTARTED', { id, test: testId, ok: false, reason, durationMs: Date.now() - started });
    return new Error(`the service could not be restarted: ${reason}`);
  };
  emit('RESTART', { id, test: testId });
  let ack;
  for (const deadline = started + RESTART_ANSWER_MS; !ack && Date.now() < deadline; ) {
    try {
      ack = JSON.parse(await readFile(`/tmp/assay-restart-${id}.json`, 'utf8'));
    } catch {
      await sleep(20);
    }
  }
  if (!isObject(ack)) throw failed(`the runner did not restart it within ${RESTART_ANSWER_MS} ms`);
  if (ack.ok !== true) throw failed(clip(ack.reason ?? 'unknown reason'));
  // A new process: the old one's timeouts say nothing about it.
  service.timeoutsInARow = 0;
  service.givenUp = undefined;
  const readyMs = await waitUntilListening(port, Date.now(), Date.now() + timeoutMs);
  if (readyMs === undefined) throw failed(`it was started again but did not accept connections on port ${port} within ${timeoutMs} ms`);
  const durationMs = Date.now() - started;
  emit('RESTARTED', { id, test: testId, ok: true, stopMs: Number(ack.stopMs) || 0, durationMs });
  return { durationMs, stopMs: Number(ack.stopMs) || 0 };
}

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
  const waitStarted = Date.now();
  const waitDeadline = waitStarted + readyTimeoutMs;
  const driverWait = driverTarget ? waitUntilListening(driverTarget.port, waitStarted, waitDeadline) : Promise.resolve(0);
  const { readyMs, reason } = await waitForService(waitStarted, waitDeadline);
  if (readyMs === undefined) {
    emit('NOT_READY', { reason });
    return;
  }
  const driverMs = await driverWait;
  if (driverTarget && driverMs === undefined) driverTarget.givenUp = `the driver did not accept connections on port ${driverTarget.port} within ${readyTimeoutMs} ms`;
  emit('READY', { readyMs, ...(driverTarget ? { driverReady: driverMs !== undefined } : {}) });
  const deadline = Date.now() + totalTimeoutMs;
  const clients = serviceClients(servicesConfig());
  try {
    await runTests(tests, deadline, clients);
  } finally {
    await clients.closeAll();
  }
}

async function runTests(tests, deadline, clients) {
  for (const [index, t] of tests.entries()) {
    const started = Date.now();
    const budget = Math.min(t.timeoutMs, deadline - started);
    if (budget <= 0) {
      emit('TEST', { id: t.id, status: 'timeout', message: `the test step ran out of time (${totalTimeoutMs} ms) before this test`, durationMs: 0 });
      continue;
    }
    const driver = driverTarget ? driverClient(driverTarget, `t${index}`) : undefined;
    let timer;
    try {
      await Promise.race([
        t.fn({ http: client, ...(driver ? { driver } : {}), services: clients.services, restart: (opts) => restartService(t.id, opts) }),
        new Promise((_, reject) => { timer = setTimeout(() => reject(Object.assign(new Error(`test took longer than ${budget} ms`), { assayTimeout: true })), budget); }),
      ]);
      emit('TEST', { id: t.id, status: 'passed', durationMs: Date.now() - started });
    } catch (err) {
      emit('TEST', { id: t.id, status: err?.assayTimeout ? 'timeout' : 'failed', message: clip(err?.message ?? err), durationMs: Date.now() - started });
    } finally {
      clearTimeout(timer);
      await clients.closeOpened();
    }
    // The session's folders live in the candidate's container, which is removed after the run,
    // so a failed clean-up changes nothing: it is not awaited, and its failure is dropped.
    if (driver && driverTarget.givenUp === undefined) driver.end().catch(() => {});
  }
}

main().then(
  () => { emit('DONE'); process.exit(0); },
  (err) => { emit('SUITE_ERROR', { message: clip(err?.stack ?? err) }); process.exit(0); },
);
