/**
 * The submission lifecycle (runner/store/lifecycle.ts) on a real Redis (testcontainers): every
 * legal transition and its side indexes, the refused ones, and races between connections
 * (cancel against report, concurrent stage updates, concurrent reruns). Each test has its own
 * key prefix and its own connections. Last, a cancel of a job a worker is running, end to end
 * (real worker, Docker and git over HTTP on loopback).
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildConfig } from '../runner/config.ts';
import { cancelChannel } from '../runner/queue/queue.ts';
import { REPORT_SCHEMA_VERSION, type Report } from '../runner/report/schema.ts';
import { countManaged } from '../runner/sandbox/index.ts';
import { StoreKeys } from '../runner/store/keys.ts';
import { createRedis, type Redis } from '../runner/store/redis.ts';
import { newSubmissionRecord, SubmissionStore, type SubmissionRecord } from '../runner/store/submissions.ts';
import { docker } from '../runner/devtools/env.ts';
import { eventually } from '../runner/devtools/eventually.ts';
import { startGitServer } from '../runner/devtools/git-server.ts';
import { startRedis, type TestRedis } from '../runner/devtools/redis.ts';
import { startStack, testEnv } from '../runner/devtools/stack.ts';

let redis: TestRedis;
const connections: Redis[] = [];

beforeAll(async () => {
  redis = await startRedis();
});

afterEach(async () => {
  for (const c of connections.splice(0)) await c.quit().catch(() => undefined);
});

afterAll(async () => {
  await redis?.stop();
});

/** A fresh key prefix with `n` stores on separate connections (as separate processes would have), and a raw connection. */
function setup(n = 1): { stores: SubmissionStore[]; raw: Redis; keys: StoreKeys } {
  const config = buildConfig({ ...process.env, ...testEnv(redis.url) });
  const conn = () => {
    const c = createRedis(config, 'store');
    connections.push(c);
    return c;
  };
  const stores = Array.from({ length: n }, () => new SubmissionStore(conn(), config.redis.prefix));
  return { stores, raw: conn(), keys: new StoreKeys(config.redis.prefix) };
}

/** Creates a queued record as the API does: counted for its candidate, then stored. */
async function submit(store: SubmissionStore, overrides: { email?: string } = {}): Promise<SubmissionRecord> {
  const record = newSubmissionRecord({
    challenge: 'simple-api',
    repoUrl: 'https://example.com/acme/solution.git',
    ref: 'main',
    candidate: { email: overrides.email ?? `${randomUUID()}@example.com` },
    accessToken: randomUUID(),
  });
  await store.trackCandidate(record);
  await store.create(record);
  return record;
}

function report(id: string, run: number, status: 'completed' | 'failed' = 'completed', percent = 80): Report {
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    submissionId: id,
    attempt: run,
    challenge: { id: 'simple-api', version: '1.0.0', suiteHash: 'ab'.repeat(32) },
    repoUrl: 'https://example.com/acme/solution.git',
    ref: 'main',
    commit: `${run}`.repeat(40).slice(0, 40),
    status,
    runtime: 'node',
    score: { points: percent / 10, maxPoints: 10, percent },
    categories: [],
    tests: [],
    steps: [],
    flags: [],
    ...(status === 'failed' ? { error: { code: 'REPO_NOT_FOUND', message: 'the repository or ref could not be fetched', fault: 'submission' as const } } : {}),
    resources: { oomKilled: false, memoryLimitMb: 256, cpus: 1, pidsLimit: 256 },
    timings: { totalMs: 4321 },
    runner: { version: '0.0.0', workerId: 'test', images: {} },
    startedAt: new Date(Date.now() - 5000).toISOString(),
    finishedAt: new Date().toISOString(),
  };
}

/** What the worker does with a report: store it once for the run, then ask for completion. */
async function deliverReport(store: SubmissionStore, id: string, run: number, r = report(id, run)) {
  await store.saveReport(id, run, r);
  return store.lifecycle.complete(id, run, r);
}

async function indexes(raw: Redis, keys: StoreKeys, r: SubmissionRecord): Promise<{ unfinished: boolean; score: number | null }> {
  const [member, score] = await Promise.all([raw.sismember(keys.candidate(r), r.id), raw.zscore(keys.challengeScore(r.challenge), r.id)]);
  return { unfinished: member === 1, score: score === null ? null : Number(score) };
}

describe('legal transitions', () => {
  it('queued -> running (stages) -> completed, then rerun -> queued as run 2, keeping the side indexes right', async () => {
    const { stores: [store], raw, keys } = setup();
    const created = await submit(store!);
    expect(await indexes(raw, keys, created)).toEqual({ unfinished: true, score: null });

    const started = await store!.lifecycle.progress(created.id, 'fetching');
    expect(started).toMatchObject({ ok: true, record: { status: 'running', stage: 'fetching' } });
    await store!.lifecycle.progress(created.id, 'testing');

    const done = await deliverReport(store!, created.id, 1, report(created.id, 1, 'completed', 65));
    expect(done).toMatchObject({ ok: true, record: { status: 'completed', stage: 'completed', reportRuns: [1], score: { percent: 65 }, durationMs: 4321 } });
    const completed = (await store!.get(created.id))!;
    expect(completed.stages.map((s) => s.stage)).toEqual(['queued', 'fetching', 'testing', 'completed']);
    expect(completed.pinnedCommit).toBe('1'.repeat(40));
    expect(completed.webhookDeliveries).toEqual([]); // empty arrays survive the round trip through Redis
    expect(await indexes(raw, keys, completed)).toEqual({ unfinished: false, score: 65 });
    expect((await store!.getReport(created.id))?.score.percent).toBe(65);

    const rerun = await store!.lifecycle.rerun(created.id);
    expect(rerun).toMatchObject({ ok: true, record: { status: 'queued', stage: 'queued', runs: 2, reportRuns: [1], pinnedCommit: '1'.repeat(40) } });
    expect(rerun.ok && rerun.record.score).toBeUndefined();
    expect(await indexes(raw, keys, completed)).toEqual({ unfinished: true, score: null });

    const second = await deliverReport(store!, created.id, 2, report(created.id, 2, 'completed', 90));
    expect(second).toMatchObject({ ok: true, record: { status: 'completed', reportRuns: [1, 2], score: { percent: 90 } } });
    expect(await indexes(raw, keys, completed)).toEqual({ unfinished: false, score: 90 });
    expect((await store!.getReport(created.id, 1))?.score.percent).toBe(65); // the earlier run's report is kept
  });

  it('running -> failed by a failed report; queued -> failed without one; both leave the candidate set and the score index alone', async () => {
    const { stores: [store], raw, keys } = setup();
    const a = await submit(store!);
    await store!.lifecycle.progress(a.id, 'fetching');
    const failed = await deliverReport(store!, a.id, 1, report(a.id, 1, 'failed'));
    expect(failed).toMatchObject({ ok: true, record: { status: 'failed', stage: 'failed', reportRuns: [1], error: { code: 'REPO_NOT_FOUND', fault: 'submission' } } });
    expect(await indexes(raw, keys, a)).toEqual({ unfinished: false, score: null });

    const b = await submit(store!);
    const unqueued = await store!.lifecycle.fail(b.id, { code: 'INTERNAL', message: 'could not queue', fault: 'platform' });
    expect(unqueued).toMatchObject({ ok: true, record: { status: 'failed', stage: 'failed', reportRuns: [], error: { code: 'INTERNAL', fault: 'platform' } } });
    expect(await indexes(raw, keys, b)).toEqual({ unfinished: false, score: null });
  });

  it('queued -> canceled and running -> canceled; rerun of a canceled record with a new ref clears the pin', async () => {
    const { stores: [store], raw, keys } = setup();
    const waiting = await submit(store!);
    expect(await store!.lifecycle.cancel(waiting.id)).toMatchObject({ ok: true, record: { status: 'canceled', stage: 'failed', error: { code: 'CANCELED', fault: 'platform' } } });
    expect(await indexes(raw, keys, waiting)).toEqual({ unfinished: false, score: null });

    const running = await submit(store!);
    await store!.lifecycle.progress(running.id, 'installing');
    expect(await store!.lifecycle.cancel(running.id)).toMatchObject({ ok: true, record: { status: 'canceled' } });

    const rerun = await store!.lifecycle.rerun(running.id, { ref: 'feature/x' });
    expect(rerun).toMatchObject({ ok: true, record: { status: 'queued', runs: 2, ref: 'feature/x' } });
    expect(rerun.ok && rerun.record.pinnedCommit).toBeUndefined();
    expect(rerun.ok && rerun.record.error).toBeUndefined();
    expect(await indexes(raw, keys, running)).toEqual({ unfinished: true, score: null });
  });

  it('records webhook deliveries on a final record without moving it', async () => {
    const { stores: [store] } = setup();
    const r = await submit(store!);
    await deliverReport(store!, r.id, 1);
    expect(await store!.recordWebhookDelivery(r.id, { attempt: 1, at: new Date().toISOString(), ok: false, status: 500, error: 'the receiver answered 500', durationMs: 12 })).toBe(true);
    expect(await store!.recordWebhookDelivery('no-such-id', { attempt: 1, at: new Date().toISOString(), ok: true, durationMs: 1 })).toBe(false);
    expect(await store!.get(r.id)).toMatchObject({ status: 'completed', webhookDeliveries: [{ attempt: 1, ok: false, status: 500 }] });
  });
});

describe('refused transitions', () => {
  it('refuses every move out of a final state but rerun, and writes nothing', async () => {
    const { stores: [store], raw, keys } = setup();
    const r = await submit(store!);
    await deliverReport(store!, r.id, 1);
    const before = await raw.get(keys.record(r.id));
    for (const attempt of [
      () => store!.lifecycle.progress(r.id, 'testing'),
      () => store!.lifecycle.complete(r.id, 1, report(r.id, 1, 'failed')),
      () => store!.lifecycle.fail(r.id, { code: 'INTERNAL', message: 'x', fault: 'platform' }),
      () => store!.lifecycle.cancel(r.id),
    ]) {
      expect(await attempt()).toMatchObject({ ok: false, reason: 'final', record: { status: 'completed' } });
    }
    expect(await raw.get(keys.record(r.id))).toBe(before);
    expect(await indexes(raw, keys, r)).toEqual({ unfinished: false, score: 80 });
  });

  it('refuses a rerun of an unfinished record, a report for another run, and any move of a missing record', async () => {
    const { stores: [store] } = setup();
    const r = await submit(store!);
    expect(await store!.lifecycle.rerun(r.id)).toMatchObject({ ok: false, reason: 'not_final', record: { status: 'queued' } });
    await store!.lifecycle.progress(r.id, 'fetching');
    expect(await store!.lifecycle.rerun(r.id)).toMatchObject({ ok: false, reason: 'not_final', record: { status: 'running' } });
    expect(await store!.lifecycle.complete(r.id, 2, report(r.id, 2))).toMatchObject({ ok: false, reason: 'stale_run' });

    const missing = randomUUID();
    for (const result of await Promise.all([
      store!.lifecycle.progress(missing, 'fetching'),
      store!.lifecycle.complete(missing, 1, report(missing, 1)),
      store!.lifecycle.cancel(missing),
      store!.lifecycle.rerun(missing),
    ])) {
      expect(result).toEqual({ ok: false, reason: 'missing' });
    }
  });

  it('a report for a canceled record does not bring it back; a cancel after completion does not overwrite it', async () => {
    const { stores: [store], raw, keys } = setup();
    const canceled = await submit(store!);
    await store!.lifecycle.progress(canceled.id, 'testing');
    await store!.lifecycle.cancel(canceled.id);
    expect(await deliverReport(store!, canceled.id, 1)).toMatchObject({ ok: false, reason: 'final', record: { status: 'canceled' } });
    expect(await store!.get(canceled.id)).toMatchObject({ status: 'canceled', reportRuns: [] });
    expect(await store!.getReport(canceled.id)).toBeUndefined();
    expect(await indexes(raw, keys, canceled)).toEqual({ unfinished: false, score: null });

    const completed = await submit(store!);
    await deliverReport(store!, completed.id, 1);
    expect(await store!.lifecycle.cancel(completed.id)).toMatchObject({ ok: false, reason: 'final', record: { status: 'completed' } });
    expect(await store!.get(completed.id)).toMatchObject({ status: 'completed', reportRuns: [1], score: { percent: 80 } });
  });
});

describe('races between connections', () => {
  it('cancel against report, 100 times: one wins, the record agrees with the winner, the loser changes nothing', async () => {
    const { stores: [worker, api], raw, keys } = setup(2);
    const wins = { completed: 0, canceled: 0 };
    for (let i = 0; i < 100; i++) {
      const r = await submit(worker!);
      await worker!.lifecycle.progress(r.id, 'testing');
      // Alternate who is asked first, so both orders of arrival are exercised.
      const [reported, canceled] =
        i % 2 ? await Promise.all([deliverReport(worker!, r.id, 1), api!.lifecycle.cancel(r.id)]) : await Promise.all([api!.lifecycle.cancel(r.id), deliverReport(worker!, r.id, 1)]).then(([c, d]) => [d, c] as const);
      expect(reported.ok !== canceled.ok, `exactly one wins (report ${JSON.stringify(reported.ok)}, cancel ${JSON.stringify(canceled.ok)})`).toBe(true);
      const final = (await worker!.get(r.id))!;
      if (reported.ok) {
        wins.completed++;
        expect(canceled).toMatchObject({ ok: false, reason: 'final' });
        expect(final).toMatchObject({ status: 'completed', reportRuns: [1], score: { percent: 80 } });
        expect(final.error).toBeUndefined();
        expect(await indexes(raw, keys, r)).toEqual({ unfinished: false, score: 80 });
      } else {
        wins.canceled++;
        expect(reported).toMatchObject({ ok: false, reason: 'final' });
        expect(final).toMatchObject({ status: 'canceled', reportRuns: [], error: { code: 'CANCELED' } });
        expect(final.score).toBeUndefined();
        expect(await indexes(raw, keys, r)).toEqual({ unfinished: false, score: null });
      }
      // Late arrivals of either kind change nothing.
      const settled = await raw.get(keys.record(r.id));
      await Promise.all([api!.lifecycle.cancel(r.id), deliverReport(worker!, r.id, 1), worker!.lifecycle.progress(r.id, 'scoring')]);
      expect(await raw.get(keys.record(r.id))).toBe(settled);
    }
    console.info(`cancel against report: ${wins.completed} reports won, ${wins.canceled} cancels won`);
  });

  it('keeps every stage update of two connections writing at once (and many at once on one connection)', async () => {
    const { stores: [a, b] } = setup(2);
    const r = await submit(a!);
    const stages = ['fetching', 'packing', 'installing', 'starting', 'testing', 'scoring'] as const;
    const writes = Array.from({ length: 60 }, (_, i) => (i % 2 ? a! : b!).lifecycle.progress(r.id, stages[i % stages.length]!));
    const results = await Promise.all(writes);
    expect(results.every((x) => x.ok)).toBe(true);
    const after = (await a!.get(r.id))!;
    expect(after.status).toBe('running');
    expect(after.stages).toHaveLength(1 + writes.length);
    // Each write appended its own stage: the multiset of stages is exactly what was asked for.
    const count = (s: string) => after.stages.filter((x) => x.stage === s).length;
    for (const s of stages) expect(count(s)).toBe(10);
  });

  it('two concurrent reruns of one final record make one new run', async () => {
    const { stores: [a, b], raw, keys } = setup(2);
    const r = await submit(a!);
    await deliverReport(a!, r.id, 1);
    const [x, y] = await Promise.all([a!.lifecycle.rerun(r.id), b!.lifecycle.rerun(r.id)]);
    expect([x.ok, y.ok].filter(Boolean)).toHaveLength(1);
    expect([x, y].find((t) => !t.ok)).toMatchObject({ ok: false, reason: 'not_final' });
    expect(await a!.get(r.id)).toMatchObject({ status: 'queued', runs: 2, reportRuns: [1] });
    expect(await indexes(raw, keys, r)).toEqual({ unfinished: true, score: null });
  });

  it('a webhook delivery recorded during a rerun is kept, and so is the rerun', async () => {
    const { stores: [a, b] } = setup(2);
    const r = await submit(a!);
    await deliverReport(a!, r.id, 1);
    const deliveries = Array.from({ length: 20 }, (_, i) => b!.recordWebhookDelivery(r.id, { attempt: i + 1, at: new Date().toISOString(), ok: false, durationMs: 1 }));
    const [rerun] = await Promise.all([a!.lifecycle.rerun(r.id), ...deliveries]);
    expect(rerun.ok).toBe(true);
    const after = (await a!.get(r.id))!;
    expect(after).toMatchObject({ status: 'queued', runs: 2 });
    expect(after.webhookDeliveries.map((d) => d.attempt).sort((p, q) => p - q)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });
});

describe('cancel of a running job', () => {
  it('reaches the worker through the cancel channel: the record ends canceled, the job is not retried, its containers go', async () => {
    const git = await startGitServer();
    const stack = await startStack(redis.url);
    try {
      // The reference solution behind a 4 s start-up delay: the job is surely running when the cancel comes.
      const repo = await git.addRepo('slow', {
        'package.json': JSON.stringify({ name: 'slow', version: '1.0.0', private: true, scripts: { start: 'node slow.js' } }),
        'slow.js': "setTimeout(() => require('./server.js'), 4000);\n",
        'server.js': await readFile('challenges/simple-api/reference/node/server.js'),
      });
      await stack.startWorker();
      const record = await stack.submit({ challenge: 'simple-api', repoUrl: repo.url });
      await eventually(async () => ['starting', 'testing'].includes((await stack.store.get(record.id))?.stage ?? ''), { timeoutMs: 90_000, message: 'the job to be running' });

      expect(await stack.queue.removeIfNotStarted(record.id, 1)).toBe('running'); // what the API asks before it publishes
      await stack.redis.publish(cancelChannel(stack.config.redis.prefix), record.id);
      const final = await stack.waitForFinal(record.id, 60_000);
      expect(final).toMatchObject({ status: 'canceled', reportRuns: [], error: { code: 'CANCELED', fault: 'platform' } });
      expect(final.score).toBeUndefined();
      expect(await stack.store.getReport(record.id, 1)).toBeUndefined();
      await eventually(async () => (await stack.queue.grading.getJobState(record.id)) === 'completed', { message: 'the job to end without a retry' });
      expect(await stack.queue.removeIfNotStarted(record.id, 1)).toBe('gone');
      await eventually(async () => (await countManaged(docker, record.id)) === 0, { timeoutMs: 30_000, message: 'the job\'s containers to be removed' });
    } finally {
      await stack.close();
      await git.close();
    }
  }, 180_000);
});
