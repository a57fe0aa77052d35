/**
 * `npm start`: runs the API (with the reviewer UI) and one worker on this machine, with the
 * settings from the environment and .assay/env. For more workers or hosts run `npm run worker`
 * elsewhere against the same Redis (README: "Running on several machines").
 * Ctrl-C / SIGTERM stops both gracefully and exits 0; when one of them exits on its own, the
 * other is stopped too and this exits 1. Prints both processes' output, each line prefixed.
 */
import { createLogger } from '../runner/log.ts';
import { installShutdown } from '../runner/shutdown.ts';
import { localEnv } from './lib/local-env.ts';
import { startProcess, stopProcess } from '../runner/devtools/processes.ts';

const env = localEnv();
const log = createLogger(env.ASSAY_LOG_LEVEL ?? 'info', 'assay-start');
const api = startProcess('api/main.ts', env, 'api');
const worker = startProcess('runner/worker/main.ts', env, 'worker');
let stopping = false;
// Each child has its own graceful shutdown; stopProcess sends SIGTERM and waits (SIGKILL after 40 s).
const stopBoth = async () => {
  stopping = true;
  await Promise.all([stopProcess(api), stopProcess(worker)]);
};
const { shutdown } = installShutdown({ close: stopBoth }, { log, timeoutMs: 60_000 });
for (const [name, child] of Object.entries({ api, worker })) {
  child.on('exit', (code, signal) => {
    if (stopping) return;
    log.error({ process: name, code, signal }, 'a process exited; stopping the other');
    void shutdown(`${name} exited`, 1);
  });
}
