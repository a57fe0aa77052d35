/**
 * Node submissions: package.json at the root. Dependencies are checked against the policy
 * (registry only) before anything installs; `npm ci` when a lockfile is committed (npm reads
 * npm-shrinkwrap.json in preference to package-lock.json, so that is the one checked), `npm
 * install` otherwise. Started with `npm start`, or `node <file>` when that is all it would do.
 */
import path from 'node:path';
import { checkDependencies } from '../install/dependency-policy.ts';
import { firstRegularFile, hashFiles, isRegularFile, readJson } from './files.ts';
import type { RuntimePlan } from './types.ts';

/** Lockfiles npm reads, in the order npm prefers them. */
export const NPM_LOCKFILES = ['npm-shrinkwrap.json', 'package-lock.json'] as const;
/** Every file whose bytes can change what an install produces (hashed into the cache key). */
const INSTALL_INPUTS = ['package.json', ...NPM_LOCKFILES, 'yarn.lock', 'pnpm-lock.yaml'];

export async function planNode(repoDir: string, npmRegistry: string): Promise<RuntimePlan> {
  const pkg = await readJson(path.join(repoDir, 'package.json'));
  if (pkg === undefined) return { runtime: 'node', install: { kind: 'reject', reason: 'package.json is not valid JSON' }, startArgv: ['npm', 'start'] };
  const lockName = await firstRegularFile(repoDir, NPM_LOCKFILES);
  const lock = lockName ? await readJson(path.join(repoDir, lockName)) : undefined;
  if (lockName && lock === undefined) return { runtime: 'node', install: { kind: 'reject', reason: `${lockName} is not valid JSON` }, startArgv: ['npm', 'start'] };
  const deps = checkDependencies(pkg, lock, npmRegistry);
  const startArgv = startCommand(pkg, await isRegularFile(path.join(repoDir, 'server.js')));
  if (deps.problems.length) return { runtime: 'node', install: { kind: 'reject', reason: deps.problems.slice(0, 5).join('; ') }, startArgv };
  if (deps.count === 0) return { runtime: 'node', install: { kind: 'skip', reason: 'no dependencies to install' }, startArgv };
  const common = ['--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=warn'];
  const base = { kind: 'run' as const, manager: 'npm' as const, dependencies: deps.count, outputs: ['node_modules'] };
  if (!lockName) return { runtime: 'node', install: { ...base, argv: ['npm', 'install', ...common] }, startArgv };
  const inputsHash = await hashFiles(repoDir, INSTALL_INPUTS);
  return { runtime: 'node', install: { ...base, argv: ['npm', 'ci', ...common], locked: { inputsHash, verify: { kind: 'npm', lock } } }, startArgv };
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
