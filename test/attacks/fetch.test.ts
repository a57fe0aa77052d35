/**
 * Attacks on the fetch stage through real git over smart HTTP on loopback: git servers of the
 * candidate's choosing that try to exhaust the worker's memory, that fail to make the platform
 * take the blame, and tokens that must stay inside their scope.
 * Some servers here speak git's protocol by hand (version 0, stateless HTTP) to send packs no
 * real git would build: a delta declaring gigabytes, an object declaring gigabytes, a tree fsck
 * refuses. The bytes of each are built below from the pack format (Documentation/gitformat-pack).
 */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { lstat, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FetchPolicy } from '../../runner/config.ts';
import { startRedis, type TestRedis } from '../../runner/devtools/redis.ts';
import { startStack } from '../../runner/devtools/stack.ts';
import { FETCH_UID_BASE, FETCH_UID_COUNT } from '../../runner/stages/fetch/confine.ts';
import { fetchRepository, type FetchInput } from '../../runner/stages/fetch/index.ts';
import { useGitServer } from '../support/grading.ts';

const loopback: FetchPolicy = { allowHttp: true, allowPrivate: true, allowedHosts: [] };
const MiB = 1024 * 1024;
const TOKEN = 'scoped-token-0123456789';
const TOKEN_BASIC = `Basic ${Buffer.from(`x-access-token:${TOKEN}`).toString('base64')}`;
const HOST_TOKEN = 'host-token-9876543210';
const HOST_TOKEN_BASIC = `Basic ${Buffer.from(`x-access-token:${HOST_TOKEN}`).toString('base64')}`;

const git = useGitServer();
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function input(repoUrl: string, overrides: Partial<FetchInput> = {}): Promise<FetchInput> {
  const destDir = await mkdtemp(path.join(os.tmpdir(), 'assay-fetch-attack-'));
  cleanups.push(() => rm(destDir, { recursive: true, force: true }));
  return {
    repoUrl,
    destDir,
    policy: loopback,
    timeoutMs: 20_000,
    maxBytes: 100 * MiB,
    lowSpeedBytesPerSecond: 1024,
    lowSpeedSeconds: 10,
    tokens: {},
    ...overrides,
  };
}

let seq = 0;
const unique = (label: string) => `${label}-${process.pid}-${++seq}`;
const requestsTo = (prefix: string) => git.server.requests.filter((r) => r.url.startsWith(prefix));

// --- git's pack format and protocol, by hand ---------------------------------------------------

type PackObject = { type: 'commit' | 'tree' | 'blob'; data: Buffer; declaredSize?: number } | { type: 'ref-delta'; base: Buffer; delta: Buffer };
const TYPE_NUMBER = { commit: 1, tree: 2, blob: 3, 'ref-delta': 7 } as const;

/** An object's header: type and size, 4 bits then 7 bits at a time (sizes past 2^32 included). */
function objectHeader(type: number, size: number): Buffer {
  const bytes: number[] = [];
  let byte = (type << 4) | (size % 16);
  let rest = Math.floor(size / 16);
  while (rest > 0) {
    bytes.push(byte | 0x80);
    byte = rest % 128;
    rest = Math.floor(rest / 128);
  }
  bytes.push(byte);
  return Buffer.from(bytes);
}

/** A delta header's size: 7 bits at a time, least significant first. */
function varint(n: number): Buffer {
  const bytes: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    bytes.push(byte);
  } while (n > 0);
  return Buffer.from(bytes);
}

function objectId(type: 'commit' | 'tree' | 'blob', data: Buffer): Buffer {
  return createHash('sha1').update(`${type} ${data.length}\0`).update(data).digest();
}

function buildPack(objects: PackObject[]): Buffer {
  const count = Buffer.alloc(4);
  count.writeUInt32BE(objects.length);
  const parts: Buffer[] = [Buffer.from('PACK'), Buffer.from([0, 0, 0, 2]), count];
  for (const o of objects) {
    if (o.type === 'ref-delta') parts.push(objectHeader(TYPE_NUMBER[o.type], o.delta.length), o.base, deflateSync(o.delta));
    else parts.push(objectHeader(TYPE_NUMBER[o.type], o.declaredSize ?? o.data.length), deflateSync(o.data));
  }
  const body = Buffer.concat(parts);
  return Buffer.concat([body, createHash('sha1').update(body).digest()]);
}

/**
 * A pack of about 300 bytes holding a 64 KB blob of zeros and a delta against it whose result is
 * `resultBytes` long: one copy instruction (`0x80`: offset 0, 64 KB) per 64 KB of result.
 */
function deltaBomb(resultBytes: number): Buffer {
  const base = Buffer.alloc(64 * 1024);
  const copies = Math.ceil(resultBytes / base.length);
  const delta = Buffer.concat([varint(base.length), varint(copies * base.length), Buffer.alloc(copies, 0x80)]);
  return buildPack([
    { type: 'blob', data: base },
    { type: 'ref-delta', base: objectId('blob', base), delta },
  ]);
}

const pkt = (line: string) => Buffer.concat([Buffer.from((Buffer.byteLength(line) + 4).toString(16).padStart(4, '0')), Buffer.from(line)]);
const FLUSH = Buffer.from('0000');

/**
 * A hand-made upload-pack server (protocol version 0 over stateless HTTP) advertising `tip` as
 * HEAD and answering the final request (the one ending in "done") with `pack`, whatever was
 * asked for: git indexes a pack before checking it holds what it wanted.
 */
function packRoute(prefix: string, pack: Buffer, tip = 'a'.repeat(40)): void {
  git.server.route(prefix, (req, res) => {
    if (req.method === 'GET') {
      res.writeHead(200, { 'Content-Type': 'application/x-git-upload-pack-advertisement', 'Cache-Control': 'no-cache' });
      res.end(Buffer.concat([pkt('# service=git-upload-pack\n'), FLUSH, pkt(`${tip} HEAD\0shallow no-progress allow-tip-sha1-in-want allow-reachable-sha1-in-want\n`), pkt(`${tip} refs/heads/main\n`), FLUSH]));
      return;
    }
    const body: Buffer[] = [];
    req.on('data', (chunk: Buffer) => body.push(chunk));
    req.on('end', () => {
      const request = Buffer.concat(body).toString('latin1');
      res.writeHead(200, { 'Content-Type': 'application/x-git-upload-pack-result', 'Cache-Control': 'no-cache' });
      const answer: Buffer[] = request.includes('deepen') ? [pkt(`shallow ${tip}\n`), FLUSH] : [];
      if (request.includes('done')) answer.push(pkt('NAK\n'), pack);
      res.end(Buffer.concat(answer));
    });
  });
}

/** The uid owning the client end of a loopback TCP connection, from /proc/net/tcp. */
async function peerUid(clientPort: number, serverPort: number): Promise<number | undefined> {
  const hexPort = (p: number) => p.toString(16).toUpperCase().padStart(4, '0');
  for (const line of (await readFile('/proc/net/tcp', 'utf8')).split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields[1]?.endsWith(`:${hexPort(clientPort)}`) && fields[2]?.endsWith(`:${hexPort(serverPort)}`)) return Number(fields[7]);
  }
  return undefined;
}

/** Uids of every process on the host now. */
async function processUids(): Promise<number[]> {
  const uids: number[] = [];
  for (const pid of (await readdir('/proc')).filter((d) => /^\d+$/.test(d))) {
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
    const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1];
    if (uid !== undefined) uids.push(Number(uid));
  }
  return uids;
}

const inFetchRange = (uid: number | undefined) => uid !== undefined && uid >= FETCH_UID_BASE && uid < FETCH_UID_BASE + FETCH_UID_COUNT;

// --- the tests ----------------------------------------------------------------------------------

describe('a git server trying to exhaust the worker', () => {
  it('refuses a 300-byte pack whose delta declares 2 GB, quickly and without the memory', async () => {
    const prefix = `/${unique('delta-bomb')}.git`;
    const pack = deltaBomb(2048 * MiB);
    expect(pack.length).toBeLessThan(1024);
    packRoute(prefix, pack);
    const job = await input(`${git.server.url}${prefix}`);
    const rssBefore = process.memoryUsage().rss;
    const started = Date.now();
    const err: unknown = await fetchRepository(job).catch((e: unknown) => e);
    expect(err).toMatchObject({
      name: 'SubmissionError',
      code: 'REPO_TOO_LARGE',
      fault: 'submission',
      retryable: false,
      // git's own ceiling (GIT_ALLOC_LIMIT) refused the allocation: the 2 GB were never taken.
      message: expect.stringMatching(/^the repository is larger than the limit of 100 MB: .*attempting to allocate 2147483649 over limit/),
    });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(100 * MiB);
    expect(await readdir(job.destDir)).toEqual([]);
  });

  it('refuses an object whose header declares 3 GB', async () => {
    const prefix = `/${unique('huge-object')}.git`;
    packRoute(prefix, buildPack([{ type: 'tree', data: Buffer.alloc(0), declaredSize: 3 * 1024 * MiB }]));
    await expect(fetchRepository(await input(`${git.server.url}${prefix}`))).rejects.toMatchObject({
      code: 'REPO_TOO_LARGE',
      message: expect.stringMatching(/attempting to allocate 3221225473 over limit/),
    });
  });

  it('refuses a tree that fsck finds malformed (duplicate entries)', async () => {
    const blob = Buffer.from('x\n');
    const entry = Buffer.concat([Buffer.from('100644 a.txt\0'), objectId('blob', blob)]);
    const prefix = `/${unique('fsck')}.git`;
    packRoute(prefix, buildPack([{ type: 'blob', data: blob }, { type: 'tree', data: Buffer.concat([entry, entry]) }]));
    await expect(fetchRepository(await input(`${git.server.url}${prefix}`))).rejects.toMatchObject({
      name: 'SubmissionError',
      code: 'REPO_INVALID',
      message: expect.stringMatching(/duplicateEntries/),
    });
  });

  it('refuses a corrupt pack as malformed, not as the platform\'s failure', async () => {
    const pack = buildPack([{ type: 'blob', data: Buffer.from('x\n') }]);
    // Break the deflate stream of the one object (it starts after the 12-byte pack header and a 1-byte object header).
    pack.fill(0xff, 13, 17);
    const prefix = `/${unique('corrupt')}.git`;
    packRoute(prefix, pack);
    await expect(fetchRepository(await input(`${git.server.url}${prefix}`))).rejects.toMatchObject({ name: 'SubmissionError', code: 'REPO_INVALID' });
  });

  it('runs git as an unprivileged uid of its own, never the worker\'s', async () => {
    const prefix = `/${unique('whoami')}.git`;
    const seen: (number | undefined)[] = [];
    const serverPort = Number(new URL(git.server.url).port);
    git.server.route(prefix, (req, res) => {
      void peerUid(req.socket.remotePort ?? 0, serverPort).then((uid) => {
        seen.push(uid);
        res.writeHead(404).end();
      });
    });
    await expect(fetchRepository(await input(`${git.server.url}${prefix}`))).rejects.toMatchObject({ code: 'REPO_NOT_FOUND' });
    expect(seen.length).toBeGreaterThan(0);
    for (const uid of seen) {
      expect(uid).not.toBe(0);
      expect(uid).not.toBe(process.getuid?.());
      expect(inFetchRange(uid), `uid ${uid}`).toBe(true);
    }
    // Each fetch has a uid of its own.
    const again: (number | undefined)[] = seen.splice(0);
    await expect(fetchRepository(await input(`${git.server.url}${prefix}`))).rejects.toMatchObject({ code: 'REPO_NOT_FOUND' });
    expect(seen[0]).not.toBe(again[0]);
  });

  it("hands over a checkout owned by the fetch's uid and closed to others, with none of its processes left", async () => {
    const repo = await git.server.addRepo(`${unique('owned')}.git`, { 'README.md': '# ok\n', 'src/index.js': 'export {};\n' });
    const job = await input(repo.url);
    expect((await fetchRepository(job)).commit).toBe(repo.commit);
    const top = await lstat(job.destDir);
    expect(inFetchRange(top.uid), `uid ${top.uid}`).toBe(true);
    expect(top.gid).toBe(top.uid);
    expect(top.mode & 0o777).toBe(0o700);
    const owners = new Set<number>();
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const abs = path.join(dir, entry.name);
        owners.add((await lstat(abs)).uid);
        if (entry.isDirectory()) await walk(abs);
      }
    };
    await walk(job.destDir);
    expect([...owners]).toEqual([top.uid]);
    expect(await readFile(path.join(job.destDir, 'src/index.js'), 'utf8')).toBe('export {};\n');
    expect((await processUids()).filter((uid) => uid === top.uid)).toEqual([]);
  });

  it('still fetches an ordinary large repository within the limits', async () => {
    const repo = await git.server.addRepo(`${unique('large-ok')}.git`, { 'data.bin': randomBytes(40 * MiB), 'a.txt': 'a\n' });
    const job = await input(repo.url);
    const result = await fetchRepository(job);
    expect(result.commit).toBe(repo.commit);
    expect((await lstat(path.join(job.destDir, 'data.bin'))).size).toBe(40 * MiB);
  });
});

describe('git tokens scoped to a host and path prefix', () => {
  it('sends the token to repositories under its prefix only, and the longest prefix wins', async () => {
    const names = { acme: `acme/${unique('api')}.git`, other: `other/${unique('api')}.git`, acmecorp: `acmecorp/${unique('api')}.git` };
    const repos = {
      acme: await git.server.addRepo(names.acme, { 'a.txt': 'a' }),
      other: await git.server.addRepo(names.other, { 'a.txt': 'a' }),
      acmecorp: await git.server.addRepo(names.acmecorp, { 'a.txt': 'a' }),
    };
    const scoped = { '127.0.0.1/acme': TOKEN };
    for (const repo of Object.values(repos)) await fetchRepository(await input(repo.url, { tokens: scoped }));
    const auth = (name: string) => requestsTo(`/${name}`).map((r) => r.headers.authorization);
    expect(auth(names.acme).length).toBeGreaterThan(0);
    expect(auth(names.acme).every((a) => a === TOKEN_BASIC)).toBe(true);
    expect(auth(names.other).length).toBeGreaterThan(0);
    expect(auth(names.other).every((a) => a === undefined)).toBe(true);
    expect(auth(names.acmecorp).length).toBeGreaterThan(0);
    expect(auth(names.acmecorp).every((a) => a === undefined)).toBe(true);

    // With a bare-host token as well, /acme/... still gets its own, everything else the host's.
    const both = { '127.0.0.1': HOST_TOKEN, '127.0.0.1/acme': TOKEN };
    const before = git.server.requests.length;
    await fetchRepository(await input(repos.acme.url, { tokens: both }));
    await fetchRepository(await input(repos.other.url, { tokens: both }));
    const sent = git.server.requests.slice(before);
    expect(sent.filter((r) => r.url.startsWith(`/${names.acme}`)).every((r) => r.headers.authorization === TOKEN_BASIC)).toBe(true);
    expect(sent.filter((r) => r.url.startsWith(`/${names.other}`)).every((r) => r.headers.authorization === HOST_TOKEN_BASIC)).toBe(true);
  });
});

describe('a git server that fails', () => {
  function failingRoute(prefix: string, status: number): void {
    git.server.route(prefix, (_req, res) => {
      res.writeHead(status, { 'Content-Type': 'text/plain' }).end('unavailable\n');
    });
  }

  it("blames the candidate for their server's 503 after one retry, without a queue retry", async () => {
    const prefix = `/${unique('down')}.git`;
    failingRoute(prefix, 503);
    const started = Date.now();
    const err: unknown = await fetchRepository(await input(`${git.server.url}${prefix}`)).catch((e: unknown) => e);
    expect(err).toMatchObject({
      name: 'SubmissionError',
      code: 'REPO_UNREACHABLE',
      fault: 'submission',
      retryable: false,
      message: expect.stringMatching(/returned error: 503.*\(2 attempts, 1 s apart\)$/),
    });
    expect(requestsTo(prefix)).toHaveLength(2);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('blames the candidate for a server that refuses connections', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(fetchRepository(await input(`http://127.0.0.1:${port}/repo.git`))).rejects.toMatchObject({ code: 'REPO_UNREACHABLE', fault: 'submission', retryable: false });
  });

  it('keeps a failing host the operator allowed as the platform\'s, retryable', async () => {
    const prefix = `/${unique('allowed-down')}.git`;
    failingRoute(prefix, 502);
    const allowed: FetchPolicy = { ...loopback, allowedHosts: ['127.0.0.1'] };
    await expect(fetchRepository(await input(`${git.server.url}${prefix}`, { policy: allowed }))).rejects.toMatchObject({ name: 'PlatformError', code: 'FETCH_NETWORK', fault: 'platform', retryable: true });
    expect(requestsTo(prefix)).toHaveLength(2);
  });

  it('gets past a single failure (the retry inside the fetch)', async () => {
    const name = `${unique('flaky')}.git`;
    const repo = await git.server.addRepo(`real-${name}`, { 'a.txt': 'a' });
    const prefix = `/${name}`;
    let failed = false;
    git.server.route(prefix, (req, res) => {
      if (!failed) {
        failed = true;
        res.writeHead(503).end();
        return;
      }
      // Then behave: pass the request on to the real repository.
      const target = `${git.server.url}/real-${name}${(req.url ?? '').slice(prefix.length)}`;
      const forward = http.request(target, { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      req.pipe(forward);
    });
    expect((await fetchRepository(await input(`${git.server.url}${prefix}`))).commit).toBe(repo.commit);
    expect(requestsTo(`${prefix}/info/refs`)).toHaveLength(2);
  });
});

describe('a failing server through the queue and the worker', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it(`ends the submission failed with fault "submission" after one attempt (the fetch's own retry inside it), never retried by the queue`, async () => {
    const prefix = `/${unique('stack-down')}.git`;
    git.server.route(prefix, (_req, res) => {
      res.writeHead(503).end();
    });
    await using stack = await startStack(redis.url, { ASSAY_JOB_ATTEMPTS: '3' });
    await stack.startWorker();
    const record = await stack.submit({ challenge: 'simple-api', repoUrl: `${git.server.url}${prefix}` });
    const started = Date.now();
    const final = await stack.waitForFinal(record.id, 60_000);
    expect(final.status).toBe('failed');
    expect(final.error).toMatchObject({ code: 'REPO_UNREACHABLE', fault: 'submission', message: expect.stringMatching(/503/) });
    expect(Date.now() - started).toBeLessThan(20_000);
    // One job attempt with its one retry inside the fetch: the queue did not run it again (a
    // retried platform error would have fetched once per attempt, 3 times here). The history
    // fetch beside it may have sent its own request before the fetch failed.
    expect(final.stages.filter((s) => s.stage === 'fetching'), 'one attempt').toHaveLength(1);
    expect(requestsTo(prefix).length).toBeGreaterThanOrEqual(2);
    expect(requestsTo(prefix).length).toBeLessThanOrEqual(4);
  });
});
