/**
 * Worker process entry point: `npm run worker`. Configuration from the environment (README).
 * SIGTERM/SIGINT: stop taking jobs, finish or hand back running ones, close everything, exit 0.
 */
import { loadConfig } from '../config.ts';
import { ChallengeRepository } from '../challenges/repository.ts';
import { createLogger } from '../log.ts';
import { SubmissionQueue } from '../queue/queue.ts';
import { createDockerClient, ensureNetwork, loadImages } from '../sandbox/index.ts';
import { createRedis } from '../store/redis.ts';
import { SubmissionStore } from '../store/submissions.ts';
import { GradingWorker } from './worker.ts';
import { startWebhookWorker } from '../webhooks/index.ts';

const config = loadConfig();
const log = createLogger(config.logLevel, 'assay-worker');
const docker = createDockerClient(config.docker.host);
await ensureNetwork(docker, config.install.network);
const storeRedis = createRedis(config, 'store');
const bullConnection = createRedis(config, 'bullmq');
const store = new SubmissionStore(storeRedis, config.redis.prefix);
const queue = new SubmissionQueue({ connection: bullConnection, prefix: config.redis.prefix, attempts: config.worker.attempts });
const worker = new GradingWorker({
  config,
  docker,
  images: loadImages(config.imagesFile),
  challenges: new ChallengeRepository(config.challengesDir, config.maxima),
  store,
  queue,
  bullConnection,
  subscriber: createRedis(config, 'subscriber'),
  log,
});
await worker.start();
const webhooks = startWebhookWorker({ config, store, connection: bullConnection, log });

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'shutting down');
  let code = 0;
  for (const [what, close] of [
    ['grading worker', () => worker.close()],
    ['webhook worker', () => webhooks.close()],
    ['redis', () => Promise.all([storeRedis.quit(), bullConnection.quit()])],
  ] as const) {
    try {
      await close();
    } catch (err) {
      log.error({ err, what }, 'shutdown step failed');
      code = 1;
    }
  }
  log.info('stopped');
  process.exit(code);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
