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
  | {
      kind: 'run';
      argv: string[];
      dependencies: number;
      /**
       * Set only for reproducible (`npm ci`) installs: the lockfile npm will install from
       * (npm-shrinkwrap.json wins over package-lock.json) and, for the dependency cache key,
       * the hash of every install input in the repository (package.json and every lockfile present).
       */
      locked?: { lockfile: LockfileName; lock: unknown; inputsHash: string };
    };

/** Lockfiles npm reads, in the order npm prefers them. */
export const NPM_LOCKFILES = ['npm-shrinkwrap.json', 'package-lock.json'] as const;
export type LockfileName = (typeof NPM_LOCKFILES)[number];
/** Every file whose bytes can change what an install produces (hashed into the cache key). */
const INSTALL_INPUTS = ['package.json', ...NPM_LOCKFILES, 'yarn.lock', 'pnpm-lock.yaml'];

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

async function firstRegularFile<T extends string>(dir: string, names: readonly T[]): Promise<T | undefined> {
  for (const name of names) if (await isRegularFile(path.join(dir, name))) return name;
  return undefined;
}

/** sha256 over the name and bytes of each install input present (absent ones count as absent). */
async function hashInstallInputs(repoDir: string): Promise<string> {
  const hash = createHash('sha256');
  for (const name of INSTALL_INPUTS) {
    const file = path.join(repoDir, name);
    const bytes = (await isRegularFile(file)) ? await readFile(file) : undefined;
    hash.update(`${name}\0${bytes ? bytes.length : -1}\0`);
    if (bytes) hash.update(bytes);
  }
  return hash.digest('hex');
}

/** Returns the plan, or the reason no allowed runtime was found. */
export async function planRuntime(repoDir: string, allowed: readonly Runtime[], npmRegistry: string): Promise<RuntimePlan | { missing: string }> {
  if (allowed.includes('node') && (await isRegularFile(path.join(repoDir, 'package.json')))) {
    const pkg = await readJson(path.join(repoDir, 'package.json'));
    if (pkg === undefined) return { runtime: 'node', install: { kind: 'reject', reason: 'package.json is not valid JSON' }, startArgv: ['npm', 'start'] };
    // npm installs from npm-shrinkwrap.json when it exists, whatever package-lock.json says: check that one.
    const lockName = await firstRegularFile(repoDir, NPM_LOCKFILES);
    const lock = lockName ? await readJson(path.join(repoDir, lockName)) : undefined;
    if (lockName && lock === undefined) return { runtime: 'node', install: { kind: 'reject', reason: `${lockName} is not valid JSON` }, startArgv: ['npm', 'start'] };
    const deps = checkDependencies(pkg, lock, npmRegistry);
    const startArgv = startCommand(pkg, await isRegularFile(path.join(repoDir, 'server.js')));
    if (deps.problems.length) return { runtime: 'node', install: { kind: 'reject', reason: deps.problems.slice(0, 5).join('; ') }, startArgv };
    if (deps.count === 0) return { runtime: 'node', install: { kind: 'skip', reason: 'no dependencies to install' }, startArgv };
    const common = ['--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=warn'];
    if (!lockName) return { runtime: 'node', install: { kind: 'run', argv: ['npm', 'install', ...common], dependencies: deps.count }, startArgv };
    const inputsHash = await hashInstallInputs(repoDir);
    return { runtime: 'node', install: { kind: 'run', argv: ['npm', 'ci', ...common], dependencies: deps.count, locked: { lockfile: lockName, lock, inputsHash } }, startArgv };
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
