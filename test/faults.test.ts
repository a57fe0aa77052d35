/**
 * Faults of the platform, not the candidate: a worker killed with SIGKILL mid-job, Redis
 * restarted under load, the Docker engine unavailable. In each, every submission must still end
 * in a final state, graded exactly once, and nothing may be blamed on the candidate.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile, cp } from 'node:fs/promises';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { QueueEvents } from 'bullmq';
import { GenericContainer, Wait } from 'testcontainers';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../runner/log.ts';
import { bullPrefix, SUBMISSIONS_QUEUE } from '../runner/queue/queue.ts';
import { countManaged, LABEL_WORKER } from '../runner/sandbox/index.ts';
import { createRedis } from '../runner/store/redis.ts';
import type { SubmissionRecord } from '../runner/store/submissions.ts';
import { docker, images } from '../runner/devtools/env.ts';
import { eventually } from '../runner/devtools/eventually.ts';
import { startRedis, type TestRedis } from '../runner/devtools/redis.ts';
import { startStack, testEnv } from '../runner/devtools/stack.ts';
import { useGitServer } from './support/grading.ts';

const git = useGitServer();
let slowRepo: { url: string; commit: string };
let goodRepo: { url: string; commit: string };
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  goodRepo = await git.server.addRepo('good', { dir: 'challenges/simple-api/reference/node' });
  // The reference solution behind a 4 s start-up delay: long enough to kill a worker mid-job.
  const dir = await mkdtemp(path.join(os.tmpdir(), 'assay-slow-'));
  await cp('challenges/simple-api/reference/node', dir, { recursive: true });
  await writeFile(path.join(dir, 'slow.js'), "setTimeout(() => require('./server.js'), 4000);\n");
  await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'slow', version: '1.0.0', private: true, scripts: { start: 'node slow.js' } }));
  slowRepo = await git.server.addRepo('slow', { dir });
  await rm(dir, { recursive: true, force: true });
});

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

/**
 * An append-only Redis on a fixed host port: Docker re-allocates a random published port on
 * restart, which would send the clients to a port nobody listens on (a test artefact, not a
 * fault of Assay's).
 */
async function startFixedPortRedis(): Promise<TestRedis> {
  const tag = (images as unknown as { redis?: { tag: string } }).redis?.tag;
  if (!tag) throw new Error('no redis test image: run scripts/build-images.sh');
  const port = await new Promise<number>((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (probe.address() as AddressInfo).port;
      probe.close(() => resolve(p));
    });
  });
  const container = await new GenericContainer(tag)
    .withCommand(['redis-server', '--bind', '0.0.0.0', '--protected-mode', 'no', '--save', '', '--appendonly', 'yes', '--dir', '/tmp'])
    .withExposedPorts({ container: 6379, host: port })
    .withLabels({ 'dev.assay.test': 'redis' })
    .withWaitStrategy(Wait.forLogMessage(/Ready to accept connections/))
    .start();
  return { url: `redis://127.0.0.1:${port}`, container, stop: async () => void (await container.stop({ timeout: 1000 })) };
}

/** A worker as its own process (`node --import tsx runner/worker/main.ts`), so it can be SIGKILLed. */
function spawnWorker(env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'runner/worker/main.ts'], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.resume();
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });
  return child;
}

async function containersOfWorker(workerId: string): Promise<number> {
  return (await docker.listContainers({ all: true, filters: { label: [`${LABEL_WORKER}=${workerId}`] } })).length;
}

describe('faults', () => {
  it('takes a job up again after its worker is SIGKILLed, reports it once, and sweeps the dead worker\'s containers', async () => {
    const redis = await startRedis();
    cleanups.push(() => redis.stop());
    const prefix = `f${randomUUID().slice(0, 8)}`;
    const stack = await startStack(redis.url, { ASSAY_KEY_PREFIX: prefix });
    cleanups.push(() => stack.close());
    const workerEnv = (id: string) => testEnv(redis.url, { ASSAY_KEY_PREFIX: prefix, ASSAY_WORKER_ID: id, ASSAY_JANITOR_INTERVAL_MS: '2000', ASSAY_WORKER_LOCK_MS: '4000', ASSAY_LOG_LEVEL: 'warn' });
    const deadId = `doomed-${randomUUID().slice(0, 8)}`;
    const t0 = Date.now();
    const doomed = spawnWorker(workerEnv(deadId));
    const record = await stack.submit({ challenge: 'simple-api', repoUrl: slowRepo.url });

    // Kill it while the job is running and its containers exist.
    await eventually(
      async () => {
        const r = await stack.store.get(record.id);
        return (r?.stage === 'starting' || r?.stage === 'testing') && (await containersOfWorker(deadId)) > 0;
      },
      { timeoutMs: 60_000, intervalMs: 200, message: 'the job to be running in a container' },
    );
    doomed.kill('SIGKILL');
    await new Promise((r) => doomed.once('exit', r));
    const killedAt = Date.now();

    spawnWorker(workerEnv(`rescuer-${randomUUID().slice(0, 8)}`));
    const final = await stack.waitForFinal(record.id, 120_000);
    const recoveredAt = Date.now();
    expect(final.status).toBe('completed');
    expect(final.reportRuns).toEqual([1]);
    expect(final.score?.percent).toBe(100);
    expect((await stack.store.getReport(record.id))?.runner.workerId).not.toBe(deadId);

    // The dead worker's heartbeat expires (15 s) and the janitor removes what it left.
    await eventually(async () => (await containersOfWorker(deadId)) === 0, { timeoutMs: 60_000, intervalMs: 200, message: "the dead worker's containers to be removed" });
    // The rescuer removes its own containers right after storing the report.
    await eventually(async () => (await countManaged(docker, record.id)) === 0, { timeoutMs: 30_000, intervalMs: 200, message: 'the rescuer to remove its containers' });
    console.info(`SIGKILL fault: killed after ${killedAt - t0} ms, final ${recoveredAt - killedAt} ms later, swept ${Date.now() - killedAt} ms after the kill`);
  }, 240_000);

  it('loses nothing when Redis restarts while jobs are queued and running', async () => {
    const redis = await startFixedPortRedis();
    cleanups.push(() => redis.stop());
    const stack = await startStack(redis.url, { ASSAY_WORKER_CONCURRENCY: '2' });
    cleanups.push(() => stack.close());
    await stack.startWorker();
    const records: SubmissionRecord[] = [];
    for (let i = 0; i < 6; i++) records.push(await stack.submit({ challenge: 'simple-api', repoUrl: i % 2 ? slowRepo.url : goodRepo.url }));
    await eventually(async () => (await Promise.all(records.map((r) => stack.store.get(r.id)))).some((r) => r?.status === 'running'), { timeoutMs: 60_000, intervalMs: 200, message: 'a job to run' });
    const t0 = Date.now();
    await redis.container.restart();
    const finals = await Promise.all(records.map((r) => stack.waitForFinal(r.id, 180_000)));
    for (const f of finals) {
      expect(f.status).toBe('completed');
      expect(f.reportRuns).toEqual([1]);
      expect(f.score?.percent).toBe(100);
    }
    console.info(`Redis restart fault: all ${finals.length} final ${Date.now() - t0} ms after the restart`);
  }, 300_000);

  it('keeps a job waiting while the Docker engine is unavailable, then grades it', async () => {
    const redis = await startRedis();
    cleanups.push(() => redis.stop());
    const stack = await startStack(redis.url);
    cleanups.push(() => stack.close());

    // A worker whose engine is a socket that does not exist, wired as runner/worker/main.ts wires one.
    const blind = await stack.startWorker({ DOCKER_HOST: 'unix:///tmp/assay-no-such-docker.sock' }, { log: createLogger('silent'), webhooks: false });
    cleanups.push(() => blind.close());
    // The observer's own connection, for the queue's event stream below.
    const bull = createRedis(stack.config, 'bullmq');
    cleanups.push(() => bull.quit());

    const record = await stack.submit({ challenge: 'simple-api', repoUrl: goodRepo.url });
    // The queue's own event stream, read from its start: each time a worker takes the job
    // ('active') and each time it hands it back for later ('delayed').
    const events = new QueueEvents(SUBMISSIONS_QUEUE, { connection: bull, prefix: bullPrefix(stack.config.redis.prefix), lastEventId: '0-0' });
    cleanups.push(() => events.close());
    const seen: string[] = [];
    for (const name of ['active', 'delayed', 'failed', 'completed'] as const) {
      events.on(name, ({ jobId }: { jobId: string }) => {
        if (jobId === record.id) seen.push(name);
      });
    }
    await events.waitUntilReady();
    // Taken and handed back twice (the second time after the 10 s retry delay): the blind worker
    // keeps releasing the job instead of failing it.
    await eventually(() => seen.filter((e) => e === 'delayed').length >= 2, { timeoutMs: 60_000, intervalMs: 100, message: 'the job to be taken and delayed twice for the engine' });
    expect(seen.filter((e) => e === 'active').length).toBeGreaterThanOrEqual(2);
    expect(seen).not.toContain('failed');
    expect(seen).not.toContain('completed');
    // Still not final, never blamed on the candidate, no attempt used.
    expect(await stack.queue.grading.getJobState(record.id)).toBe('delayed');
    const waiting = await stack.store.get(record.id);
    expect(['queued', 'running']).toContain(waiting?.status);
    expect(waiting?.error).toBeUndefined();
    expect(waiting?.reportRuns).toEqual([]);
    expect((await stack.queue.grading.getJob(record.id))?.attemptsMade ?? 0).toBe(0);

    await blind.close();
    await stack.startWorker();
    const final = await stack.waitForFinal(record.id, 120_000);
    expect(final.status).toBe('completed');
    expect(final.score?.percent).toBe(100);
    expect(final.reportRuns).toEqual([1]);
  }, 240_000);
});
