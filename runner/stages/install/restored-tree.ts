/**
 * Checks that a node_modules tree taken from the dependency cache is the tree the lockfile
 * describes, using the hidden lockfile npm writes into it (`node_modules/.package-lock.json`).
 * The cache key already covers every install input; this is the second lock on the door: an
 * entry that was written under a key it does not belong to (a bug, or a poisoned cache
 * directory) is refused instead of being run for the next candidate. Pure.
 */

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
