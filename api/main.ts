/**
 * API process entry point: `npm run api`. Configuration from the environment (README); listens
 * on ASSAY_API_HOST:ASSAY_API_PORT. SIGTERM/SIGINT: stop accepting, finish in-flight requests
 * (at most 10 s), close Redis and the queue, exit 0 (1 if a step failed). An unhandled rejection
 * or uncaught exception is logged and shuts the process down the same way (runner/shutdown.ts).
 */
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../runner/config.ts';
import { createLogger } from '../runner/log.ts';
import { installShutdown, startOrExit } from '../runner/shutdown.ts';
import { API_DRAIN_MS, createApiProcess } from './wire.ts';

const config = loadConfig();
const log = createLogger(config.logLevel, 'assay-api');
if (config.api.keys.length === 0 && !config.api.openSubmissions) log.warn('no API keys configured (ASSAY_API_KEYS): nobody can submit or log in');
if (!config.api.sessionSecret) log.warn('ASSAY_SESSION_SECRET is not set: UI sessions end when this process restarts');

const api = await startOrExit(log, () => createApiProcess(config, { log, defaultMetrics: true }));
const { shutdown } = installShutdown(api, { log, timeoutMs: API_DRAIN_MS + 20_000 });
api.listen().then(
  (server) => {
    const { address, port } = server.address() as AddressInfo;
    log.info({ address, port }, 'api listening');
  },
  (err: unknown) => {
    log.fatal({ err }, 'cannot listen');
    void shutdown('listen failed', 1);
  },
);
