/**
 * API process entry point: `npm run api`. Configuration from the environment (README); listens
 * on ASSAY_API_HOST:ASSAY_API_PORT. SIGTERM/SIGINT: stop accepting, finish in-flight requests
 * (at most 10 s), close Redis and the queue, exit 0 (1 if a step failed).
 */
import type { AddressInfo } from 'node:net';
import { ChallengeRepository } from '../runner/challenges/repository.ts';
import { loadConfig } from '../runner/config.ts';
import { createLogger } from '../runner/log.ts';
import { SubmissionQueue } from '../runner/queue/queue.ts';
import { createDockerClient } from '../runner/sandbox/index.ts';
import { createRedis } from '../runner/store/redis.ts';
import { SubmissionStore } from '../runner/store/submissions.ts';
import { createApp } from './app.ts';

const config = loadConfig();
const log = createLogger(config.logLevel, 'assay-api');
const redis = createRedis(config, 'store');
const bull = createRedis(config, 'bullmq');
for (const [name, conn] of [['store', redis], ['bullmq', bull]] as const) conn.on('error', (err: Error) => log.warn({ err: err.message, connection: name }, 'redis connection error'));
const queue = new SubmissionQueue({ connection: bull, prefix: config.redis.prefix, attempts: config.worker.attempts });
const app = createApp(
  {
    config,
    store: new SubmissionStore(redis, config.redis.prefix),
    queue,
    redis,
    challenges: new ChallengeRepository(config.challengesDir, config.maxima),
    docker: createDockerClient(config.docker.host),
    log,
  },
  { defaultMetrics: true },
);
if (config.api.keys.length === 0 && !config.api.openSubmissions) log.warn('no API keys configured (ASSAY_API_KEYS): nobody can submit or log in');
if (!config.api.sessionSecret) log.warn('ASSAY_SESSION_SECRET is not set: UI sessions end when this process restarts');

const server = app.listen(config.api.port, config.api.host, () => {
  const { address, port } = server.address() as AddressInfo;
  log.info({ address, port }, 'api listening');
});
server.headersTimeout = 20_000;
server.requestTimeout = 30_000;

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'shutting down');
  let code = 0;
  const force = setTimeout(() => server.closeAllConnections(), 10_000);
  for (const [what, close] of [
    ['http server', () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())))],
    ['queue', () => queue.close()],
    ['redis', () => Promise.all([redis.quit(), bull.quit()])],
  ] as const) {
    try {
      await close();
    } catch (err) {
      log.error({ err, what }, 'shutdown step failed');
      code = 1;
    }
  }
  clearTimeout(force);
  log.info('stopped');
  process.exit(code);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
