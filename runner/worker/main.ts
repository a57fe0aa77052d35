/**
 * Worker process entry point: `npm run worker`. Configuration from the environment (README).
 * SIGTERM/SIGINT: stop taking jobs, finish or hand back running ones, close everything, exit 0
 * (1 if a step failed). An unhandled rejection or uncaught exception is logged and shuts the
 * worker down the same way (runner/shutdown.ts), so its jobs go back to the queue at once.
 */
import { loadConfig } from '../config.ts';
import { createLogger } from '../log.ts';
import { installShutdown, startOrExit } from '../shutdown.ts';
import { startWorkerProcess } from './wire.ts';

const config = loadConfig();
const log = createLogger(config.logLevel, 'assay-worker');
const worker = await startOrExit(log, () => startWorkerProcess(config, { log }));
// Running jobs get the grace period, then their containers' removal and the connections' close.
installShutdown(worker, { log, timeoutMs: config.worker.shutdownGraceMs + 60_000 });
