/**
 * Launchers (start, demo, bench) pass the settings written by scripts/setup.sh (.assay/env:
 * REDIS_URL and its password) to the processes they start, unless the environment already
 * sets them. The processes themselves read only their environment (runner/config.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../../runner/devtools/processes.ts';

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
