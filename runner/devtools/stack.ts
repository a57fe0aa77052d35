/**
 * An in-process Assay stack for end-to-end tests, bench and soak: the API (api/wire.ts) and any
 * number of grading workers (runner/worker/wire.ts) against a real Redis, the real Docker engine
 * and the locally built images, wired exactly as the processes wire themselves. Each stack gets
 * its own key prefix; each worker its own worker id.
 *
 * ```ts
 * const stack = await startStack(redis.url);
 * await stack.startWorker();
 * const record = await stack.submit({ challenge: 'simple-api', repoUrl });
 * await stack.waitForFinal(record.id);
 * await request(stack.api.app).get(`/v1/submissions/${record.id}`);
 * await stack.close();
 * ```
 */
import { randomUUID } from 'node:crypto';
import { createApiProcess, type ApiProcess, type ApiProcessOptions } from '../../api/wire.ts';
import { buildConfig, type Config } from '../config.ts';
import { createLogger } from '../log.ts';
import { normalizeRepoPath } from '../net/repo-path.ts';
import type { SubmissionQueue } from '../queue/queue.ts';
import { ensureNetwork } from '../sandbox/index.ts';
import { closeSteps } from '../shutdown.ts';
import type { Redis } from '../store/redis.ts';
import { FINAL_STATUSES, newSubmissionRecord, type SubmissionRecord, type SubmissionStore } from '../store/submissions.ts';
import { startWorkerProcess, type WorkerProcess, type WorkerProcessOptions } from '../worker/wire.ts';
import { docker, images } from './env.ts';

export interface StackOptions {
  /** Options of the stack's API process (a logger, an engine check). @defaultValue the stack's logger, the default engine check */
  api?: ApiProcessOptions;
}

export interface Stack extends AsyncDisposable {
  /** The stack's configuration (from testEnv); workers add their own id and overrides. */
  config: Config;
  /** The API, wired as api/main.ts wires it, not listening: use `api.app` with supertest, or `api.listen(0)`. */
  api: ApiProcess;
  store: SubmissionStore;
  queue: SubmissionQueue;
  /** The API's store connection. */
  redis: Redis;
  /**
   * Starts a worker process in this process, with its own worker id, taking jobs when it
   * resolves. stack.close() closes it; close it earlier with its own close().
   * @param overrides environment variables on top of the stack's (e.g. `DOCKER_HOST`)
   * @param options @defaultValue the stack's logger, the shared Docker client (unless `DOCKER_HOST` is overridden) and images; the install network is made once by startStack
   */
  startWorker(overrides?: Record<string, string>, options?: WorkerProcessOptions): Promise<WorkerProcess>;
  /** Creates a record and enqueues it, as the API does (`path`: a subdirectory, checked and normalized as the API does). */
  submit(input: { challenge: string; repoUrl: string; ref?: string; path?: string; callbackUrl?: string }): Promise<SubmissionRecord>;
  /** Polls the record until it reaches a final state, with a deadline. */
  waitForFinal(id: string, timeoutMs?: number, pollMs?: number): Promise<SubmissionRecord>;
  /** Closes every worker, then the API. Idempotent; a failing step does not stop the others. */
  close(): Promise<void>;
}

/** The environment of a test stack: its Redis, a fresh key prefix and worker id, loopback git allowed. */
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

export async function startStack(redisUrl: string, overrides: Record<string, string> = {}, opts: StackOptions = {}): Promise<Stack> {
  const env = testEnv(redisUrl, overrides);
  const config = buildConfig({ ...process.env, ...env });
  const log = createLogger(config.logLevel);
  await ensureNetwork(docker, config.install.network);
  const api = await createApiProcess(config, { log, ...opts.api });
  const workers: WorkerProcess[] = [];
  const close = closeSteps(log, [
    { name: 'workers', close: () => closeAll(workers) },
    { name: 'api', close: () => api.close() },
  ]);

  return {
    config,
    api,
    store: api.store,
    queue: api.queue,
    redis: api.redis,
    async startWorker(workerOverrides = {}, options = {}) {
      const wconfig = buildConfig({ ...process.env, ...env, ASSAY_WORKER_ID: `test-worker-${randomUUID().slice(0, 8)}`, ...workerOverrides });
      const ownEngine = 'DOCKER_HOST' in workerOverrides;
      const worker = await startWorkerProcess(wconfig, { log, images, ensureNetwork: false, ...(ownEngine ? {} : { docker }), ...options });
      workers.push(worker);
      return worker;
    },
    async submit({ path, ...input }) {
      const subPath = path === undefined ? undefined : normalizeRepoPath(path);
      const record = newSubmissionRecord({ ...input, ...(subPath ? { path: subPath } : {}), accessToken: randomUUID() });
      await api.store.create(record);
      await api.queue.enqueueGrade(record.id, 1);
      return record;
    },
    async waitForFinal(id, timeoutMs = 120_000, pollMs = 100) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const r = await api.store.get(id);
        if (r && FINAL_STATUSES.includes(r.status)) return r;
        if (Date.now() > deadline) throw new Error(`submission ${id} not final after ${timeoutMs} ms (status ${r?.status}, stage ${r?.stage})`);
        await new Promise((res) => setTimeout(res, pollMs));
      }
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** Closes workers in parallel (each drains on its own); rethrows the first failure after all have closed. */
async function closeAll(workers: readonly WorkerProcess[]): Promise<void> {
  const results = await Promise.allSettled(workers.map((w) => w.close()));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
