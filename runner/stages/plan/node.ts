/**
 * Node submissions: package.json at the root. The committed lockfile decides the package
 * manager (pnpm-lock.yaml: pnpm; yarn.lock: yarn classic or berry; npm-shrinkwrap.json or
 * package-lock.json: npm; with several, package.json's `packageManager` breaks the tie, else
 * npm's wins), and `packageManager` picks the version among those baked into the image
 * (./package-managers.ts). Every dependency is checked against the policy (registry only)
 * before anything installs: package.json, then the lockfile in its own format
 * (install/lockfiles.ts). Installs are frozen to the lockfile and run no lifecycle scripts;
 * the install stage may run dependencies' install scripts afterwards (`rebuildArgv`) when the
 * challenge allows it. Started with `npm start`, or `node <file>` when that is all it would do.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { checkDependencies } from '../install/dependency-policy.ts';
import {
  berryLockVersion,
  checkPnpmLock,
  checkPnpmWorkspace,
  checkYarnBerryLock,
  checkYarnClassicLock,
  MAX_LOCKFILE_BYTES,
  remapRegistryUrls,
  yarnLockFlavor,
  type YarnFlavor,
} from '../install/lockfiles.ts';
import { firstRegularFile, hashFiles, isRegularFile, isRegularFileWithin, readJson } from './files.ts';
import { parsePackageManagerField, pickVersion, type ManagerPick } from './package-managers.ts';
import type { InstallPlan, RuntimePlan } from './types.ts';

/** Lockfiles npm reads, in the order npm prefers them. */
export const NPM_LOCKFILES = ['npm-shrinkwrap.json', 'package-lock.json'] as const;
/** Every file whose bytes can change what an install produces (hashed into the cache key). */
const INSTALL_INPUTS = ['package.json', ...NPM_LOCKFILES, 'yarn.lock', 'pnpm-lock.yaml', 'pnpm-workspace.yaml'];
/** Files Plug'n'Play leaves in a repository. */
const PNP_FILES = ['.pnp.cjs', '.pnp.js', '.pnp.loader.mjs'];
const NPM_COMMON = ['--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=warn'];

type Manager = 'npm' | 'pnpm' | 'yarn';

interface Choice {
  manager: Manager;
  /** The lockfile the install is frozen to, when one is committed. */
  lockName?: string;
  notes: string[];
}

export async function planNode(repoDir: string, npmRegistry: string): Promise<RuntimePlan> {
  const pkg = await readJson(path.join(repoDir, 'package.json'));
  if (pkg === undefined) return { runtime: 'node', install: { kind: 'reject', reason: 'package.json is not valid JSON' }, startArgv: ['npm', 'start'] };
  const startArgv = startCommand(pkg, await isRegularFile(path.join(repoDir, 'server.js')), await mainEntry(repoDir, pkg));
  const install = await planInstall(repoDir, pkg, npmRegistry);
  return { runtime: 'node', install, startArgv };
}

async function planInstall(repoDir: string, pkg: unknown, registry: string): Promise<InstallPlan> {
  const reject = (problems: string[]): InstallPlan => ({ kind: 'reject', reason: problems.slice(0, 5).join('; ') });
  const choice = await chooseManager(repoDir, pkg);
  const lockText = choice.lockName && choice.manager !== 'npm' ? await readLockText(path.join(repoDir, choice.lockName)) : undefined;
  if (choice.lockName && choice.manager !== 'npm' && lockText === undefined) return reject([`${choice.lockName} could not be read (larger than ${MAX_LOCKFILE_BYTES / 1024 / 1024} MB?)`]);
  const npmLock = choice.manager === 'npm' && choice.lockName ? await readJson(path.join(repoDir, choice.lockName)) : undefined;
  if (choice.manager === 'npm' && choice.lockName && npmLock === undefined) return reject([`${choice.lockName} is not valid JSON`]);

  const deps = checkDependencies(pkg, npmLock, registry);
  const problems = [...deps.problems];
  const flavor: YarnFlavor | undefined = choice.manager === 'yarn' ? (lockText !== undefined ? yarnLockFlavor(lockText) : yarnFlavorOf(pkg)) : undefined;
  if (lockText !== undefined) {
    if (choice.manager === 'pnpm') problems.push(...checkPnpmLock(lockText, registry).problems);
    else if (flavor === 'berry') problems.push(...checkYarnBerryLock(lockText, registry).problems);
    else problems.push(...checkYarnClassicLock(lockText, registry).problems);
  }
  if (choice.manager === 'pnpm' && (await isRegularFile(path.join(repoDir, 'pnpm-workspace.yaml')))) {
    const text = await readLockText(path.join(repoDir, 'pnpm-workspace.yaml'));
    problems.push(...(text === undefined ? ['pnpm-workspace.yaml could not be read'] : checkPnpmWorkspace(text).problems));
  }
  if (flavor === 'berry') {
    const pnp = await plugAndPlay(repoDir, pkg);
    if (pnp.insists) problems.push(pnp.insists);
    else if (pnp.note) choice.notes.push(pnp.note);
  }
  if (problems.length) return reject(problems);
  if (deps.count === 0) return { kind: 'skip', reason: 'no dependencies to install' };

  const inputsHash = choice.lockName ? await hashFiles(repoDir, INSTALL_INPUTS) : undefined;
  const base = { kind: 'run' as const, dependencies: deps.count, outputs: ['node_modules'] };
  const plan = runPlan(choice, base, lockText, registry, pkg, npmLock, inputsHash);
  return choice.notes.length ? { ...plan, notes: choice.notes } : plan;
}

type RunInstallPlan = Extract<InstallPlan, { kind: 'run' }>;

/** argv and the rest per manager; picking a version may add to `choice.notes`. */
function runPlan(choice: Choice, base: Pick<RunInstallPlan, 'kind' | 'dependencies' | 'outputs'>, lockText: string | undefined, registry: string, pkg: unknown, npmLock: unknown, inputsHash: string | undefined): RunInstallPlan {
  const flavor: YarnFlavor | undefined = choice.manager === 'yarn' ? (lockText !== undefined ? yarnLockFlavor(lockText) : yarnFlavorOf(pkg)) : undefined;
  switch (choice.manager) {
    case 'npm': {
      const argv = choice.lockName ? ['npm', 'ci', ...NPM_COMMON] : ['npm', 'install', ...NPM_COMMON];
      return { ...base, manager: 'npm', argv, rebuildArgv: ['npm', 'rebuild', '--foreground-scripts'], ...(inputsHash ? { locked: { inputsHash, verify: { kind: 'npm', lock: npmLock } } } : {}) };
    }
    case 'pnpm': {
      // A v6 lockfile (pnpm 8) is read by pnpm 9; without packageManager, a v9 one gets pnpm 10
      // (pnpm 11 needs Node.js 22.13 or later, and the Node version is the candidate's choice).
      const requested = requestedVersion(pkg, 'pnpm') ?? (lockText !== undefined && /^lockfileVersion:\s*'?[5-6]\./m.test(lockText) ? '9' : '10');
      const pick = withNote(pickVersion('pnpm', requested), choice, requestedVersion(pkg, 'pnpm') !== undefined);
      const argv = ['node', pick.entryPath, 'install', choice.lockName ? '--frozen-lockfile' : '--no-frozen-lockfile', '--ignore-scripts', '--ignore-pnpmfile', '--reporter=append-only'];
      return { ...base, ...withInstallFiles(choice, lockText, registry), manager: 'pnpm', argv, rebuildArgv: ['node', pick.entryPath, 'rebuild'], tool: { name: 'pnpm', version: pick.baked.version }, ...(inputsHash && lockText !== undefined ? { locked: { inputsHash, verify: { kind: 'pnpm', lock: lockText } } } : {}) };
    }
    case 'yarn': {
      if (flavor === 'classic') {
        const pick = withNote(pickVersion('yarn', requestedVersion(pkg, 'yarn') ?? '1', (m) => m.version.startsWith('1.')), choice, false);
        const argv = ['node', pick.entryPath, 'install', ...(choice.lockName ? ['--frozen-lockfile'] : []), '--ignore-scripts', '--non-interactive', '--no-default-rc', '--no-progress'];
        // yarn classic has no rebuild command; npm's runs the scripts of packages in any node_modules tree.
        const files = withInstallFiles(choice, lockText, registry);
        const installed = files.installFiles?.[0]?.content.toString('utf8') ?? lockText; // the copy yarn installs from
        return { ...base, ...files, manager: 'yarn', argv, rebuildArgv: ['npm', 'rebuild', '--foreground-scripts'], tool: { name: 'yarn', version: pick.baked.version }, ...(inputsHash && installed !== undefined ? { locked: { inputsHash, verify: { kind: 'yarn-classic', lock: installed } } } : {}) };
      }
      const asked = requestedVersion(pkg, 'yarn');
      const lockVersion = lockText !== undefined ? berryLockVersion(lockText) : undefined;
      const requested = asked && Number(asked.split('.')[0]) >= 2 ? asked : lockVersion !== undefined && lockVersion <= 6 ? '3' : '4';
      const pick = withNote(pickVersion('yarn', requested, (m) => !m.version.startsWith('1.')), choice, asked !== undefined && Number(asked.split('.')[0]) >= 2);
      // --mode=skip-build: no package's build scripts; berry's own rebuild would also run the project's.
      const argv = ['node', pick.entryPath, 'install', ...(choice.lockName ? ['--immutable'] : []), '--mode=skip-build'];
      return { ...base, manager: 'yarn', argv, rebuildArgv: ['npm', 'rebuild', '--foreground-scripts'], tool: { name: 'yarn', version: pick.baked.version }, ...(inputsHash && lockText !== undefined ? { locked: { inputsHash, verify: { kind: 'yarn-berry', lock: lockText } } } : {}) };
    }
  }
}

/**
 * The committed lockfile wins: the one of the manager `packageManager` names, else the only
 * one, else npm's, pnpm's, yarn's in that order. Without a lockfile, `packageManager` decides.
 */
async function chooseManager(repoDir: string, pkg: unknown): Promise<Choice> {
  const field = parsePackageManagerField((pkg as { packageManager?: unknown } | null)?.packageManager);
  const notes: string[] = [];
  const named = field && field.name !== 'bun' ? (field.name as Manager) : undefined;
  if (field?.name === 'bun') notes.push('bun is not supported; the dependencies were installed from the lockfile found instead');
  const locks: { manager: Manager; lockName: string }[] = [];
  const npmLock = await firstRegularFile(repoDir, NPM_LOCKFILES);
  if (npmLock) locks.push({ manager: 'npm', lockName: npmLock });
  if (await isRegularFile(path.join(repoDir, 'pnpm-lock.yaml'))) locks.push({ manager: 'pnpm', lockName: 'pnpm-lock.yaml' });
  if (await isRegularFile(path.join(repoDir, 'yarn.lock'))) locks.push({ manager: 'yarn', lockName: 'yarn.lock' });
  if (locks.length === 0) return { manager: named ?? 'npm', notes };
  const chosen = locks.find((l) => l.manager === named) ?? locks[0]!;
  if (locks.length > 1) notes.push(`several lockfiles are committed (${locks.map((l) => l.lockName).join(', ')}); ${chosen.lockName} was used`);
  else if (named && named !== chosen.manager) notes.push(`package.json names ${field!.name} as its package manager, but the committed lockfile is ${chosen.lockName}: ${chosen.manager} installed it`);
  return { ...chosen, notes };
}

function requestedVersion(pkg: unknown, tool: 'pnpm' | 'yarn'): string | undefined {
  const field = parsePackageManagerField((pkg as { packageManager?: unknown } | null)?.packageManager);
  return field?.name === tool ? field.version : undefined;
}

/** Without a lockfile, `packageManager: yarn@2+` means berry. */
function yarnFlavorOf(pkg: unknown): YarnFlavor {
  const v = requestedVersion(pkg, 'yarn');
  return v !== undefined && Number(v.split('.')[0]) >= 2 ? 'berry' : 'classic';
}

function withNote(pick: ManagerPick, choice: Choice, asked: boolean): ManagerPick {
  if (asked && pick.note) choice.notes.push(pick.note);
  return pick;
}

/** yarn classic and pnpm fetch a lockfile's tarball URLs as written: map the public registries to the configured one. */
function withInstallFiles(choice: Choice, lockText: string | undefined, registry: string): { installFiles?: { path: string; content: Buffer }[] } {
  if (!choice.lockName || lockText === undefined) return {};
  const remapped = remapRegistryUrls(lockText, registry);
  return remapped === undefined ? {} : { installFiles: [{ path: choice.lockName, content: Buffer.from(remapped) }] };
}

/**
 * Plug'n'Play (berry's default linker) needs yarn at run time and files Assay does not keep,
 * so every berry install uses the node-modules linker. A repository whose scripts load the
 * Plug'n'Play runtime themselves (`-r ./.pnp.cjs`, `--loader ./.pnp.loader.mjs`, `yarn node`)
 * insists on it: that is refused with a message saying what to change. Committed .pnp files
 * or a `nodeLinker: pnp` setting alone only earn a note.
 */
async function plugAndPlay(repoDir: string, pkg: unknown): Promise<{ insists?: string; note?: string }> {
  const scripts = (pkg as { scripts?: Record<string, unknown> } | null)?.scripts;
  const runtimeScripts = ['start', 'prestart', 'build', 'prebuild'].map((n) => (scripts && typeof scripts === 'object' ? scripts[n] : undefined)).filter((s): s is string => typeof s === 'string');
  if (runtimeScripts.some((s) => /\.pnp\.(?:c?js|loader\.mjs)\b|\byarn\s+node\b/.test(s))) {
    return { insists: "the scripts load Yarn Plug'n'Play (.pnp.cjs or `yarn node`), which Assay does not support: dependencies are installed into node_modules (nodeLinker: node-modules), so start the service with plain `node`" };
  }
  const committed = [];
  for (const f of PNP_FILES) if (await isRegularFile(path.join(repoDir, f))) committed.push(f);
  const rc = await readLockText(path.join(repoDir, '.yarnrc.yml'));
  const pnpLinker = rc !== undefined && /^nodeLinker:\s*["']?pnp["']?\s*$/m.test(rc);
  if (committed.length || pnpLinker) {
    return { note: `Yarn Plug'n'Play is not supported: the dependencies were installed into node_modules (nodeLinker: node-modules)${committed.length ? ` and the committed ${committed.join(', ')} is not used` : ''}` };
  }
  return {};
}

/** A committed text file, never through a symlink; undefined when absent, not a regular file or too large. */
async function readLockText(file: string): Promise<string | undefined> {
  if (!(await isRegularFile(file))) return undefined;
  try {
    const bytes = await readFile(file);
    return bytes.length > MAX_LOCKFILE_BYTES ? undefined : bytes.toString('utf8');
  } catch {
    return undefined;
  }
}

/**
 * `npm start`, except when the start script is plainly `node <file>` (or absent, where npm
 * itself would run `node server.js`): then node runs the file directly, which behaves the same
 * and saves npm's own start-up (CPU and a few hundred milliseconds per submission). With no
 * start script and no server.js, `mainFile` (./mainEntry: what `node .` runs) is the service.
 */
export function startCommand(pkg: unknown, hasServerJs: boolean, mainFile?: string): string[] {
  const scripts = (pkg as { scripts?: Record<string, unknown> } | null)?.scripts;
  const start = scripts && typeof scripts === 'object' ? scripts.start : undefined;
  if (start === undefined && hasServerJs) return ['node', 'server.js'];
  // npm start would only fail ("Missing script"); the service is where `node .` finds it.
  if (start === undefined && mainFile) return ['node', mainFile];
  const m = typeof start === 'string' ? /^node\s+((?!-)[A-Za-z0-9_./-]+)$/.exec(start.trim()) : null;
  const hasHooks = scripts && typeof scripts === 'object' && ('prestart' in scripts || 'poststart' in scripts);
  if (m && !hasHooks) return ['node', m[1]!];
  // Not silenced when there is no start script at all: npm's own error then says so.
  return start === undefined ? ['npm', 'start'] : ['npm', 'start', '--silent'];
}

/**
 * The file `node .` runs: package.json `main` (as given, with .js, or its index.js), else
 * index.js; undefined when that is not a regular file inside the project.
 */
export async function mainEntry(repoDir: string, pkg: unknown): Promise<string | undefined> {
  const main = (pkg as { main?: unknown } | null)?.main;
  const given = typeof main === 'string' && main.trim() !== '' ? path.posix.normalize(main.trim()) : undefined;
  if (given !== undefined && (path.posix.isAbsolute(given) || given.split('/')[0] === '..')) return undefined;
  const candidates = given === undefined ? ['index.js'] : [given, `${given}.js`, path.posix.join(given, 'index.js')];
  for (const candidate of candidates) if (await isRegularFileWithin(repoDir, candidate)) return candidate;
  return undefined;
}
