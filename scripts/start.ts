/**
 * `npm start`: runs the API (with the reviewer UI) and one worker on this machine, with the
 * settings from the environment and .assay/env. For more workers or hosts run `npm run worker`
 * elsewhere against the same Redis (README: "Running on several machines").
 * Ctrl-C / SIGTERM stops both gracefully.
 */
import { localEnv, startProcess, stopProcess } from './lib/local-env.ts';

const env = localEnv();
const api = startProcess('api/main.ts', env, 'api');
const worker = startProcess('runner/worker/main.ts', env, 'worker');
let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await Promise.all([stopProcess(api), stopProcess(worker)]);
  process.exit(0);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
for (const child of [api, worker]) child.on('exit', (code) => { if (!stopping) { process.stderr.write(`a process exited with code ${code}; stopping\n`); void stop(); } });
