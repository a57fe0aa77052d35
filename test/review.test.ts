/**
 * Reviews through the real API (createApiProcess, supertest and a second API process for races)
 * on a real Redis: the rubric form of the body, versions, the ETag / If-Match rules (428, 412),
 * concurrent writers (exactly one wins), roles, the scores in the reviewer's report, anonymous
 * review, and the signed `review.completed` webhook to a local receiver.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request, { type Response } from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HIDDEN } from '../api/anonymity.ts';
import { createApiProcess, type ApiProcess } from '../api/wire.ts';
import { ChallengeRepository } from '../runner/challenges/repository.ts';
import { buildConfig, type Config } from '../runner/config.ts';
import { createLogger } from '../runner/log.ts';
import { createRedis } from '../runner/store/redis.ts';
import { startWebhookWorker } from '../runner/webhooks/deliver.ts';
import { verifySignature } from '../runner/webhooks/sign.ts';
import { eventually } from '../runner/devtools/eventually.ts';
import { startRedis, type TestRedis } from '../runner/devtools/redis.ts';
import { testEnv } from '../runner/devtools/stack.ts';
import { seedSubmission, type SeedOptions } from '../runner/devtools/ui-fixture.ts';
import { fullReview, reviewChallenges, type ReviewChallenges } from './support/review-challenges.ts';

const KEYS = { admin: 'admin-key-0123456789abcdef', rita: 'reviewer-key-rita-0123456', remy: 'reviewer-key-remy-0123456', submitter: 'submitter-key-0123456789a' };
const SECRET = 'review-webhook-secret-0123456789';
const auth = (key: string) => ({ Authorization: `Bearer ${key}` });
const CANDIDATE = { name: 'Ada Lovelace', email: 'ada@example.com', externalId: 'ats-4711' };

let redis: TestRedis;
let challenges: ReviewChallenges;
let config: Config;
let api: ApiProcess;
let second: ApiProcess;

beforeAll(async () => {
  redis = await startRedis();
  challenges = await reviewChallenges();
  config = buildConfig({
    ...process.env,
    ...testEnv(redis.url, {
      ASSAY_API_KEYS: `ada:admin:${KEYS.admin},rita:reviewer:${KEYS.rita},remy:reviewer:${KEYS.remy},sam:submitter:${KEYS.submitter}`,
      ASSAY_CHALLENGES_DIR: challenges.dir,
      ASSAY_WEBHOOK_SECRET: SECRET,
      ASSAY_WEBHOOK_ALLOW_PRIVATE: 'true',
      ASSAY_LOG_LEVEL: 'silent',
    }),
  });
  const opts = { log: createLogger('silent'), checkEngine: null };
  api = await createApiProcess(config, opts);
  // A second API process on the same Redis and prefix: concurrent writers in separate processes.
  second = await createApiProcess(config, { ...opts, challenges: new ChallengeRepository(config.challengesDir, config.maxima) });
});

afterAll(async () => {
  await api?.close();
  await second?.close();
  await redis?.stop();
  await challenges?.close();
});

const seed = async (opts: SeedOptions = {}) => seedSubmission(api.store, { candidate: CANDIDATE, hostile: false, ...opts });
const put = (id: string, key: string, body: unknown, headers: Record<string, string> = {}, on: ApiProcess = api) => request(on.app).put(`/v1/submissions/${id}/review`).set(auth(key)).set(headers).send(body as object);
const get = (path: string, key: string) => request(api.app).get(path).set(auth(key));

function expectError(res: Response, status: number, code: string): void {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.error.code).toBe(code);
}

describe('PUT and GET /v1/submissions/:id/review', () => {
  it('writes a first review (201, ETag "r1") that GET returns with the scores and the weighted total', async () => {
    const { record } = await seed({ percent: 40 });
    const created = await put(record.id, KEYS.rita, fullReview({}, { note: 'solid work' }));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.headers.etag).toBe('"r1"');
    // 12 of 18 rubric points = 66.7%; automated 42.9% (6 of 14 points); weight 0.3.
    expect(created.body).toMatchObject({ version: 1, status: 'submitted', reviewer: 'rita', role: 'reviewer', rubric: { points: 12, maxPoints: 18, percent: 66.7 }, rubricPercent: 66.7, automatedPercent: 42.9, rubricWeight: 0.3, totalPercent: 50, note: 'solid work' });
    expect(created.body.criteria[0]).toEqual({ id: 'code-structure', title: 'Code structure', maxPoints: 5, points: 4, note: 'routes and storage apart' });
    expect(Date.now() - Date.parse(created.body.updatedAt)).toBeLessThan(60_000);

    const read = await get(`/v1/submissions/${record.id}/review`, KEYS.admin);
    expect(read.status).toBe(200);
    expect(read.headers.etag).toBe('"r1"');
    expect(read.body).toEqual(created.body);

    // The reviewer's report carries the three scores; the candidate's carries none of the review.
    const report = await get(`/v1/submissions/${record.id}/report`, KEYS.rita);
    expect(report.body.review).toMatchObject({ status: 'submitted', version: 1, automatedPercent: 42.9, rubricPercent: 66.7, totalPercent: 50, reviewer: 'rita' });
    expect(report.body.score.percent).toBe(42.9);
  });

  it('keeps every version with who and when; 428 without If-Match, 412 on a stale or weak ETag, 412 on If-None-Match: *', async () => {
    const { record } = await seed();
    expect((await put(record.id, KEYS.rita, fullReview({}, { status: 'draft' }))).status).toBe(201);

    const noHeader = await put(record.id, KEYS.remy, fullReview({ readme: 0 }));
    expectError(noHeader, 428, 'PRECONDITION_REQUIRED');
    expect(noHeader.headers.etag).toBe('"r1"');
    expectError(await put(record.id, KEYS.remy, fullReview(), { 'If-None-Match': '*' }), 412, 'PRECONDITION_FAILED');
    expectError(await put(record.id, KEYS.remy, fullReview(), { 'If-Match': 'W/"r1"' }), 412, 'PRECONDITION_FAILED');

    const second = await put(record.id, KEYS.remy, fullReview({ readme: 0 }), { 'If-Match': '"r1"' });
    expect(second.status).toBe(200);
    expect(second.headers.etag).toBe('"r2"');

    const stale = await put(record.id, KEYS.rita, fullReview({ readme: 1 }), { 'If-Match': '"r1"' });
    expectError(stale, 412, 'PRECONDITION_FAILED');
    expect(stale.headers.etag).toBe('"r2"');
    expect(stale.body.error.details).toMatchObject({ currentEtag: '"r2"', currentVersion: 2, reviewer: 'remy' });

    const third = await put(record.id, KEYS.admin, fullReview({ readme: 1 }), { 'If-Match': '*' });
    expect(third.headers.etag).toBe('"r3"');

    const versions = await get(`/v1/submissions/${record.id}/review/versions`, KEYS.rita);
    expect(versions.status).toBe(200);
    expect(versions.body.items.map((v: { version: number; reviewer: string; status: string }) => [v.version, v.reviewer, v.status])).toEqual([
      [1, 'rita', 'draft'],
      [2, 'remy', 'submitted'],
      [3, 'ada', 'submitted'],
    ]);
    expect(versions.body.items.map((v: { criteria: { points: number }[] }) => v.criteria[3]!.points)).toEqual([3, 0, 1]);
    expect(versions.body.items[2].submittedBy).toEqual(['remy', 'ada']);
  });

  it('refuses bad bodies with a 400 naming the problem, and loses nothing', async () => {
    const { record } = await seed();
    expect((await put(record.id, KEYS.rita, fullReview())).status).toBe(201);
    const base = fullReview();
    const cases: [unknown, RegExp][] = [
      [{ criteria: [...base.criteria, { id: 'style', points: 1 }] }, /not a criterion/],
      [{ criteria: base.criteria.slice(1) }, /missing: code-structure/],
      [{ criteria: base.criteria.map((c) => (c.id === 'readme' ? { ...c, points: 4 } : c)) }, /at most 3 points/],
      [{ criteria: base.criteria.map((c) => (c.id === 'readme' ? { ...c, points: 1.5 } : c)) }, /whole number/],
      [{ ...base, note: 'x'.repeat(4001) }, /4000/],
      [{ ...base, status: 'final' }, /status/],
      [{ ...base, reviewer: 'someone else' }, /reviewer|unrecognized/i],
    ];
    for (const [body, message] of cases) {
      const res = await put(record.id, KEYS.rita, body, { 'If-Match': '"r1"' });
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(JSON.stringify(res.body.error), JSON.stringify(body).slice(0, 100)).toMatch(message);
    }
    expectError(await put(record.id, KEYS.rita, base, { 'If-None-Match': '"r1"' }), 400, 'BAD_REQUEST');
    const versions = await get(`/v1/submissions/${record.id}/review/versions`, KEYS.rita);
    expect(versions.body.items).toHaveLength(1);
  });

  it('takes every note at its longest, in any script (a body far over the API\'s usual 32 KB), and refuses one over 256 KB (413)', async () => {
    const { record } = await seed();
    const long = '€'.repeat(4000); // 12 KB of UTF-8 each
    const body = { ...fullReview(), note: long, criteria: fullReview().criteria.map((c) => ({ ...c, note: long })) };
    const res = await put(record.id, KEYS.rita, body);
    expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(201);
    expect(res.body.criteria.every((c: { note: string }) => c.note === long)).toBe(true);
    expectError(await put(record.id, KEYS.rita, { ...body, padding: 'x'.repeat(300 * 1024) }, { 'If-Match': '"r1"' }), 413, 'PAYLOAD_TOO_LARGE');
  });

  it('reviews only completed submissions of challenges with a rubric (409), and 404s what does not exist', async () => {
    const { record: queued } = await seed({ status: 'queued' });
    expectError(await put(queued.id, KEYS.rita, fullReview()), 409, 'NOT_REVIEWABLE');
    const { record: running } = await seed({ status: 'running' });
    expectError(await put(running.id, KEYS.rita, fullReview()), 409, 'NOT_REVIEWABLE');
    const { record: plain } = await seed({ challenge: 'norubric-api' });
    const noRubric = await put(plain.id, KEYS.rita, fullReview());
    expectError(noRubric, 409, 'NOT_REVIEWABLE');
    expect(noRubric.body.error.message).toMatch(/no rubric/);
    // No rubric: the report has no review scores at all.
    expect('review' in (await get(`/v1/submissions/${plain.id}/report`, KEYS.rita)).body).toBe(false);
    expectError(await put('no-such-id', KEYS.rita, fullReview()), 404, 'NOT_FOUND');
    expectError(await get('/v1/submissions/no-such-id/review', KEYS.rita), 404, 'NOT_FOUND');
    const { record } = await seed();
    expectError(await get(`/v1/submissions/${record.id}/review`, KEYS.rita), 404, 'NOT_FOUND');
    expect((await get(`/v1/submissions/${record.id}/review/versions`, KEYS.rita)).body).toEqual({ items: [] });
    expect((await get(`/v1/submissions/${record.id}/report`, KEYS.rita)).body.review).toBeNull();
  });

  it('lets only reviewer and admin keys read or write reviews; candidates never see the review', async () => {
    const { record, token } = await seed();
    expect((await put(record.id, KEYS.rita, fullReview({}, { note: 'reviewer-only note' }))).status).toBe(201);
    expectError(await put(record.id, KEYS.submitter, fullReview(), { 'If-Match': '"r1"' }), 403, 'FORBIDDEN');
    expectError(await get(`/v1/submissions/${record.id}/review`, KEYS.submitter), 403, 'FORBIDDEN');
    expectError(await get(`/v1/submissions/${record.id}/review/versions`, KEYS.submitter), 403, 'FORBIDDEN');
    expectError(await put(record.id, token, fullReview(), { 'If-Match': '"r1"' }), 401, 'UNAUTHENTICATED');
    expectError(await get(`/v1/submissions/${record.id}/review`, token), 401, 'UNAUTHENTICATED');
    expectError(await request(api.app).put(`/v1/submissions/${record.id}/review`).send(fullReview()), 401, 'UNAUTHENTICATED');
    const candidate = await get(`/v1/submissions/${record.id}/report`, token);
    expect(candidate.status).toBe(200);
    expect(candidate.body.review).toBeUndefined();
    expect(JSON.stringify(candidate.body)).not.toContain('reviewer-only note');
    expect((await get(`/v1/submissions/${record.id}/review/versions`, KEYS.rita)).body.items).toHaveLength(1);
  });
});

describe('concurrent writers', () => {
  it('of two PUTs with the same If-Match, sent to two API processes at once, exactly one wins (40 rounds)', async () => {
    const { record } = await seed();
    expect((await put(record.id, KEYS.rita, fullReview())).status).toBe(201);
    for (let round = 1; round <= 40; round++) {
      const etag = `"r${round}"`;
      const [a, b] = await Promise.all([put(record.id, KEYS.rita, fullReview({ readme: 1 }), { 'If-Match': etag }), put(record.id, KEYS.remy, fullReview({ readme: 2 }), { 'If-Match': etag }, second)]);
      expect([a.status, b.status].sort(), `round ${round}`).toEqual([200, 412]);
      const winner = a.status === 200 ? a : b;
      expect(winner.headers.etag).toBe(`"r${round + 1}"`);
      expect((a.status === 412 ? a : b).body.error.details.currentEtag).toBe(`"r${round + 1}"`);
    }
    const versions = await get(`/v1/submissions/${record.id}/review/versions`, KEYS.admin);
    expect(versions.body.items.map((v: { version: number }) => v.version)).toEqual(Array.from({ length: 41 }, (_, i) => i + 1));
  });

  it('of two first reviews sent at once, exactly one is created (20 rounds each with If-None-Match: * and without a header)', async () => {
    for (let round = 0; round < 40; round++) {
      const { record } = await seed();
      const create: Record<string, string> = round % 2 === 0 ? { 'If-None-Match': '*' } : {};
      const [a, b] = await Promise.all([put(record.id, KEYS.rita, fullReview(), create), put(record.id, KEYS.remy, fullReview(), create, second)]);
      const [won, lost] = a.status === 201 ? [a, b] : [b, a];
      expect(won.status, `round ${round}`).toBe(201);
      // The loser read the new review (428 without a header) or lost the compare-and-swap (412).
      expect(round % 2 === 0 ? [412] : [412, 428], `round ${round}`).toContain(lost.status);
      expect((await get(`/v1/submissions/${record.id}/review/versions`, KEYS.admin)).body.items).toHaveLength(1);
    }
  });
});

describe('anonymous review', () => {
  const identity = (body: unknown) => {
    const s = JSON.stringify(body);
    return ['Ada Lovelace', 'ada@example.com', 'ats-4711', '93.184.215.14/acme/solution'].filter((needle) => s.includes(needle));
  };

  it('hides the candidate, repository and commit from a reviewer until they submit their review; admins always see them', async () => {
    const { record, report } = await seed({ challenge: 'anon-api', callbackUrl: 'http://127.0.0.1:9/hook?candidate=ats-4711' });
    const paths = [`/v1/submissions/${record.id}`, `/v1/submissions/${record.id}/report`, '/v1/submissions?challenge=anon-api'];
    for (const path of paths) {
      const seen = await get(path, KEYS.rita);
      expect(seen.status).toBe(200);
      expect(identity(seen.body), path).toEqual([]);
      expect(JSON.stringify(seen.body)).not.toContain(report!.commit!);
      expect(identity((await get(path, KEYS.admin)).body).length, path).toBeGreaterThan(0);
    }
    const view = (await get(`/v1/submissions/${record.id}`, KEYS.rita)).body;
    expect(view).toMatchObject({ repoUrl: HIDDEN, ref: HIDDEN });
    expect(view.candidate).toBeUndefined();
    expect(view.commit).toBeUndefined();
    expect(view.callbackUrl).toBeUndefined();
    const hiddenReport = (await get(`/v1/submissions/${record.id}/report`, KEYS.rita)).body;
    expect(hiddenReport).toMatchObject({ repoUrl: HIDDEN, ref: HIDDEN, commit: null });
    // The report's content is otherwise intact.
    expect(hiddenReport.tests).toHaveLength(report!.tests.length);

    // A draft does not reveal anything; submitting does, to that reviewer only.
    expect((await put(record.id, KEYS.rita, fullReview({}, { status: 'draft' }))).status).toBe(201);
    expect(identity((await get(`/v1/submissions/${record.id}`, KEYS.rita)).body)).toEqual([]);
    expect((await put(record.id, KEYS.rita, fullReview(), { 'If-Match': '"r1"' })).status).toBe(200);
    for (const path of paths) expect(identity((await get(path, KEYS.rita)).body).length, path).toBeGreaterThan(0);
    expect((await get(`/v1/submissions/${record.id}`, KEYS.rita)).body).toMatchObject({ repoUrl: record.repoUrl, candidate: CANDIDATE, commit: report!.commit });
    for (const path of paths) expect(identity((await get(path, KEYS.remy)).body), path).toEqual([]);
    // The weighted total uses the challenge's weight (0.5): automated 42.9%, rubric 66.7%.
    expect((await get(`/v1/submissions/${record.id}/report`, KEYS.remy)).body.review).toMatchObject({ rubricWeight: 0.5, totalPercent: 54.8 });
  });

  it('shows reviewers of a challenge that is not anonymous everything', async () => {
    const { record } = await seed();
    expect((await get(`/v1/submissions/${record.id}`, KEYS.rita)).body.candidate).toEqual(CANDIDATE);
  });
});

describe('review.completed webhook', () => {
  it('is sent, signed, when a review is submitted (not for a draft), with the scores and without the notes', async () => {
    const hits: { body: string; headers: http.IncomingHttpHeaders }[] = [];
    const receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        hits.push({ body: Buffer.concat(chunks).toString('utf8'), headers: req.headers });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/assay`;
    const connection = createRedis(config, 'bullmq');
    const worker = startWebhookWorker({ config, store: api.store, connection, log: createLogger('silent') });
    try {
      const { record } = await seed({ callbackUrl: url });
      const noHook = await seed();
      expect((await put(noHook.record.id, KEYS.rita, fullReview())).status).toBe(201);
      expect((await put(record.id, KEYS.rita, fullReview({}, { status: 'draft', note: 'private draft note' }))).status).toBe(201);
      expect((await put(record.id, KEYS.remy, fullReview({ readme: 0 }, { note: 'private final note' }), { 'If-Match': '"r1"' })).status).toBe(200);

      const hit = await eventually(() => hits[0], { timeoutMs: 20_000, message: 'a review.completed delivery' });
      expect(verifySignature(SECRET, hit.body, hit.headers['assay-signature'] as string).ok).toBe(true);
      expect(verifySignature('another-secret-0123456789', hit.body, hit.headers['assay-signature'] as string).ok).toBe(false);
      const body = JSON.parse(hit.body);
      expect(body).toMatchObject({
        event: 'review.completed',
        id: record.id,
        challenge: 'simple-api',
        review: { version: 2, reviewer: 'remy', rubric: { points: 9, maxPoints: 18, percent: 50 }, rubricWeight: 0.3, automatedPercent: 42.9, totalPercent: 45 },
        links: { review: expect.stringMatching(new RegExp(`/v1/submissions/${record.id}/review$`)) },
      });
      expect(body.review.criteria).toHaveLength(4);
      expect(hit.body).not.toMatch(/private (draft|final) note|routes and storage apart/);
      const deliveries = await eventually(async () => (await api.store.get(record.id))?.webhookDeliveries.filter((d) => d.ok), { message: 'the recorded delivery' });
      expect(deliveries).toMatchObject([{ ok: true, status: 204, event: 'review.completed' }]);
      // One submitted version, one delivery: the draft sent nothing.
      expect(hits).toHaveLength(1);
    } finally {
      await worker.close();
      connection.disconnect();
      receiver.closeAllConnections();
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    }
  });
});

describe('OpenAPI', () => {
  it('documents the review endpoints and their errors', async () => {
    const doc = (await request(api.app).get('/openapi.json')).body;
    const path = doc.paths['/v1/submissions/{id}/review'];
    expect(Object.keys(path).sort()).toEqual(['get', 'put']);
    expect(Object.keys(path.put.responses)).toEqual(expect.arrayContaining(['200', '201', '400', '403', '404', '409', '412', '428']));
    expect(doc.paths['/v1/submissions/{id}/review/versions'].get).toBeDefined();
    expect(doc.components.schemas.Review).toBeDefined();
  });
});
