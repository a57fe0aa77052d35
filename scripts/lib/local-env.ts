/**
 * Launchers (start, demo, bench) pass the settings written by scripts/setup.sh (.assay/env:
 * REDIS_URL and its password) to the processes they start, unless the environment already
 * sets them. The processes themselves read only their environment (runner/config.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');

export function localEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  const file = path.join(ROOT, '.assay/env');
  if (existsSync(file)) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
      if (m) env[m[1]!] = m[2]!;
    }
  }
  return { ...env, ...(process.env as Record<string, string>), ...extra };
}

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
