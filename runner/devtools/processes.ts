/**
 * Assay's entry points as child processes, for launchers (npm start, demo, bench, soak) and
 * multi-process tests: start one with its output prefixed, stop it as an operator would
 * (SIGTERM, then SIGKILL after a deadline), wait for an HTTP endpoint to answer.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/** The repository root: entry points are given relative to it. */
export const ROOT = path.resolve(import.meta.dirname, '../..');

/** Starts one of Assay's TypeScript entry points as a child process (argv, no shell). */
export function startProcess(entry: string, env: Record<string, string>, name: string): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, entry)], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const prefix = (line: string) => `${name.padEnd(7)}| ${line}\n`;
  for (const stream of [child.stdout!, child.stderr!]) {
    let buf = '';
    stream.on('data', (chunk: Buffer) => {
      buf += chunk.toString();
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const l of lines) if (env.ASSAY_QUIET_CHILDREN !== '1') process.stderr.write(prefix(l));
    });
  }
  return child;
}

export async function stopProcess(child: ChildProcess, timeoutMs = 40_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
}

export async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
      last = `${res.status} ${await res.text()}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms: ${last}`);
}
