/**
 * Feedback for candidates through the real API on a real Redis: hints on the visible tests that
 * failed (never a hidden test's), the attempt policy (ATTEMPTS_EXHAUSTED, ATTEMPT_COOLDOWN with
 * Retry-After, exactly one winner when many requests race for the last attempt, Idempotency-Key
 * replays and admin reruns not counted) and, with a real worker on Docker and git over HTTP,
 * the capped, redacted tail of a service that fails to start.
 */
import { Redis } from 'ioredis';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiProcess, type ApiProcess } from '../api/wire.ts';
import { buildConfig } from '../runner/config.ts';
import { createLogger } from '../runner/log.ts';
import { eventually } from '../runner/devtools/eventually.ts';
import { startRedis, type TestRedis } from '../runner/devtools/redis.ts';
import { testEnv } from '../runner/devtools/stack.ts';
import { fixtureReport, seedSubmission } from '../runner/devtools/ui-fixture.ts';
import { feedbackChallenges, finishWith, HIDDEN_HINT, type FeedbackChallenges } from './support/feedback-challenges.ts';
import { useGradingStack } from './support/grading.ts';

const ADMIN = 'feedback-admin-key-0123456789';
const REPO = 'https://93.184.215.14/acme/solution.git';

let redis: TestRedis;
let challenges: FeedbackChallenges;
let api: ApiProcess;
let env: Record<string, string>;

beforeAll(async () => {
  redis = await startRedis();
  challenges = await feedbackChallenges({
    'simple-api': {},
    limited: { attempts: { max: 2 } },
    single: { attempts: { max: 1 } },
    cooldown: { attempts: { cooldownSeconds: 2 } },
    bumped: { version: '1.1.0' },
  });
  env = testEnv(redis.url, {
    ASSAY_API_KEYS: `ops:admin:${ADMIN}`,
    ASSAY_CHALLENGES_DIR: challenges.dir,
    ASSAY_LOG_LEVEL: 'silent',
    // Only the attempt policy may refuse here: the other caps are out of the way.
    ASSAY_RATE_LIMIT_PER_MINUTE: '10000',
    ASSAY_MAX_QUEUED_PER_CANDIDATE: '1000',
    ASSAY_MAX_ATTEMPTS: '5',
  });
  api = await createApiProcess(buildConfig({ ...process.env, ...env }), { log: createLogger('silent'), checkEngine: null });
});

afterAll(async () => {
  await api?.close();
  await redis?.stop();
  await challenges?.close();
});

const admin = { Authorization: `Bearer ${ADMIN}` };

function submit(challenge: string, email: string, idempotencyKey?: string) {
  const req = request(api.app).post('/v1/submissions').set(admin);
  if (idempotencyKey) req.set('Idempotency-Key', idempotencyKey);
  return req.send({ challenge, repoUrl: REPO, candidate: { email } });
}

describe('hints', () => {
  it('shows the hint of a visible test that failed, not of one that passed, and nothing of hidden tests', async () => {
    const { record, token } = await seedSubmission(api.store, { challenge: 'simple-api', percent: 40 });
    const res = await request(api.app).get(`/v1/submissions/${record.id}/report`).set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(200);
    const tests = new Map((res.body.tests as { id: string; status: string; hint?: string }[]).map((t) => [t.id, t]));
    expect(tests.get('core.create')).toMatchObject({ status: 'failed', hint: expect.stringContaining('POST /tasks answers 201') });
    expect(tests.get('core.health')?.status).toBe('passed');
    expect(tests.get('core.health')).not.toHaveProperty('hint');
    expect(tests.has('core.created-at-iso')).toBe(false);
    expect(res.text).not.toContain('HIDDEN-HINT');

    // Reviewers read the report as graded: no hints were added to it.
    const full = await request(api.app).get(`/v1/submissions/${record.id}/report`).set(admin);
    expect(full.body.tests.some((t: { hint?: string }) => t.hint !== undefined)).toBe(false);
  });

  it('the HTML candidate page shows the same hint and no hidden hint', async () => {
    const { record, token } = await seedSubmission(api.store, { challenge: 'simple-api', percent: 40, hostile: false });
    const page = await request(api.app).get(`/v1/submissions/${record.id}/report.html`).set('Authorization', `Bearer ${token}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Hint:');
    expect(page.text).toContain('POST /tasks answers 201');
    expect(page.text).not.toContain('HIDDEN-HINT');
  });

  it('a report graded by another version of the challenge gets no hints', async () => {
    const { record, token } = await seedSubmission(api.store, { challenge: 'bumped', percent: 40 }); // graded as 1.0.0, the challenge is now 1.1.0
    const res = await request(api.app).get(`/v1/submissions/${record.id}/report`).set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(200);
    expect(res.body.tests.find((t: { id: string }) => t.id === 'core.create')).toMatchObject({ status: 'failed' });
    expect(res.body.tests.some((t: { hint?: string }) => t.hint !== undefined)).toBe(false);
  });

  it('the challenge detail shows neither hints nor anything of the hidden tests, and states the attempt policy', async () => {
    const res = await request(api.app).get('/v1/challenges/simple-api');
    expect(res.status).toBe(200);
    expect(res.text).not.toContain(HIDDEN_HINT);
    expect(res.text).not.toContain('core.created-at-iso');
    expect(res.body.attempts).toEqual({ max: 5 }); // the operator's default
    expect((await request(api.app).get('/v1/challenges/limited')).body.attempts).toEqual({ max: 2 });
    expect((await request(api.app).get('/v1/challenges/cooldown')).body.attempts).toEqual({ max: 5, cooldownSeconds: 2 });
  });
});

describe('attempt policy', () => {
  it('refuses the attempt after the last with 429 ATTEMPTS_EXHAUSTED (no Retry-After); refused and invalid requests cost none', async () => {
    const email = 'ada@example.com';
    const bad = await request(api.app).post('/v1/submissions').set(admin).send({ challenge: 'limited', repoUrl: 'ftp://example.com/x.git', candidate: { email } });
    expect(bad.status).toBe(422);
    expect((await submit('limited', email)).status).toBe(202);
    expect((await submit('limited', 'ADA@example.com')).status).toBe(202); // the same candidate, in any case
    const refused = await submit('limited', email);
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({ code: 'ATTEMPTS_EXHAUSTED', message: 'this candidate has used all 2 attempts at this challenge', details: { max: 2, used: 2 } });
    expect(refused.headers['retry-after']).toBeUndefined();
    // Per challenge: another challenge is not affected.
    expect((await submit('single', email)).status).toBe(202);
    // Another candidate is not affected.
    expect((await submit('limited', 'grace@example.com')).status).toBe(202);
  });

  it('shows "attempt n of max" in the candidate report', async () => {
    const email = 'linus@example.com';
    await submit('limited', email);
    const second = await submit('limited', email);
    const id = second.body.id as string;
    await finishWith(api.store, id, fixtureReport(id, { challenge: 'limited', hostile: false }));
    const res = await request(api.app).get(`/v1/submissions/${id}/report`).set('Authorization', `Bearer ${second.body.accessToken}`);
    expect(res.body.candidateAttempt).toEqual({ number: 2, max: 2 });
    const page = await request(api.app).get(`/v1/submissions/${id}/report.html`).set('Authorization', `Bearer ${second.body.accessToken}`);
    expect(page.text).toMatch(/data-testid="attempt">2 of 2</);
  });

  it('many parallel requests for the last attempt: exactly one gets it, every time', async () => {
    for (let round = 0; round < 8; round++) {
      const email = `racer-${round}@example.com`;
      expect((await submit('limited', email)).status).toBe(202);
      const answers = await Promise.all(Array.from({ length: 12 }, () => submit('limited', email)));
      const statuses = answers.map((a) => a.status).sort();
      expect(statuses.filter((s) => s === 202), `round ${round}: ${statuses.join(',')}`).toHaveLength(1);
      expect(answers.filter((a) => a.status === 429).every((a) => a.body.error.code === 'ATTEMPTS_EXHAUSTED')).toBe(true);
      expect(statuses.filter((s) => s === 429)).toHaveLength(11);
    }
  });

  it('an Idempotency-Key replay is not a new attempt, also when sent many times at once for the last one', async () => {
    const email = 'idem@example.com';
    const first = await submit('limited', email, 'idem-key-1');
    expect(first.status).toBe(202);
    const replay = await submit('limited', email, 'idem-key-1');
    expect(replay.status).toBe(200);
    expect(replay.body.id).toBe(first.body.id);
    // Seven copies of one request race for the last attempt: one submission, no refusal.
    const copies = await Promise.all(Array.from({ length: 7 }, () => submit('limited', email, 'idem-key-2')));
    expect(copies.map((c) => c.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 202]);
    expect(new Set(copies.map((c) => c.body.id)).size).toBe(1);
    // Both attempts used now; replays still answer.
    expect((await submit('limited', email)).body.error.code).toBe('ATTEMPTS_EXHAUSTED');
    expect((await submit('limited', email, 'idem-key-1')).status).toBe(200);
  });

  it('a submission that could not be queued (503) gives its attempt back', async () => {
    // A second API process on the same keys, as a Redis user that may use every key of Assay's
    // but BullMQ's (<prefix>:bull:*): the record is stored, then the enqueue fails (NOPERM).
    const admin6379 = new Redis(redis.url);
    const prefix = env.ASSAY_KEY_PREFIX!;
    await admin6379.call('ACL', 'SETUSER', 'nobull', 'reset', 'on', '>nobull-password-0123', '+@all', `~${prefix}:[^b]*`, '&*');
    await admin6379.quit();
    const url = new URL(redis.url);
    url.username = 'nobull';
    url.password = 'nobull-password-0123';
    const broken = await createApiProcess(buildConfig({ ...process.env, ...env, REDIS_URL: url.toString() }), { log: createLogger('silent'), checkEngine: null });
    try {
      const email = 'unqueued@example.com';
      const failed = await request(broken.app).post('/v1/submissions').set(admin).send({ challenge: 'single', repoUrl: REPO, candidate: { email } });
      expect(failed.status).toBe(503);
      expect(failed.body.error.code).toBe('UNAVAILABLE');
      expect((await submit('single', email)).status).toBe(202);
      expect((await submit('single', email)).body.error.code).toBe('ATTEMPTS_EXHAUSTED');
    } finally {
      await broken.close().catch(() => undefined); // its BullMQ side never had access
    }
  });

  it('an admin rerun is not an attempt', async () => {
    const email = 'rerun@example.com';
    const made = await submit('single', email);
    const id = made.body.id as string;
    await finishWith(api.store, id, fixtureReport(id, { challenge: 'single', hostile: false }));
    const rerun = await request(api.app).post(`/v1/submissions/${id}/rerun`).set(admin).send({});
    expect(rerun.status).toBe(202);
    expect((await submit('single', email)).body.error.code).toBe('ATTEMPTS_EXHAUSTED');
    // And another candidate's first attempt is unaffected by the rerun.
    expect((await submit('single', 'someone-else@example.com')).status).toBe(202);
  });

  it('refuses an attempt inside the cool-down with 429 ATTEMPT_COOLDOWN and Retry-After, and takes it once the cool-down is over', async () => {
    const email = 'cool@example.com';
    const first = await submit('cooldown', email);
    expect(first.status).toBe(202);
    const firstAt = Date.now();
    const early = await submit('cooldown', email);
    expect(early.status).toBe(429);
    expect(early.body.error.code).toBe('ATTEMPT_COOLDOWN');
    const retryAfter = Number(early.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(2);
    expect(early.body.error.message).toMatch(/^the next attempt at this challenge is allowed in [12] s, at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(2 s between attempts\)$/);
    expect(Date.parse(early.body.error.details.nextAttemptAt)).toBeGreaterThan(firstAt);
    const later = await eventually(
      async () => {
        const res = await submit('cooldown', email);
        if (res.status === 429) expect(res.body.error.code).toBe('ATTEMPT_COOLDOWN');
        return res.status === 202 ? res : undefined;
      },
      { timeoutMs: 6000, intervalMs: 200, message: 'the attempt after the cool-down' },
    );
    expect(Date.now() - firstAt).toBeGreaterThanOrEqual(1900);
    expect(later.status).toBe(202);
    // The accepted attempt starts a new cool-down.
    expect((await submit('cooldown', email)).body.error.code).toBe('ATTEMPT_COOLDOWN');
  });
});

describe('a service that fails to start, graded for real', () => {
  // Its own stack and worker (the API above has none) on this file's Redis.
  const grading = useGradingStack({ redis: () => redis, env: { ASSAY_API_KEYS: `ops:admin:${ADMIN}` } });

  /** Submits `server.js` as a Node service for simple-api; returns the candidate's report once graded. */
  async function gradeService(name: string, serverJs: string): Promise<{ candidate: request.Response; page: request.Response; reviewer: request.Response }> {
    const repo = await grading.git.addRepo(`${name}.git`, { 'package.json': JSON.stringify({ name, version: '1.0.0', private: true, scripts: { start: 'node server.js' } }), 'server.js': serverJs });
    const created = await request(grading.stack.api.app).post('/v1/submissions').set(admin).send({ challenge: 'simple-api', repoUrl: repo.url, ref: 'main' });
    expect(created.status, JSON.stringify(created.body)).toBe(202);
    const final = await grading.stack.waitForFinal(created.body.id as string, 150_000);
    expect(final.status, JSON.stringify(final.error)).toBe('completed');
    const candidate = await request(grading.stack.api.app).get(`/v1/submissions/${final.id}/report`).set('Authorization', `Bearer ${created.body.accessToken}`);
    const page = await request(grading.stack.api.app).get(`/v1/submissions/${final.id}/report.html`).set('Authorization', `Bearer ${created.body.accessToken}`);
    const reviewer = await request(grading.stack.api.app).get(`/v1/submissions/${final.id}/report`).set(admin);
    return { candidate, page, reviewer };
  }

  // Built at run time, so the secrets are only in the service's output, never in the test's source
  // as one string. All on stderr: the engine copies stdout and stderr apart, so their relative
  // order in the captured log is not guaranteed (one stream's order is).
  const SECRETS_JS = `
const token = ['tok', 'live', 'R4nd0mS3cr3tV4lu3'].join('_');
for (let i = 0; i < 300; i++) console.error('boot step ' + i + ' ' + '.'.repeat(60));
console.error(JSON.stringify({ env: process.env }));
console.error('API_TOKEN=' + token);
console.error('using ' + ['gh', 'p_'].join('') + 'A1b2C3d4'.repeat(5));
console.error('DATABASE_URL=postgres://app:' + ['hunter', '2pw'].join('') + '@127.0.0.1:5432/app');
console.error('\\u001b[31mFATAL\\u001b[0m: cannot start <script>alert(1)</script>');
`;

  it('crash at start: the candidate sees the end of its output, capped, with secrets and terminal escapes removed', async () => {
    const { candidate, page, reviewer } = await gradeService('crash-at-start', `${SECRETS_JS}\nprocess.exit(1);\n`);
    expect(candidate.status).toBe(200);
    const start = (candidate.body.steps as { name: string; status: string; reason?: string; logTail?: string }[]).find((s) => s.name === 'start');
    expect(start).toMatchObject({ status: 'failed', reason: 'the service exited with code 1 before accepting connections' });
    const tail = start?.logTail ?? '';
    expect(tail).toContain('FATAL: cannot start <script>alert(1)</script>');
    expect(tail.length).toBeLessThanOrEqual(4002); // CANDIDATE_LOG_TAIL_CHARS plus the "…" line
    expect(tail.startsWith('…\n')).toBe(true); // the start of the output was cut off
    expect(tail).not.toContain('boot step 0 ');
    expect(tail).toContain('API_TOKEN=[redacted]');
    for (const secret of ['R4nd0mS3cr3tV4lu3', 'hunter2pw', 'ghp_', '\u001b']) expect(tail).not.toContain(secret);
    expect(candidate.body.tests.every((t: { status: string }) => t.status !== 'passed')).toBe(true);
    // The HTML page shows the same tail, escaped.
    expect(page.status).toBe(200);
    expect(page.text).toContain('<pre class="log-tail">…');
    expect(page.text).toContain('FATAL: cannot start &lt;script&gt;alert(1)&lt;/script&gt;');
    for (const secret of ['R4nd0mS3cr3tV4lu3', 'hunter2pw', '<script>alert(1)']) expect(page.text).not.toContain(secret);
    // The reviewer's report keeps the whole (capped) log.
    const reviewerLog = (reviewer.body.steps as { name: string; log?: { text: string } }[]).find((s) => s.name === 'start')?.log?.text ?? '';
    expect(reviewerLog).toContain('boot step 0 ');
  }, 200_000);

  it('never listens: the start timeout also shows the tail', async () => {
    const { candidate } = await gradeService('never-listens', `console.log('PGPASSWORD=' + ['s3', 'cr3t', 'pg'].join(''));\nconsole.log('waiting for a config that never comes');\nsetInterval(() => {}, 1000);\n`);
    const start = (candidate.body.steps as { name: string; status: string; reason?: string; logTail?: string }[]).find((s) => s.name === 'start');
    expect(start?.status).toBe('failed');
    expect(start?.reason).toMatch(/8080/);
    expect(start?.logTail).toContain('waiting for a config that never comes');
    expect(start?.logTail).toContain('PGPASSWORD=[redacted]');
    expect(start?.logTail).not.toContain('s3cr3tpg');
  }, 200_000);
});
