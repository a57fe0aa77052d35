/**
 * Wires the API process from a Config: Redis connections, store, queue, challenges, the
 * readiness check of the container engine and the Express app. api/main.ts, the in-process
 * stack (runner/devtools/stack.ts), the screenshot script and the tests all build the API here,
 * so they run the same wiring.
 *
 * The API never loads dockerode, simple-git or the pipeline at import time: the engine check is
 * built with a dynamic import() of runner/sandbox, and only when ASSAY_READYZ_DOCKER is on
 * (api/layering.test.ts proves it).
 *
 * ```ts
 * const api = await createApiProcess(config, { log });
 * const server = await api.listen();       // or supertest(api.app)
 * await api.close();                       // idempotent; closes the server, queue and Redis
 * ```
 */
import type { Server } from 'node:http';
import type { Express } from 'express';
import { ChallengeRepository } from '../runner/challenges/repository.ts';
import type { Config } from '../runner/config.ts';
import { createLogger, type Logger } from '../runner/log.ts';
import { SubmissionQueue } from '../runner/queue/queue.ts';
import { closeConnection, closeSteps } from '../runner/shutdown.ts';
import { createRedis, type Redis } from '../runner/store/redis.ts';
import { SubmissionStore } from '../runner/store/submissions.ts';
import { createApp } from './app.ts';

/** In-flight requests get this long after close() before their connections are cut. */
export const API_DRAIN_MS = 10_000;

export interface ApiProcessOptions {
  /** @defaultValue `createLogger(config.logLevel, 'assay-api')` */
  log?: Logger;
  /** @defaultValue `new ChallengeRepository(config.challengesDir, config.maxima)` */
  challenges?: ChallengeRepository;
  /**
   * The engine check behind /readyz. Pass one to check a stand-in; pass `null` to skip the
   * check whatever the configuration says.
   * @defaultValue a ping of `config.docker.host` when `config.api.readyChecksDocker`, else none
   */
  checkEngine?: (() => Promise<void>) | null;
  /** Also collect prom-client's process metrics (the process entry does; tests need not). @defaultValue false */
  defaultMetrics?: boolean;
}

/** A wired API process. Nothing listens until listen(). */
export interface ApiProcess extends AsyncDisposable {
  readonly config: Config;
  readonly log: Logger;
  /** The Express app, for supertest or listen(). */
  readonly app: Express;
  readonly store: SubmissionStore;
  readonly queue: SubmissionQueue;
  /** The store connection (readiness pings, cancel messages). */
  readonly redis: Redis;
  /**
   * Listens on `port` and `host`; resolves once listening. close() then stops the server.
   * @param port @defaultValue `config.api.port` (0 picks a free port)
   * @param host @defaultValue `config.api.host`
   */
  listen(port?: number, host?: string): Promise<Server>;
  /**
   * Stops accepting connections, lets in-flight requests finish (at most API_DRAIN_MS), closes
   * the queue and the Redis connections. Idempotent; every step runs even if one throws, each
   * failure is logged and the first is rethrown.
   */
  close(): Promise<void>;
}

export async function createApiProcess(config: Config, opts: ApiProcessOptions = {}): Promise<ApiProcess> {
  const log = opts.log ?? createLogger(config.logLevel, 'assay-api');
  const checkEngine = opts.checkEngine === undefined ? await defaultEngineCheck(config) : (opts.checkEngine ?? undefined);
  const redis = connect(config, 'store', log);
  const bull = connect(config, 'bullmq', log);
  const store = new SubmissionStore(redis, config.redis.prefix);
  const queue = new SubmissionQueue({ connection: bull, prefix: config.redis.prefix, attempts: config.worker.attempts });
  const app = createApp(
    { config, store, queue, redis, challenges: opts.challenges ?? new ChallengeRepository(config.challengesDir, config.maxima), checkEngine, log },
    { defaultMetrics: opts.defaultMetrics ?? false },
  );
  const servers: Server[] = [];
  const close = closeSteps(log, [
    { name: 'http server', close: () => Promise.all(servers.map(stopServer)) },
    { name: 'queue', close: () => queue.close() },
    { name: 'redis (store)', close: () => closeConnection(redis) },
    { name: 'redis (bullmq)', close: () => closeConnection(bull) },
  ]);
  return {
    config,
    log,
    app,
    store,
    queue,
    redis,
    listen(port = config.api.port, host = config.api.host) {
      return new Promise<Server>((resolve, reject) => {
        const server = app.listen(port, host, (err?: Error) => (err ? reject(err) : resolve(server)));
        server.headersTimeout = 20_000;
        server.requestTimeout = 30_000;
        servers.push(server);
      });
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** A Docker ping, when the configuration asks for one; runner/sandbox (and dockerode) load only then. */
async function defaultEngineCheck(config: Config): Promise<(() => Promise<void>) | undefined> {
  if (!config.api.readyChecksDocker) return undefined;
  const { createDockerClient, pingEngine } = await import('../runner/sandbox/index.ts');
  const docker = createDockerClient(config.docker.host);
  return () => pingEngine(docker);
}

function connect(config: Config, purpose: 'store' | 'bullmq', log: Logger): Redis {
  const conn = createRedis(config, purpose);
  // ioredis reconnects by itself; without a listener it would print to the console instead.
  conn.on('error', (err: Error) => log.warn({ err: err.message, connection: purpose }, 'redis connection error'));
  return conn;
}

function stopServer(server: Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  const force = setTimeout(() => server.closeAllConnections(), API_DRAIN_MS);
  server.closeIdleConnections();
  return new Promise<void>((resolve, reject) => server.close((err) => (clearTimeout(force), err ? reject(err) : resolve())));
}
