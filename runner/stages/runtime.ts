/**
 * Which runtime a submission uses, from the files at its root, and the commands that install
 * and start it. Node: package.json, `npm start`. Python: main.py, `python3 main.py` (standard
 * library only, nothing to install).
 */
import { createHash } from 'node:crypto';
import { lstat, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Runtime } from '../challenges/manifest.ts';
import { checkDependencies } from './install/dependency-policy.ts';

export type InstallPlan =
  | { kind: 'skip'; reason: string }
  | { kind: 'reject'; reason: string }
  /** lockfileHash: sha256 of the lockfile, set only for reproducible (`npm ci`) installs. */
  | { kind: 'run'; argv: string[]; dependencies: number; lockfileHash?: string };

export interface RuntimePlan {
  runtime: Runtime;
  install: InstallPlan;
  startArgv: string[];
}

async function isRegularFile(p: string): Promise<boolean> {
  try {
    return (await lstat(p)).isFile();
  } catch {
    return false;
  }
}

async function readJson(p: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(p, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Returns the plan, or the reason no allowed runtime was found. */
export async function planRuntime(repoDir: string, allowed: readonly Runtime[], npmRegistry: string): Promise<RuntimePlan | { missing: string }> {
  if (allowed.includes('node') && (await isRegularFile(path.join(repoDir, 'package.json')))) {
    const pkg = await readJson(path.join(repoDir, 'package.json'));
    if (pkg === undefined) return { runtime: 'node', install: { kind: 'reject', reason: 'package.json is not valid JSON' }, startArgv: ['npm', 'start'] };
    const lockName = (await isRegularFile(path.join(repoDir, 'package-lock.json'))) ? 'package-lock.json' : (await isRegularFile(path.join(repoDir, 'npm-shrinkwrap.json'))) ? 'npm-shrinkwrap.json' : undefined;
    const lock = lockName ? await readJson(path.join(repoDir, lockName)) : undefined;
    const deps = checkDependencies(pkg, lock, npmRegistry);
    const startArgv = startCommand(pkg, await isRegularFile(path.join(repoDir, 'server.js')));
    if (deps.problems.length) return { runtime: 'node', install: { kind: 'reject', reason: deps.problems.slice(0, 5).join('; ') }, startArgv };
    if (deps.count === 0) return { runtime: 'node', install: { kind: 'skip', reason: 'no dependencies to install' }, startArgv };
    const common = ['--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=warn'];
    if (!lockName) return { runtime: 'node', install: { kind: 'run', argv: ['npm', 'install', ...common], dependencies: deps.count }, startArgv };
    const lockfileHash = createHash('sha256').update(await readFile(path.join(repoDir, lockName))).digest('hex');
    return { runtime: 'node', install: { kind: 'run', argv: ['npm', 'ci', ...common], dependencies: deps.count, lockfileHash }, startArgv };
  }
  if (allowed.includes('python') && (await isRegularFile(path.join(repoDir, 'main.py')))) {
    return { runtime: 'python', install: { kind: 'skip', reason: 'Python submissions use the standard library only' }, startArgv: ['python3', 'main.py'] };
  }
  const wanted = allowed.map((r) => (r === 'node' ? 'package.json (Node.js)' : 'main.py (Python 3)')).join(' or ');
  return { missing: `no ${wanted} at the repository root` };
}

/**
 * `npm start`, except when the start script is plainly `node <file>` (or absent, where npm
 * itself would run `node server.js`): then node runs the file directly, which behaves the same
 * and saves npm's own start-up (CPU and a few hundred milliseconds per submission).
 */
export function startCommand(pkg: unknown, hasServerJs: boolean): string[] {
  const scripts = (pkg as { scripts?: Record<string, unknown> } | null)?.scripts;
  const start = scripts && typeof scripts === 'object' ? scripts.start : undefined;
  if (start === undefined && hasServerJs) return ['node', 'server.js'];
  const m = typeof start === 'string' ? /^node\s+((?!-)[A-Za-z0-9_./-]+)$/.exec(start.trim()) : null;
  const hasHooks = scripts && typeof scripts === 'object' && ('prestart' in scripts || 'poststart' in scripts);
  if (m && !hasHooks) return ['node', m[1]!];
  return ['npm', 'start', '--silent'];
}
