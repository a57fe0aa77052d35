/**
 * Wires a worker process from a Config: Redis connections, store, queue, the Docker client and
 * install network, the image manifest, the challenge repository, the grading worker and the
 * webhook delivery worker. runner/worker/main.ts, the in-process stack
 * (runner/devtools/stack.ts, used by tests, bench and soak) and the tests all build workers here.
 *
 * ```ts
 * const worker = await startWorkerProcess(config, { log });  // taking jobs when it resolves
 * await worker.close();  // idempotent: drains or hands back jobs, then closes every connection
 * ```
 * A start that fails closes whatever it had opened and rethrows the original error.
 */
import { ChallengeRepository } from '../challenges/repository.ts';
import type { Config } from '../config.ts';
import { createLogger, type Logger } from '../log.ts';
import { SubmissionQueue } from '../queue/queue.ts';
import { fillWarmContainers } from '../pipeline/warm.ts';
import { createDockerClient, ensureNetwork, loadImages, WarmContainers, type DockerClient, type Images } from '../sandbox/index.ts';
import { closeConnection, closeSteps } from '../shutdown.ts';
import { createRedis, type Redis } from '../store/redis.ts';
import { SubmissionStore } from '../store/submissions.ts';
import { startWebhookWorker } from '../webhooks/index.ts';
import { GradingWorker } from './worker.ts';

export interface WorkerProcessOptions {
  /** @defaultValue `createLogger(config.logLevel, 'assay-worker')` */
  log?: Logger;
  /** The engine this worker runs sandboxes on. @defaultValue `createDockerClient(config.docker.host)` */
  docker?: DockerClient;
  /** @defaultValue `loadImages(config.imagesFile)` */
  images?: Images;
  /** @defaultValue `new ChallengeRepository(config.challengesDir, config.maxima)` */
  challenges?: ChallengeRepository;
  /**
   * Create the install network (`config.install.network`) if it is missing, before taking
   * jobs. Turn it off where the engine is deliberately unreachable (fault tests) or the network
   * was made once for many workers.
   * @defaultValue true
   */
  ensureNetwork?: boolean;
  /** Also run the webhook delivery worker in this process. @defaultValue true */
  webhooks?: boolean;
}

/** A running worker process. */
export interface WorkerProcess extends AsyncDisposable {
  readonly config: Config;
  readonly log: Logger;
  readonly worker: GradingWorker;
  readonly store: SubmissionStore;
  readonly queue: SubmissionQueue;
  readonly docker: DockerClient;
  readonly images: Images;
  /** The containers it keeps started ahead of its jobs (ASSAY_WORKER_WARM_CONTAINERS); `ready()` resolves when it is idle. */
  readonly warm?: WarmContainers;
  /**
   * Stops taking jobs, lets running ones finish within `config.worker.shutdownGraceMs` and hands
   * the rest back (GradingWorker.close), stops webhook delivery, then closes every Redis
   * connection. Idempotent; every step runs even if one throws, each failure is logged and the
   * first is rethrown.
   */
  close(): Promise<void>;
}

export async function startWorkerProcess(config: Config, opts: WorkerProcessOptions = {}): Promise<WorkerProcess> {
  const log = opts.log ?? createLogger(config.logLevel, 'assay-worker');
  // Nothing below holds a resource until the connections are made, so these may throw freely.
  const docker = opts.docker ?? createDockerClient(config.docker.host);
  const images = opts.images ?? loadImages(config.imagesFile);
  const challenges = opts.challenges ?? new ChallengeRepository(config.challengesDir, config.maxima);
  if (opts.ensureNetwork ?? true) await ensureNetwork(docker, config.install.network);

  const storeConn = connect(config, 'store', log);
  const bullConnection = connect(config, 'bullmq', log);
  const subscriber = connect(config, 'subscriber', log);
  const store = new SubmissionStore(storeConn, config.redis.prefix);
  const queue = new SubmissionQueue({ connection: bullConnection, prefix: config.redis.prefix, attempts: config.worker.attempts });
  const warm = config.worker.warmContainers ? new WarmContainers(config.worker.concurrency, log) : undefined;
  const worker = new GradingWorker({ config, docker, images, challenges, store, queue, bullConnection, subscriber, log, ...(warm ? { warm } : {}) });
  let webhooks: { close(): Promise<void> } | undefined;
  // The grading worker first: while it drains, finished jobs may still enqueue webhooks.
  const close = closeSteps(log, [
    { name: 'grading worker', close: () => worker.close() },
    { name: 'warm containers', close: () => warm?.close() }, // after the jobs: their cleanups fill it up
    { name: 'webhook worker', close: () => webhooks?.close() },
    { name: 'queue', close: () => queue.close() },
    { name: 'redis (subscriber)', close: () => closeConnection(subscriber) },
    { name: 'redis (bullmq)', close: () => closeConnection(bullConnection) },
    { name: 'redis (store)', close: () => closeConnection(storeConn) },
  ]);
  try {
    await worker.start();
    fillWarmContainers(warm, { config, docker, images, log });
    if (opts.webhooks ?? true) webhooks = startWebhookWorker({ config, store, connection: bullConnection, log });
  } catch (err) {
    await close().catch(() => undefined); // each failed step is logged by close(); the start error is the one to report
    throw err;
  }
  return { config, log, worker, store, queue, docker, images, ...(warm ? { warm } : {}), close, [Symbol.asyncDispose]: close };
}

function connect(config: Config, purpose: 'store' | 'bullmq' | 'subscriber', log: Logger): Redis {
  const conn = createRedis(config, purpose);
  // ioredis reconnects by itself; without a listener it would print to the console instead.
  conn.on('error', (err: Error) => log.warn({ err: err.message, connection: purpose }, 'redis connection error'));
  return conn;
}
