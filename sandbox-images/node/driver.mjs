// Assay's driver: the grader's hands inside the candidate's sandbox, for unit-level checks of a
// service challenge (manifest `service.driverPort`). Baked into the Node image (read-only root
// file system) and started beside the candidate's service, in the same network-less container.
//
// Takes (argv): --port <n> (loopback only) --root <dir> (the workspace, default /workspace).
// Does: answers POST / requests from the grader, which shares this container's network namespace:
//   {op: "call", session, call, keep?}  imports a module of the workspace and calls one export
//       (call = {module, export, args, new?}) or a method of an object kept earlier
//       (call = {handle, method, args}); `new` and `keep` keep the result and answer a handle.
//   {op: "settle", session, calls}       starts every call in the same tick, then waits for all
//       (so the candidate's code sees them as truly concurrent), like Promise.allSettled.
//   {op: "tempdir", session, files, dirs} creates a fresh folder with these files; answers its path.
//   {op: "end", session}                  forgets the session's objects and removes its folders.
//   Arguments are JSON, with {"$handle": id}, {"$type": "undefined"} and
//   {"$type": "bytes", "base64": ...} for what JSON cannot hold.
// Prints: nothing of its own on stdout (that is the candidate's log); each answer is JSON:
//   {ok: true, value} or {ok: false, error: {origin, name, message, props}} per call, where
//   origin is "candidate" (the candidate's code threw) or "driver" (e.g. no such export).
//
// The driver computes no verdict. Candidate code runs in this process and can make it answer
// anything, but the expectations live only in the grader, so forging a passing answer means
// knowing the right one.
import http from 'node:http';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({ options: { port: { type: 'string' }, root: { type: 'string', default: '/workspace' } } });
const PORT = Number(args.port);
const ROOT = path.resolve(args.root);
const MAX_REQUEST_BYTES = 1024 * 1024;
const MAX_SESSIONS = 256;
const MAX_DEPTH = 32;

/** @type {Map<string, {handles: Map<string, unknown>, dirs: string[], next: number}>} */
const sessions = new Map();

class DriverError extends Error {}

function session(id) {
  if (typeof id !== 'string' || id.length === 0 || id.length > 100) throw new DriverError('a request needs a session id');
  let s = sessions.get(id);
  if (!s) {
    if (sessions.size >= MAX_SESSIONS) throw new DriverError(`more than ${MAX_SESSIONS} open sessions`);
    s = { handles: new Map(), dirs: [], next: 0 };
    sessions.set(id, s);
  }
  return s;
}

/** A path inside `base` from a relative path given by the grader. */
function inside(base, rel, what) {
  if (typeof rel !== 'string' || rel === '' || path.isAbsolute(rel) || rel.split(/[\\/]/).includes('..')) {
    throw new DriverError(`${what} must be a relative path inside the folder, not ${JSON.stringify(rel)}`);
  }
  return path.join(base, rel);
}

async function loadExport(module, name) {
  const file = inside(ROOT, module, 'module');
  let mod;
  try {
    mod = await import(pathToFileURL(file).href);
  } catch (err) {
    throw new DriverError(`could not import ${module}: ${err?.name ?? 'Error'}: ${err?.message ?? String(err)}`);
  }
  if (typeof name !== 'string' || !(name in mod)) throw new DriverError(`${module} has no export ${JSON.stringify(name)}`);
  return mod[name];
}

function decodeArg(value, s, depth = 0) {
  if (depth > MAX_DEPTH) throw new DriverError('arguments are nested too deeply');
  if (Array.isArray(value)) return value.map((v) => decodeArg(v, s, depth + 1));
  if (value === null || typeof value !== 'object') return value;
  if (typeof value.$handle === 'string') {
    if (!s.handles.has(value.$handle)) throw new DriverError(`no object kept under handle ${value.$handle}`);
    return s.handles.get(value.$handle);
  }
  if (value.$type === 'undefined') return undefined;
  if (value.$type === 'bytes') return Buffer.from(String(value.base64 ?? ''), 'base64');
  const out = {};
  for (const [k, v] of Object.entries(value)) Object.defineProperty(out, k, { value: decodeArg(v, s, depth + 1), enumerable: true, writable: true, configurable: true });
  return out;
}

/** What a value looks like to the grader: JSON, with tagged forms for what JSON cannot hold. */
function encode(value, ancestors = new Set(), depth = 0) {
  if (value === undefined) return { $type: 'undefined' };
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0) ? value : { $type: 'number', value: String(value) };
  if (typeof value === 'bigint') return { $type: 'bigint', value: String(value) };
  if (typeof value === 'symbol') return { $type: 'symbol', description: value.description ?? '' };
  if (typeof value === 'function') return { $type: 'function', name: String(value.name ?? '') };
  if (depth > MAX_DEPTH) return { $type: 'truncated' };
  if (ancestors.has(value)) return { $type: 'circular' };
  ancestors.add(value);
  try {
    if (value instanceof Uint8Array) return { $type: 'bytes', base64: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
    if (value instanceof Date) return { $type: 'date', value: Number.isNaN(value.getTime()) ? null : value.toISOString() };
    if (value instanceof Error) return { $type: 'error', ...describeError(value, ancestors, depth) };
    if (value instanceof Promise) return { $type: 'promise' };
    if (Array.isArray(value)) return value.map((v) => encode(v, ancestors, depth + 1));
    if (value instanceof Map) return { $type: 'map', entries: [...value].map(([k, v]) => [encode(k, ancestors, depth + 1), encode(v, ancestors, depth + 1)]) };
    if (value instanceof Set) return { $type: 'set', values: [...value].map((v) => encode(v, ancestors, depth + 1)) };
    // Plain objects and class instances alike: own enumerable properties, as JSON.stringify sees them.
    const entries = Object.keys(value).map((k) => [k, encode(value[k], ancestors, depth + 1)]);
    if (entries.some(([k]) => k === '$type' || k === '$handle')) return { $type: 'object', entries };
    return Object.fromEntries(entries);
  } finally {
    ancestors.delete(value);
  }
}

function describeError(err, ancestors = new Set(), depth = 0) {
  if (err === null || typeof err !== 'object') return { name: 'NonError', message: String(err), props: { value: encode(err) } };
  const props = {};
  for (const k of Object.keys(err)) if (k !== 'name' && k !== 'message' && k !== 'stack') props[k] = encode(err[k], ancestors, depth + 1);
  return { name: String(err.name ?? 'Error'), message: String(err.message ?? ''), props };
}

function failure(err) {
  if (err instanceof DriverError) return { ok: false, error: { origin: 'driver', name: 'AssayDriverError', message: err.message, props: {} } };
  try {
    return { ok: false, error: { origin: 'candidate', ...describeError(err) } };
  } catch (inner) {
    return { ok: false, error: { origin: 'driver', name: 'AssayDriverError', message: `the thrown value could not be read: ${inner?.message ?? inner}`, props: {} } };
  }
}

function success(value, s, keep) {
  if (keep) {
    const id = `h${++s.next}`;
    s.handles.set(id, value);
    return { ok: true, value: { $handle: id } };
  }
  try {
    return { ok: true, value: encode(value) };
  } catch (err) {
    return { ok: false, error: { origin: 'driver', name: 'AssayDriverError', message: `the result could not be read: ${err?.message ?? err}`, props: {} } };
  }
}

/**
 * Resolves a call to a function ready to start synchronously: imports happen here, so calls
 * prepared together can then be started in one tick.
 */
async function prepare(call, s) {
  if (call === null || typeof call !== 'object') throw new DriverError('a call must be an object');
  const callArgs = decodeArg(Array.isArray(call.args) ? call.args : [], s);
  if (typeof call.handle === 'string') {
    const target = decodeArg({ $handle: call.handle }, s);
    if (typeof call.method !== 'string') throw new DriverError('a call on a handle needs a method name');
    return () => {
      const fn = target?.[call.method];
      if (typeof fn !== 'function') throw new DriverError(`the object under ${call.handle} has no method ${JSON.stringify(call.method)}`);
      return fn.apply(target, callArgs);
    };
  }
  const fn = await loadExport(call.module, call.export);
  if (typeof fn !== 'function') throw new DriverError(`${call.module} export ${JSON.stringify(call.export)} is not a function`);
  return call.new ? () => Reflect.construct(fn, callArgs) : () => fn(...callArgs);
}

/** Starts a prepared call; a synchronous throw becomes a rejection. */
function start(run) {
  try {
    return Promise.resolve(run());
  } catch (err) {
    return Promise.reject(err);
  }
}

async function handle(body) {
  switch (body?.op) {
    case 'call': {
      const s = session(body.session);
      try {
        const run = await prepare(body.call, s);
        return success(await start(run), s, Boolean(body.keep || body.call?.new));
      } catch (err) {
        return failure(err);
      }
    }
    case 'settle': {
      const s = session(body.session);
      if (!Array.isArray(body.calls)) throw new DriverError('settle needs a list of calls');
      const prepared = await Promise.all(body.calls.map((c) => prepare(c, s).then((run) => ({ run, keep: Boolean(c?.keep || c?.new) }), (err) => ({ err }))));
      // Every call starts before any of them is awaited.
      const started = prepared.map((p) => (p.err ? Promise.reject(p.err) : start(p.run)));
      const settled = await Promise.allSettled(started);
      return { results: settled.map((r, i) => (r.status === 'fulfilled' ? success(r.value, s, prepared[i].keep) : failure(r.reason))) };
    }
    case 'tempdir': {
      const s = session(body.session);
      const dir = await mkdtemp(path.join(os.tmpdir(), 'assay-driver-'));
      s.dirs.push(dir);
      for (const d of Array.isArray(body.dirs) ? body.dirs : []) await mkdir(inside(dir, d, 'a folder'), { recursive: true });
      for (const [rel, content] of Object.entries(body.files ?? {})) {
        const file = inside(dir, rel, 'a file');
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(file, String(content));
      }
      return { path: dir };
    }
    case 'end': {
      const s = sessions.get(body.session);
      sessions.delete(body.session);
      for (const dir of s?.dirs ?? []) await rm(dir, { recursive: true, force: true });
      return {};
    }
    default:
      throw new DriverError(`unknown op ${JSON.stringify(body?.op)}`);
  }
}

function reply(res, status, body) {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}

const server = http.createServer((req, res) => {
  if (req.method !== 'POST') return reply(res, 405, { error: 'POST only' });
  const chunks = [];
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size > MAX_REQUEST_BYTES) req.destroy();
    else chunks.push(chunk);
  });
  req.on('end', () => {
    let body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return reply(res, 400, { error: 'the request is not JSON' });
    }
    handle(body).then(
      (answer) => reply(res, 200, answer),
      (err) => reply(res, err instanceof DriverError ? 400 : 500, { error: String(err?.message ?? err) }),
    );
  });
});
server.listen(PORT, '127.0.0.1');
