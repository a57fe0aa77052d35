/**
 * Checks that a node_modules tree taken from the dependency cache is the tree the lockfile
 * describes, using the hidden lockfile npm writes into it (`node_modules/.package-lock.json`).
 * The cache key already covers every install input; this is the second lock on the door: an
 * entry that was written under a key it does not belong to (a bug, or a poisoned cache
 * directory) is refused instead of being run for the next candidate. Pure.
 */
import { parse as parseYaml } from 'yaml';
import { parseYarnClassicEntries } from './lockfiles.ts';

type LockPackages = Record<string, { version?: unknown; integrity?: unknown; resolved?: unknown; optional?: unknown; link?: unknown; dev?: unknown } | undefined>;

function packagesOf(lock: unknown): LockPackages | undefined {
  const packages = (lock as { packages?: unknown } | null)?.packages;
  return packages && typeof packages === 'object' && !Array.isArray(packages) ? (packages as LockPackages) : undefined;
}

/** Returns undefined when the restored tree matches the lockfile, or why it does not. */
export function restoredTreeMismatch(lockfile: unknown, hiddenLockfile: unknown): string | undefined {
  const wanted = packagesOf(lockfile);
  const restored = packagesOf(hiddenLockfile);
  if (!wanted) return 'the lockfile has no "packages" section (lockfileVersion 2 or later is needed for the cache)';
  if (!restored) return 'the cached tree has no node_modules/.package-lock.json';
  for (const [where, entry] of Object.entries(restored)) {
    const want = wanted[where];
    if (!want) return `${where} is in the cached tree but not in the lockfile`;
    for (const field of ['version', 'integrity', 'resolved'] as const) {
      if (entry?.[field] !== undefined && entry[field] !== want[field]) return `${where} ${field} differs from the lockfile`;
    }
  }
  for (const [where, want] of Object.entries(wanted)) {
    if (where === '' || !where.startsWith('node_modules/') || want?.optional === true || want?.link === true) continue;
    if (!restored[where]) return `${where} is in the lockfile but not in the cached tree`;
  }
  return undefined;
}

/**
 * pnpm, yarn classic and yarn berry leave their own record of what they installed in the tree:
 * `node_modules/.pnpm/lock.yaml` (a copy of the lockfile), `node_modules/.yarn-integrity`
 * (each lockfile pattern and the URL it was fetched from), `node_modules/.yarn-state.yml` (each
 * installed locator). The same door as npm's, checked the same way: every package the cached
 * tree records must be in the lockfile, as the lockfile has it.
 */
export type TreeCheck = { kind: 'npm'; lock: unknown } | { kind: 'pnpm' | 'yarn-classic' | 'yarn-berry'; lock: string };

/** Where each manager's record sits in the archive (paths as tarred from /workspace). */
export const TREE_RECORDS: Readonly<Record<TreeCheck['kind'], string>> = {
  npm: 'node_modules/.package-lock.json',
  pnpm: 'node_modules/.pnpm/lock.yaml',
  'yarn-classic': 'node_modules/.yarn-integrity',
  'yarn-berry': 'node_modules/.yarn-state.yml',
};

function yamlMap(text: string): Record<string, unknown> | undefined {
  try {
    const doc: unknown = parseYaml(text, { schema: 'failsafe', uniqueKeys: true, maxAliasCount: 0 });
    return doc && typeof doc === 'object' && !Array.isArray(doc) ? (doc as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function integrityOf(entry: unknown): unknown {
  return ((entry as { resolution?: { integrity?: unknown } } | null)?.resolution ?? {}).integrity;
}

/** Returns undefined when the cached tree's record matches the lockfile, or why it does not. */
export function restoredTreeMismatchFor(check: TreeCheck, record: Buffer | undefined): string | undefined {
  if (check.kind === 'npm') {
    let hidden: unknown;
    try {
      hidden = record ? JSON.parse(record.toString('utf8')) : undefined;
    } catch {
      hidden = undefined;
    }
    return restoredTreeMismatch(check.lock, hidden);
  }
  if (!record) return `the cached tree has no ${TREE_RECORDS[check.kind]}`;
  const text = record.toString('utf8');
  if (check.kind === 'pnpm') {
    const wanted = yamlMap(check.lock)?.packages as Record<string, unknown> | undefined;
    const restored = yamlMap(text)?.packages as Record<string, unknown> | undefined;
    if (!wanted || !restored || typeof restored !== 'object') return 'the cached tree has no readable node_modules/.pnpm/lock.yaml';
    for (const [key, entry] of Object.entries(restored)) {
      if (!(key in wanted)) return `${key} is in the cached tree but not in the lockfile`;
      if (integrityOf(entry) !== integrityOf(wanted[key])) return `${key} integrity differs from the lockfile`;
    }
    return Object.keys(restored).length ? undefined : 'the cached tree records no packages';
  }
  if (check.kind === 'yarn-classic') {
    let entries: Record<string, unknown> | undefined;
    try {
      entries = (JSON.parse(text) as { lockfileEntries?: Record<string, unknown> }).lockfileEntries;
    } catch {
      entries = undefined;
    }
    if (!entries || typeof entries !== 'object') return 'the cached tree has no readable node_modules/.yarn-integrity';
    const wanted = parseYarnClassicEntries(check.lock);
    if (!wanted) return 'the lockfile could not be read';
    for (const [pattern, resolved] of Object.entries(entries)) {
      if (wanted[pattern] === undefined) return `${pattern} is in the cached tree but not in the lockfile`;
      if (wanted[pattern] !== resolved) return `${pattern} resolved differs from the lockfile`;
    }
    return Object.keys(entries).length ? undefined : 'the cached tree records no packages';
  }
  const state = yamlMap(text);
  const lock = yamlMap(check.lock);
  if (!state || !lock) return 'the cached tree has no readable node_modules/.yarn-state.yml';
  const resolutions = new Set(Object.values(lock).map((e) => (e as { resolution?: unknown } | null)?.resolution).filter((r): r is string => typeof r === 'string'));
  const locators = Object.keys(state).filter((k) => k !== '__metadata');
  // A package with peer dependencies is installed under a virtual locator of its resolution: `debug@virtual:<hash>#npm:4.4.3`.
  const unvirtual = (locator: string) => locator.replace(/@virtual:[0-9a-f]+#/, '@');
  for (const locator of locators) if (!resolutions.has(unvirtual(locator))) return `${locator} is in the cached tree but not in the lockfile`;
  return locators.length ? undefined : 'the cached tree records no packages';
}
