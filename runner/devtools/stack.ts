/**
 * An in-process Assay stack for end-to-end tests: store, queue and a grading worker against a
 * real Redis, the real Docker engine and the locally built images. Each stack gets its own key
 * prefix and worker id.
 */
import { randomUUID } from 'node:crypto';
import { buildConfig, type Config } from '../config.ts';
import { ChallengeRepository } from '../challenges/repository.ts';
import { createLogger } from '../log.ts';
import { SubmissionQueue } from '../queue/queue.ts';
import { ensureNetwork } from '../sandbox/index.ts';
import { createRedis, type Redis } from '../store/redis.ts';
import { SubmissionStore, newSubmissionRecord, type SubmissionRecord } from '../store/submissions.ts';
import { GradingWorker } from '../worker/worker.ts';
import { startWebhookWorker } from '../webhooks/index.ts';
import { docker, images } from './env.ts';

export interface Stack {
  config: Config;
  store: SubmissionStore;
  queue: SubmissionQueue;
  redis: Redis;
  startWorker(overrides?: Record<string, string>): Promise<GradingWorker>;
  /** Creates a record and enqueues it, as the API does. */
  submit(input: { challenge: string; repoUrl: string; ref?: string; callbackUrl?: string }): Promise<SubmissionRecord>;
  /** Polls the record until it reaches a final state, with a deadline. */
  waitForFinal(id: string, timeoutMs?: number, pollMs?: number): Promise<SubmissionRecord>;
  close(): Promise<void>;
}

export function testEnv(redisUrl: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    REDIS_URL: redisUrl,
    ASSAY_REDIS_PASSWORD: '', // the throwaway Redis has none, whatever the shell says
    ASSAY_KEY_PREFIX: `t${randomUUID().slice(0, 8)}`,
    ASSAY_WORKER_ID: `test-worker-${randomUUID().slice(0, 8)}`,
    ASSAY_WORKER_CONCURRENCY: '2',
    ASSAY_FETCH_ALLOW_HTTP: 'true',
    ASSAY_FETCH_ALLOW_PRIVATE: 'true',
    ASSAY_LOG_LEVEL: 'warn',
    ASSAY_WORKER_SHUTDOWN_GRACE_MS: '5000',
    ...overrides,
  };
}

export async function startStack(redisUrl: string, overrides: Record<string, string> = {}): Promise<Stack> {
  const env = testEnv(redisUrl, overrides);
  const config = buildConfig({ ...process.env, ...env });
  await ensureNetwork(docker, config.install.network);
  const redis = createRedis(config, 'store');
  const bull = createRedis(config, 'bullmq');
  const store = new SubmissionStore(redis, config.redis.prefix);
  const queue = new SubmissionQueue({ connection: bull, prefix: config.redis.prefix, attempts: config.worker.attempts });
  const closers: (() => Promise<unknown>)[] = [];
  const log = createLogger(config.logLevel);

  return {
    config,
    store,
    queue,
    redis,
    async startWorker(workerOverrides = {}) {
      const wconfig = buildConfig({ ...process.env, ...env, ASSAY_WORKER_ID: `test-worker-${randomUUID().slice(0, 8)}`, ...workerOverrides });
      const wbull = createRedis(wconfig, 'bullmq');
      const wstore = createRedis(wconfig, 'store');
      const worker = new GradingWorker({
        config: wconfig,
        docker,
        images,
        challenges: new ChallengeRepository(wconfig.challengesDir, wconfig.maxima),
        store: new SubmissionStore(wstore, wconfig.redis.prefix),
        queue: new SubmissionQueue({ connection: wbull, prefix: wconfig.redis.prefix, attempts: wconfig.worker.attempts }),
        bullConnection: wbull,
        subscriber: createRedis(wconfig, 'subscriber'),
        log,
      });
      await worker.start();
      const webhooks = startWebhookWorker({ config: wconfig, store, connection: wbull, log });
      closers.push(async () => {
        await worker.close();
        await webhooks.close();
        await wbull.quit().catch(() => undefined);
        await wstore.quit().catch(() => undefined);
      });
      return worker;
    },
    async submit(input) {
      const record = newSubmissionRecord({ ...input, accessToken: randomUUID() });
      await store.create(record);
      await queue.enqueueGrade(record.id, 1);
      return record;
    },
    async waitForFinal(id, timeoutMs = 120_000, pollMs = 100) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const r = await store.get(id);
        if (r && ['completed', 'failed', 'canceled'].includes(r.status)) return r;
        if (Date.now() > deadline) throw new Error(`submission ${id} not final after ${timeoutMs} ms (status ${r?.status}, stage ${r?.stage})`);
        await new Promise((res) => setTimeout(res, pollMs));
      }
    },
    async close() {
      for (const c of closers.reverse()) await c().catch(() => undefined);
      await queue.close().catch(() => undefined);
      await redis.quit().catch(() => undefined);
      await bull.quit().catch(() => undefined);
    },
  };
}
