/**
 * The HTTP API on a real Redis (testcontainers) with the real store, queue and challenge
 * repository, through supertest (no port). Every error status is produced by a real bad input.
 * No grading worker runs here: created submissions stay queued (see api-e2e.test.ts for grading).
 */
import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request, { type Response } from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiProcess, type ApiProcess } from '../api/wire.ts';
import { buildConfig } from '../runner/config.ts';
import { createLogger } from '../runner/log.ts';
import { createRedis } from '../runner/store/redis.ts';
import type { WebhookDelivery } from '../runner/store/submissions.ts';
import { startWebhookWorker } from '../runner/webhooks/deliver.ts';
import { verifySignature } from '../runner/webhooks/sign.ts';
import { eventually } from '../runner/devtools/eventually.ts';
import { startRedis, type TestRedis } from '../runner/devtools/redis.ts';
import { testEnv } from '../runner/devtools/stack.ts';
import { seedSubmission, XSS } from '../runner/devtools/ui-fixture.ts';

const KEYS = { admin: 'admin-key-0123456789abcdef', reviewer: 'reviewer-key-0123456789ab', submitter: 'submitter-key-0123456789a' };
const API_KEYS = `ada:admin:${KEYS.admin},rita:reviewer:${KEYS.reviewer},sam:submitter:${KEYS.submitter}`;
/** A public IP literal: passes the fetch policy without any DNS lookup (nothing is fetched here). */
const REPO = 'https://93.184.215.14/acme/solution.git';
const auth = (key: string) => ({ Authorization: `Bearer ${key}` });

let redis: TestRedis;
const apps: ApiProcess[] = [];

/**
 * An API process wired as api/main.ts wires it (createApiProcess), with the real engine check:
 * a ping of DOCKER_HOST (override DOCKER_HOST to point it at an engine that is not there).
 */
async function makeApp(overrides: Record<string, string> = {}, opts: { redisUrl?: string } = {}): Promise<ApiProcess> {
  const config = buildConfig({
    ...process.env,
    ...testEnv(opts.redisUrl ?? redis.url, {
      ASSAY_FETCH_ALLOW_HTTP: 'false',
      ASSAY_FETCH_ALLOW_PRIVATE: 'false',
      ASSAY_API_KEYS: API_KEYS,
      ASSAY_RATE_LIMIT_PER_MINUTE: '1000',
      ASSAY_MAX_QUEUED_PER_CANDIDATE: '100',
      ASSAY_READYZ_DOCKER: 'true',
      ASSAY_LOG_LEVEL: 'silent',
      ...overrides,
    }),
  });
  // A deliberately unreachable Redis (the readiness test) reports its errors to this logger, not the console.
  const api = await createApiProcess(config, { log: createLogger('silent') });
  apps.push(api);
  return api;
}

/** What every response must be, whatever its status: no stack trace or source path, nosniff, and an error body with a code and a message. */
function expectSafeResponse(res: Response): void {
  const what = `${res.status} ${(res.text ?? '').slice(0, 200)}`;
  // A stack frame, a source position or a path into node_modules (the word alone is fine: the
  // OpenAPI document describes committed node_modules in the hygiene insights).
  expect(res.text ?? '', what).not.toMatch(/\n\s+at \S+ \(|\.ts:\d+:\d+|node_modules\/[^\s"]+:\d+/);
  expect(res.headers['x-content-type-options'], what).toBe('nosniff');
  if (res.status >= 400 && res.headers['content-type']?.includes('json')) expect(Object.keys(res.body.error ?? {}), what).toEqual(expect.arrayContaining(['code', 'message']));
}

/** Sends the request and checks the response is safe (expectSafeResponse) before the test looks at it. */
async function call(test: request.Test): Promise<Response> {
  const res = await test;
  expectSafeResponse(res);
  return res;
}

function expectError(res: Response, status: number, code: string): void {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.headers['content-type']).toMatch(/application\/json/);
  expect(res.body.error.code).toBe(code);
  expect(typeof res.body.error.message).toBe('string');
}

let main: ApiProcess;
let seq = 0;
const body = (extra: Record<string, unknown> = {}) => ({ challenge: 'simple-api', repoUrl: REPO, candidate: { email: `cand${++seq}@example.com` }, ...extra });

beforeAll(async () => {
  redis = await startRedis();
  main = await makeApp();
});
afterAll(async () => {
  for (const a of apps) await a.close();
  await redis?.stop();
});

describe('health, readiness, metrics', () => {
  it('healthz and readyz answer 200 when Redis and Docker answer', async () => {
    expect((await call(request(main.app).get('/healthz'))).body).toEqual({ status: 'ok' });
    const ready = await call(request(main.app).get('/readyz'));
    expect(ready.status).toBe(200);
    expect(ready.body.checks.redis.ok).toBe(true);
    expect(ready.body.checks.docker.ok).toBe(true);
  });

  it('readyz is 503 and says which dependency failed and why', async () => {
    const broken = await makeApp({ DOCKER_HOST: 'tcp://127.0.0.1:1' }, { redisUrl: 'redis://127.0.0.1:1' });
    const res = await call(request(broken.app).get('/readyz'));
    expect(res.status).toBe(503);
    expect(res.body.status).toBe('not_ready');
    expect(res.body.checks.redis).toMatchObject({ ok: false });
    expect(res.body.checks.docker).toMatchObject({ ok: false });
    expect(res.body.checks.docker.error).toMatch(/ECONNREFUSED/);
    expect(res.body.error.code).toBe('NOT_READY');
    expect(res.body.error.message).toMatch(/redis: .*docker: /);
  });

  it('metrics expose queue depth, created submissions and request durations from the app\'s own registry', async () => {
    await call(request(main.app).post('/v1/submissions').set(auth(KEYS.submitter)).send(body()));
    const res = await call(request(main.app).get('/metrics'));
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/assay_queue_jobs\{state="waiting"\} [1-9]/);
    expect(res.text).toMatch(/assay_submissions_created_total\{challenge="simple-api"\} [1-9]/);
    expect(res.text).toMatch(/assay_http_request_duration_seconds_count\{route="\/v1\/submissions",method="POST",status="202"\} [1-9]/);
  });
});

describe('authentication and roles', () => {
  it('401 without credentials, with a malformed header and with an unknown key', async () => {
    expectError(await call(request(main.app).get('/v1/submissions')), 401, 'UNAUTHENTICATED');
    expectError(await call(request(main.app).get('/v1/submissions').set('Authorization', 'Basic YWxhZGRpbjpvcGVu')), 401, 'UNAUTHENTICATED');
    expectError(await call(request(main.app).get('/v1/submissions').set(auth('not-a-key-0123456789'))), 401, 'UNAUTHENTICATED');
    expectError(await call(request(main.app).post('/v1/submissions').send(body())), 401, 'UNAUTHENTICATED');
  });

  it('403 for the wrong role', async () => {
    expectError(await call(request(main.app).get('/v1/submissions').set(auth(KEYS.submitter))), 403, 'FORBIDDEN');
    expectError(await call(request(main.app).post('/v1/submissions').set(auth(KEYS.reviewer)).send(body())), 403, 'FORBIDDEN');
    const { record } = await seedSubmission(main.store);
    expectError(await call(request(main.app).post(`/v1/submissions/${record.id}/rerun`).set(auth(KEYS.reviewer))), 403, 'FORBIDDEN');
    expectError(await call(request(main.app).post(`/v1/submissions/${record.id}/cancel`).set(auth(KEYS.reviewer))), 403, 'FORBIDDEN');
  });

  it('open submissions accept anonymous creation but still refuse a bad key', async () => {
    const open = await makeApp({ ASSAY_OPEN_SUBMISSIONS: 'true' });
    const res = await call(request(open.app).post('/v1/submissions').send(body()));
    expect(res.status).toBe(202);
    expectError(await call(request(open.app).post('/v1/submissions').set(auth('wrong-key-0123456789')).send(body())), 401, 'UNAUTHENTICATED');
  });
});

describe('POST /v1/submissions', () => {
  it('creates a queued submission, stores only the token hash and enqueues the job', async () => {
    const res = await call(request(main.app).post('/v1/submissions').set(auth(KEYS.submitter)).send(body({ ref: 'main', candidate: { name: 'Ann', email: 'ann@example.com' } })));
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'queued', links: { self: expect.stringContaining(`/v1/submissions/${res.body.id}`) } });
    expect(res.body.accessToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(res.headers.location).toBe(res.body.links.self);
    const record = await main.store.get(res.body.id);
    expect(record).toMatchObject({ status: 'queued', stage: 'queued', runs: 1, reportRuns: [], webhookDeliveries: [], ref: 'main', submittedBy: 'sam' });
    expect(record!.accessTokenHash).toBe(createHash('sha256').update(res.body.accessToken).digest('hex'));
    expect(JSON.stringify(record)).not.toContain(res.body.accessToken);
    expect(await main.queue.grading.getJob(res.body.id)).toBeDefined();

    const asCandidate = await call(request(main.app).get(`/v1/submissions/${res.body.id}`).set(auth(res.body.accessToken)));
    expect(asCandidate.status).toBe(200);
    expect(asCandidate.body).toMatchObject({ id: res.body.id, status: 'queued', challenge: 'simple-api', repoUrl: REPO, ref: 'main' });
    expect(asCandidate.body.candidate).toBeUndefined();
    expect(asCandidate.body.stages).toBeUndefined();
    const asReviewer = await call(request(main.app).get(`/v1/submissions/${res.body.id}`).set(auth(KEYS.reviewer)));
    expect(asReviewer.body).toMatchObject({ candidate: { name: 'Ann' }, runs: 1, stages: [{ stage: 'queued' }], webhookDeliveries: [] });
  });

  it('400 for unknown fields, missing fields, malformed JSON and a bad Idempotency-Key', async () => {
    const post = () => request(main.app).post('/v1/submissions').set(auth(KEYS.submitter));
    const unknown = await call(post().send(body({ priority: 'high' })));
    expectError(unknown, 400, 'VALIDATION_FAILED');
    expect(unknown.body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'body' })]));
    expectError(await call(post().send({ repoUrl: REPO })), 400, 'VALIDATION_FAILED');
    expectError(await call(post().send(body({ candidate: { email: 'not-an-email' } }))), 400, 'VALIDATION_FAILED');
    expectError(await call(post().set('Content-Type', 'application/json').send('{"challenge": "simple-api",')), 400, 'MALFORMED_JSON');
    expectError(await call(post().set('Idempotency-Key', 'a'.repeat(300)).send(body())), 400, 'VALIDATION_FAILED');
    expectError(await call(post().send([1, 2])), 400, 'VALIDATION_FAILED');
  });

  it('413 for a body over 32 KB and 415 for a non-JSON body', async () => {
    const big = await call(request(main.app).post('/v1/submissions').set(auth(KEYS.submitter)).send(body({ candidate: { name: 'x'.repeat(40_000) } })));
    expectError(big, 413, 'PAYLOAD_TOO_LARGE');
    const text = await call(request(main.app).post('/v1/submissions').set(auth(KEYS.submitter)).set('Content-Type', 'text/plain').send('challenge=simple-api'));
    expectError(text, 415, 'UNSUPPORTED_MEDIA_TYPE');
    const form = await call(request(main.app).post('/v1/submissions').set(auth(KEYS.submitter)).type('form').send({ challenge: 'simple-api' }));
    expectError(form, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('422 for disallowed repository URLs, bad refs, unknown challenges and private callbacks, before anything is stored or queued', async () => {
    const before = await main.queue.depth();
    const post = (b: Record<string, unknown>) => call(request(main.app).post('/v1/submissions').set(auth(KEYS.submitter)).send(body(b)));
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ repoUrl: 'file:///etc/passwd' }, 'URL_REJECTED', /file/],
      [{ repoUrl: 'http://127.0.0.1/acme/x.git' }, 'URL_REJECTED', /scheme/],
      [{ repoUrl: 'https://127.0.0.1/acme/x.git' }, 'URL_REJECTED', /private, loopback/],
      [{ repoUrl: 'https://[::ffff:10.0.0.1]/acme/x.git' }, 'URL_REJECTED', /private/],
      [{ repoUrl: 'https://user:secret@93.184.215.14/acme/x.git' }, 'URL_REJECTED', /credentials/],
      [{ repoUrl: 'ext::sh -c touch% /tmp/pwned' }, 'URL_REJECTED', /not allowed/],
      [{ ref: '--upload-pack=touch /tmp/x' }, 'REF_INVALID', /ref is not valid/],
      [{ ref: 'main..dev' }, 'REF_INVALID', /\.\./],
      [{ challenge: 'no-such-challenge' }, 'UNKNOWN_CHALLENGE', /no such challenge/],
      [{ callbackUrl: 'https://169.254.169.254/latest/meta-data' }, 'CALLBACK_REJECTED', /private/],
      [{ callbackUrl: 'http://93.184.215.14/hook' }, 'CALLBACK_REJECTED', /scheme/],
      [{ callbackUrl: 'file:///etc/passwd' }, 'CALLBACK_REJECTED', /scheme/],
    ];
    for (const [b, code, reason] of cases) {
      const res = await post(b);
      expectError(res, 422, code);
      expect(res.body.error.message).toMatch(reason);
    }
    expect(await main.queue.depth()).toEqual(before);
  });

  it('honours Idempotency-Key: the same key returns the same submission; a different request with it is a 409', async () => {
    const key = randomUUID();
    const b = body();
    const first = await call(request(main.app).post('/v1/submissions').set(auth(KEYS.submitter)).set('Idempotency-Key', key).send(b));
    const again = await call(request(main.app).post('/v1/submissions').set(auth(KEYS.submitter)).set('Idempotency-Key', key).send(b));
    expect(first.status).toBe(202);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    expect(again.body.accessToken).toBeUndefined();
    const other = await call(request(main.app).post('/v1/submissions').set(auth(KEYS.submitter)).set('Idempotency-Key', key).send(body({ ref: 'other' })));
    expectError(other, 409, 'IDEMPOTENCY_MISMATCH');
    // Keys are scoped per API key: another caller's same key creates its own submission.
    const admin = await call(request(main.app).post('/v1/submissions').set(auth(KEYS.admin)).set('Idempotency-Key', key).send(b));
    expect(admin.status).toBe(202);
    expect(admin.body.id).not.toBe(first.body.id);
  });

  it('429 with Retry-After beyond the per-minute rate limit', async () => {
    const limited = await makeApp({ ASSAY_RATE_LIMIT_PER_MINUTE: '3' });
    const statuses: number[] = [];
    let limitedRes: Response | undefined;
    // 7 > 2 windows x 3: a 429 is certain even if a minute boundary passes mid-loop.
    for (let i = 0; i < 7; i++) {
      const res = await call(request(limited.app).post('/v1/submissions').set(auth(KEYS.submitter)).send(body()));
      statuses.push(res.status);
      if (res.status === 429) limitedRes ??= res;
    }
    expect(statuses).toContain(202);
    expect(limitedRes).toBeDefined();
    expectError(limitedRes!, 429, 'RATE_LIMITED');
    expect(Number(limitedRes!.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('429 beyond the cap of unfinished submissions per candidate; a finished one frees a place', async () => {
    const capped = await makeApp({ ASSAY_MAX_QUEUED_PER_CANDIDATE: '2' });
    const who = { candidate: { email: 'busy@example.com' } };
    const a = await call(request(capped.app).post('/v1/submissions').set(auth(KEYS.submitter)).send(body(who)));
    const b = await call(request(capped.app).post('/v1/submissions').set(auth(KEYS.submitter)).send(body(who)));
    expect([a.status, b.status]).toEqual([202, 202]);
    const third = await call(request(capped.app).post('/v1/submissions').set(auth(KEYS.submitter)).send(body({ candidate: { email: 'BUSY@example.com' } })));
    expectError(third, 429, 'TOO_MANY_QUEUED');
    expect(await capped.store.get(third.body.id ?? 'none')).toBeUndefined();
    const other = await call(request(capped.app).post('/v1/submissions').set(auth(KEYS.submitter)).send(body({ candidate: { email: 'idle@example.com' } })));
    expect(other.status).toBe(202);
    expect((await call(request(capped.app).post(`/v1/submissions/${a.body.id}/cancel`).set(auth(KEYS.admin)))).status).toBe(202);
    const fourth = await call(request(capped.app).post('/v1/submissions').set(auth(KEYS.submitter)).send(body(who)));
    expect(fourth.status).toBe(202);
  });
});

describe('reading submissions and reports', () => {
  it('a candidate token opens only its own submission; anything else is 404', async () => {
    const mine = await seedSubmission(main.store);
    const theirs = await seedSubmission(main.store);
    for (const path of [`/v1/submissions/${theirs.record.id}`, `/v1/submissions/${theirs.record.id}/report`, `/v1/submissions/${theirs.record.id}/report.html`]) {
      const res = await call(request(main.app).get(path).set(auth(mine.token)));
      expect(res.status).toBe(404);
    }
    expectError(await call(request(main.app).get(`/v1/submissions/${randomUUID()}`).set(auth(mine.token))), 404, 'NOT_FOUND');
    expectError(await call(request(main.app).get(`/v1/submissions/${randomUUID()}`).set(auth(KEYS.reviewer))), 404, 'NOT_FOUND');
    expectError(await call(request(main.app).get('/v1/submissions/..%2F..%2Fetc').set(auth(KEYS.reviewer))), 404, 'NOT_FOUND');
    expect((await call(request(main.app).get(`/v1/submissions/${mine.record.id}`).set(auth(mine.token)))).status).toBe(200);
    // Submitters see only what they created.
    expectError(await call(request(main.app).get(`/v1/submissions/${mine.record.id}`).set(auth(KEYS.submitter))), 404, 'NOT_FOUND');
  });

  it('candidates get the candidate view of the report: no hidden tests, no logs, no runner details; the total score stays', async () => {
    const { record, token, report } = await seedSubmission(main.store);
    const cand = await call(request(main.app).get(`/v1/submissions/${record.id}/report`).set(auth(token)));
    expect(cand.status).toBe(200);
    expect(cand.body.score).toEqual(report!.score);
    expect(cand.body.tests.map((t: { id: string }) => t.id)).toEqual(['core.health', 'core.create', 'validation.missing-title']);
    expect(cand.body.hiddenTests).toEqual({ count: 1, maxPoints: 3 });
    expect(cand.text).not.toContain('core.created-at-iso');
    expect(cand.text).not.toContain('hidden detail');
    expect(cand.text).not.toContain('listening on 8080');
    expect(cand.body.runner).toBeUndefined();
    expect(cand.body.flags).toEqual([{ code: 'files_dropped' }]);
    expect(cand.body.challenge.suiteHash).toBeUndefined();

    const rev = await call(request(main.app).get(`/v1/submissions/${record.id}/report`).set(auth(KEYS.reviewer)));
    expect(rev.body.tests).toHaveLength(4);
    expect(rev.body.steps[2].log.text).toContain('listening on 8080');

    const page = await call(request(main.app).get(`/v1/submissions/${record.id}/report.html`).set(auth(token)));
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.headers['content-security-policy']).toMatch(/default-src 'none'/);
    expect(page.text).not.toContain('createdAt is an ISO-8601 timestamp');
    expect(page.text).not.toContain(XSS);
    expect(page.text).toContain('&lt;script&gt;window.__pwned=1&lt;/script&gt;');
    expect(page.text).not.toContain('\u001b');

    // The old link form, the token in the query, is refused even with a valid token (proxies and
    // history have already kept the URL), and the answer points to the fragment or the header.
    const inUrl = await call(request(main.app).get(`/v1/submissions/${record.id}/report.html?token=${token}`));
    expect(inUrl.status).toBe(400);
    expect(inUrl.headers['content-type']).toMatch(/text\/html/);
    expect(inUrl.text).toContain('#token=');
    expect(inUrl.text).not.toContain('&lt;script&gt;window.__pwned=1&lt;/script&gt;');
  });

  it('409 while the report does not exist; 404 for a run that never was; 400 for a bad query', async () => {
    const created = await call(request(main.app).post('/v1/submissions').set(auth(KEYS.submitter)).send(body()));
    const res = await call(request(main.app).get(`/v1/submissions/${created.body.id}/report`).set(auth(created.body.accessToken)));
    expectError(res, 409, 'REPORT_NOT_READY');
    expectError(await call(request(main.app).get(`/v1/submissions/${created.body.id}/report?run=5`).set(auth(KEYS.reviewer))), 404, 'NOT_FOUND');
    expectError(await call(request(main.app).get(`/v1/submissions/${created.body.id}/report?run=abc`).set(auth(KEYS.reviewer))), 400, 'VALIDATION_FAILED');
  });

  it('lists with filters, sorting and cursors; rejects bad queries', async () => {
    const list = await makeApp();
    const seeded = [await seedSubmission(list.store, { percent: 20 }), await seedSubmission(list.store, { percent: 90 }), await seedSubmission(list.store, { status: 'queued' })];
    const all = await call(request(list.app).get('/v1/submissions?limit=2').set(auth(KEYS.reviewer)));
    expect(all.status).toBe(200);
    expect(all.body.items).toHaveLength(2);
    expect(all.body.nextCursor).toEqual(expect.any(String));
    const rest = await call(request(list.app).get(`/v1/submissions?limit=2&cursor=${all.body.nextCursor}`).set(auth(KEYS.reviewer)));
    expect([...all.body.items, ...rest.body.items].map((i: { id: string }) => i.id).sort()).toEqual(seeded.map((s) => s.record.id).sort());
    const completed = await call(request(list.app).get('/v1/submissions?status=completed&challenge=simple-api').set(auth(KEYS.admin)));
    expect(completed.body.items).toHaveLength(2);
    // Sorted by score: the two scored submissions, the higher first, in both directions.
    const [low, high] = [seeded[0]!.report!.score.percent, seeded[1]!.report!.score.percent];
    expect(high).toBeGreaterThan(low);
    const byScore = await call(request(list.app).get('/v1/submissions?challenge=simple-api&sort=score&order=desc').set(auth(KEYS.reviewer)));
    expect(byScore.body.items.map((i: { id: string; score: { percent: number } }) => [i.id, i.score.percent])).toEqual([
      [seeded[1]!.record.id, high],
      [seeded[0]!.record.id, low],
    ]);
    const ascending = await call(request(list.app).get('/v1/submissions?challenge=simple-api&sort=score&order=asc').set(auth(KEYS.reviewer)));
    expect(ascending.body.items.map((i: { id: string }) => i.id)).toEqual([seeded[0]!.record.id, seeded[1]!.record.id]);
    for (const q of ['limit=abc', 'limit=0', 'limit=1000', 'status=done', 'sort=score', 'colour=blue', 'cursor=-1', 'challenge=../x', 'status=queued&status=failed']) {
      expectError(await call(request(list.app).get(`/v1/submissions?${q}`).set(auth(KEYS.reviewer))), 400, 'VALIDATION_FAILED');
    }
  });
});

describe('rerun and cancel', () => {
  it('cancels a waiting submission, refuses to cancel a final one, reruns it as a new run', async () => {
    const created = await call(request(main.app).post('/v1/submissions').set(auth(KEYS.submitter)).send(body()));
    const id = created.body.id as string;
    const cancel = await call(request(main.app).post(`/v1/submissions/${id}/cancel`).set(auth(KEYS.admin)));
    expect(cancel.status).toBe(202);
    expect(cancel.body).toEqual({ id, status: 'canceled' });
    expect(await main.queue.grading.getJob(id)).toBeUndefined();
    expect((await main.store.get(id))!.status).toBe('canceled');
    expectError(await call(request(main.app).post(`/v1/submissions/${id}/cancel`).set(auth(KEYS.admin))), 409, 'ALREADY_FINAL');
    expectError(await call(request(main.app).post(`/v1/submissions/${id}/cancel`).set(auth(KEYS.admin)).send({ force: true })), 400, 'VALIDATION_FAILED');
    expectError(await call(request(main.app).post(`/v1/submissions/${randomUUID()}/cancel`).set(auth(KEYS.admin))), 404, 'NOT_FOUND');

    const rerun = await call(request(main.app).post(`/v1/submissions/${id}/rerun`).set(auth(KEYS.admin)).send({ ref: 'feature/x' }));
    expect(rerun.status).toBe(202);
    expect(rerun.body).toMatchObject({ id, status: 'queued', runs: 2, ref: 'feature/x' });
    expect(await main.queue.grading.getJob(`${id}-run2`)).toBeDefined();
    expectError(await call(request(main.app).post(`/v1/submissions/${id}/rerun`).set(auth(KEYS.admin))), 409, 'NOT_FINAL');
    expectError(await call(request(main.app).post(`/v1/submissions/${id}/rerun`).set(auth(KEYS.admin)).set('Content-Type', 'text/plain').send('x')), 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('reruns a completed submission on the same commit and keeps the earlier report', async () => {
    const { record, report } = await seedSubmission(main.store);
    const rerun = await call(request(main.app).post(`/v1/submissions/${record.id}/rerun`).set(auth(KEYS.admin)));
    expect(rerun.status).toBe(202);
    const after = await main.store.get(record.id);
    expect(after).toMatchObject({ status: 'queued', runs: 2, pinnedCommit: report!.commit, reportRuns: [1] });
    expect((await main.store.getReport(record.id, 1))?.submissionId).toBe(record.id);
    expectError(await call(request(main.app).post(`/v1/submissions/${record.id}/rerun`).set(auth(KEYS.admin)).send({ ref: '-x' })), 422, 'REF_INVALID');
  });
});

describe('challenges', () => {
  it('lists challenges and serves the candidate-facing brief with visible tests only', async () => {
    const list = await call(request(main.app).get('/v1/challenges'));
    expect(list.body.items.map((c: { id: string }) => c.id)).toContain('simple-api');
    const res = await call(request(main.app).get('/v1/challenges/simple-api'));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: 'simple-api', kind: 'service', version: '1.0.0' });
    expect(res.body.readme.length).toBeGreaterThan(50);
    expect(res.body.tests.map((t: { id: string }) => t.id)).toContain('core.health');
    expect(res.text).not.toContain('core.created-at-iso');
    expect(res.body.tests.every((t: Record<string, unknown>) => t.visibility === undefined)).toBe(true);
    expect(res.body.hiddenTests.count).toBeGreaterThan(0);
    expect(res.body.maxPoints).toBe(res.body.hiddenTests.points + res.body.tests.reduce((s: number, t: { points: number }) => s + t.points, 0));
    expectError(await call(request(main.app).get('/v1/challenges/nope')), 404, 'NOT_FOUND');
    expectError(await call(request(main.app).get('/v1/challenges/..%2Fetc')), 404, 'NOT_FOUND');
  });
});

describe('OpenAPI document', () => {
  it('is a structurally valid OpenAPI 3.1 document covering every endpoint, with resolvable $refs', async () => {
    const res = await call(request(main.app).get('/openapi.json'));
    expect(res.status).toBe(200);
    const doc = res.body as { openapi: string; info: { title: string; version: string }; paths: Record<string, Record<string, { responses: Record<string, unknown>; parameters?: { name: string; in: string; schema: unknown }[] }>>; components: { schemas: Record<string, unknown> } };
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info.title).toBeTruthy();
    expect(doc.info.version).toBeTruthy();
    const expected = {
      '/v1/submissions': ['post', 'get'],
      '/v1/submissions/{id}': ['get'],
      '/v1/submissions/{id}/report': ['get'],
      '/v1/submissions/{id}/report.html': ['get'],
      '/v1/submissions/{id}/rerun': ['post'],
      '/v1/submissions/{id}/cancel': ['post'],
      '/v1/challenges': ['get'],
      '/v1/challenges/{id}': ['get'],
      '/healthz': ['get'],
      '/readyz': ['get'],
      '/metrics': ['get'],
      '/openapi.json': ['get'],
    };
    for (const [path, methods] of Object.entries(expected)) {
      for (const m of methods) {
        const op = doc.paths[path]?.[m];
        expect(op, `${m} ${path}`).toBeDefined();
        expect(Object.keys(op!.responses).length).toBeGreaterThan(0);
        for (const code of Object.keys(op!.responses)) expect(code).toMatch(/^[1-5]\d\d$/);
        const pathParams = [...path.matchAll(/\{(\w+)\}/g)].map((x) => x[1]);
        for (const p of pathParams) expect(op!.parameters?.some((q) => q.in === 'path' && q.name === p)).toBe(true);
        for (const q of op!.parameters ?? []) expect(['query', 'header', 'path', 'cookie']).toContain(q.in);
      }
    }
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"([^"]+)"/g)].map((x) => x[1]!);
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of refs) {
      expect(ref).toMatch(/^#\/components\/schemas\//);
      expect(doc.components.schemas[ref.split('/').at(-1)!], ref).toBeDefined();
    }
    // Generated from the request schemas: unknown fields are refused in the document too.
    expect(doc.components.schemas.CreateSubmission).toMatchObject({ additionalProperties: false, required: expect.arrayContaining(['challenge', 'repoUrl']) });
  });
});

describe('webhook delivery', () => {
  const SECRET = 'api-test-webhook-secret-0123';

  async function receiver(answer: (n: number) => [number, Record<string, string>?]) {
    const hits: { url: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        hits.push({ url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() });
        const [status, headers] = answer(hits.length);
        res.writeHead(status, headers).end('x'.repeat(100_000));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { hits, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
  }

  async function deliveriesOf(t: ApiProcess, id: string, count: number): Promise<WebhookDelivery[]> {
    return eventually(
      async () => {
        const r = await t.store.get(id);
        if (!r || r.webhookDeliveries.length < count) throw new Error(`${r?.webhookDeliveries.length ?? 'no record, 0'} deliveries recorded`);
        return r.webhookDeliveries;
      },
      { timeoutMs: 20_000, message: `${count} deliveries on submission ${id}` },
    );
  }

  it('does not follow a redirect (a 3xx is a failed attempt), retries, and signs every attempt', async () => {
    const rx = await receiver((n) => (n === 1 ? [302, { Location: '/elsewhere' }] : [200]));
    const t = await makeApp({ ASSAY_WEBHOOK_SECRET: SECRET, ASSAY_WEBHOOK_ALLOW_PRIVATE: 'true' });
    const wconn = createRedis(t.config, 'bullmq');
    const worker = startWebhookWorker({ config: t.config, store: t.store, connection: wconn, log: createLogger('silent') });
    try {
      const { record } = await seedSubmission(t.store, { callbackUrl: `${rx.url}/hook` });
      await t.queue.enqueueWebhook(record.id);
      const d = await deliveriesOf(t, record.id, 2);
      expect(d[0]).toMatchObject({ attempt: 1, ok: false, status: 302, error: expect.stringMatching(/redirects are not followed/) });
      expect(d[1]).toMatchObject({ attempt: 2, ok: true, status: 200 });
      expect(rx.hits.map((h) => h.url)).toEqual(['/hook', '/hook']);
      for (const h of rx.hits) expect(verifySignature(SECRET, h.body, h.headers['assay-signature'] as string).ok).toBe(true);
      expect(rx.hits[0]!.headers['assay-delivery']).not.toBe(rx.hits[1]!.headers['assay-delivery']);
    } finally {
      await worker.close();
      wconn.disconnect();
      await rx.close();
    }
  });

  it('refuses a private callback address at delivery time unless allowed, and never delivers without a secret', async () => {
    const rx = await receiver(() => [200]);
    const strict = await makeApp({ ASSAY_WEBHOOK_SECRET: SECRET, ASSAY_WEBHOOK_ALLOW_PRIVATE: 'false' });
    const unsigned = await makeApp({ ASSAY_WEBHOOK_ALLOW_PRIVATE: 'true' });
    const conns = [strict, unsigned].map((t) => createRedis(t.config, 'bullmq'));
    const workers = [strict, unsigned].map((t, i) => startWebhookWorker({ config: t.config, store: t.store, connection: conns[i]!, log: createLogger('silent') }));
    try {
      const a = await seedSubmission(strict.store, { callbackUrl: `${rx.url}/hook` });
      await strict.queue.enqueueWebhook(a.record.id);
      const b = await seedSubmission(unsigned.store, { callbackUrl: `${rx.url}/hook` });
      await unsigned.queue.enqueueWebhook(b.record.id);
      expect((await deliveriesOf(strict, a.record.id, 1))[0]).toMatchObject({ ok: false, error: expect.stringMatching(/callback URL is not allowed/) });
      expect((await deliveriesOf(unsigned, b.record.id, 1))[0]).toMatchObject({ ok: false, error: expect.stringMatching(/no webhook secret/) });
      expect(rx.hits).toHaveLength(0);
    } finally {
      for (const w of workers) await w.close();
      for (const c of conns) c.disconnect();
      await rx.close();
    }
  });
});

describe('errors', () => {
  it('answers unknown routes with a JSON 404', async () => {
    expectError(await call(request(main.app).get('/v1/nope')), 404, 'NOT_FOUND');
    expectError(await call(request(main.app).delete('/v1/submissions')), 404, 'NOT_FOUND');
  });

  it('never sends a stack trace, and every response carries nosniff, for every status it answers with', async () => {
    const broken = await makeApp({ DOCKER_HOST: 'tcp://127.0.0.1:1' }, { redisUrl: 'redis://127.0.0.1:1' });
    const limited = await makeApp({ ASSAY_RATE_LIMIT_PER_MINUTE: '1' });
    const post = (t: ApiProcess = main) => request(t.app).post('/v1/submissions').set(auth(KEYS.submitter));
    const created = await request(main.app).post('/v1/submissions').set(auth(KEYS.submitter)).send(body());
    // 3 > 2 windows x 1: one of these is a 429 even if a minute boundary passes between them.
    const burst = [await post(limited).send(body()), await post(limited).send(body()), await post(limited).send(body())];
    const responses: Response[] = [
      await request(main.app).get('/healthz'),
      created,
      await post().set('Content-Type', 'application/json').send('{"challenge": "simple-api",'),
      await request(main.app).get('/v1/submissions'),
      await request(main.app).get('/v1/submissions').set(auth(KEYS.submitter)),
      await request(main.app).get(`/v1/submissions/${randomUUID()}`).set(auth(KEYS.reviewer)),
      await request(main.app).get(`/v1/submissions/${created.body.id}/report`).set(auth(KEYS.reviewer)),
      await post().send(body({ candidate: { name: 'x'.repeat(40_000) } })),
      await post().set('Content-Type', 'text/plain').send('challenge=simple-api'),
      await post().send(body({ repoUrl: 'file:///etc/passwd' })),
      burst.find((r) => r.status === 429) ?? burst.at(-1)!,
      await request(broken.app).get('/readyz'),
    ];
    expect(responses.map((r) => r.status)).toEqual([200, 202, 400, 401, 403, 404, 409, 413, 415, 422, 429, 503]);
    for (const res of responses) expectSafeResponse(res);
  });
});
