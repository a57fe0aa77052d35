/**
 * Checks, before anything is installed, that a Node submission's dependencies come from the
 * package registry only: no git, URL, file or link specs in package.json, and no lockfile entry
 * resolved from anywhere else (a lockfile can point npm at an internal address).
 */
export interface DependencyCheck {
  /** Number of declared dependencies of every kind. */
  count: number;
  problems: string[];
}

const DEP_FIELDS = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'] as const;
/** A package name as the registry allows it (scoped or not). */
export const PACKAGE_NAME = /^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*$/i;
const NAME = PACKAGE_NAME;
/** A registry spec: a semver range, a dist-tag, or an npm: alias of one. */
export function isRegistrySpec(spec: string): boolean {
  if (spec.startsWith('npm:')) {
    const rest = spec.slice(4);
    const at = rest.lastIndexOf('@');
    const name = at > 0 ? rest.slice(0, at) : rest;
    return NAME.test(name) && (at <= 0 || isRegistrySpec(rest.slice(at + 1)));
  }
  if (/[:/\\]/.test(spec)) return false; // git+, http:, file:, link:, github user/repo
  return /^[\w.\s^~<>=|*+-]*$/.test(spec);
}

/** Every leaf of an overrides/resolutions tree must be a registry spec or a `$name` reference. */
export function checkOverrideSpecs(value: unknown, where: string, problems: string[], depth = 0): void {
  if (depth > 8) {
    problems.push(`${where} is nested too deeply`);
  } else if (typeof value === 'string') {
    if (!/^\$[\w@./-]+$/.test(value) && !isRegistrySpec(value)) problems.push(`${where}: ${JSON.stringify(value).slice(0, 80)} must come from the registry`);
  } else if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value)) checkOverrideSpecs(child, `${where} › ${key.slice(0, 60)}`, problems, depth + 1);
  } else {
    problems.push(`${where} is not a string or an object`);
  }
}

/** Workspaces install their folders as links, which the policy does not follow; one package can be graded. */
export const WORKSPACES_UNSUPPORTED =
  'workspaces are not supported: submit the service\'s own package, with its folder as the submission\'s path (for example "packages/api"), its own lockfile and every dependency from the registry';

export function checkDependencies(pkg: unknown, lock: unknown, registry: string): DependencyCheck {
  const problems: string[] = [];
  let count = 0;
  if (!pkg || typeof pkg !== 'object') return { count: 0, problems: ['package.json is not a JSON object'] };
  for (const field of DEP_FIELDS) {
    const deps = (pkg as Record<string, unknown>)[field];
    if (deps === undefined) continue;
    if (!deps || typeof deps !== 'object' || Array.isArray(deps)) {
      problems.push(`package.json ${field} is not an object`);
      continue;
    }
    for (const [name, spec] of Object.entries(deps)) {
      count++;
      if (!NAME.test(name)) problems.push(`${field}: "${name}" is not a valid package name`);
      else if (typeof spec !== 'string' || !isRegistrySpec(spec)) problems.push(`${field}: "${name}" must come from the registry (got ${JSON.stringify(spec).slice(0, 80)})`);
    }
  }
  // overrides (npm) and resolutions (yarn) replace specs deep in the tree; workspaces install local folders.
  for (const field of ['overrides', 'resolutions'] as const) {
    const value = (pkg as Record<string, unknown>)[field];
    if (value !== undefined) checkOverrideSpecs(value, `package.json ${field}`, problems);
  }
  // pnpm reads its overrides and patches from package.json's "pnpm" field.
  const pnpmField = (pkg as Record<string, unknown>).pnpm;
  if (pnpmField && typeof pnpmField === 'object') {
    const { overrides, patchedDependencies } = pnpmField as Record<string, unknown>;
    if (overrides !== undefined) checkOverrideSpecs(overrides, 'package.json pnpm.overrides', problems);
    if (patchedDependencies !== undefined) problems.push('package.json pnpm.patchedDependencies: patched dependencies are not supported (the patch files change registry packages)');
  }
  const workspaces = (pkg as Record<string, unknown>).workspaces !== undefined;
  if (workspaces) problems.push(WORKSPACES_UNSUPPORTED);
  const bundled = (pkg as Record<string, unknown>).bundleDependencies ?? (pkg as Record<string, unknown>).bundledDependencies;
  if (bundled && (bundled === true || (Array.isArray(bundled) && bundled.length))) problems.push('bundled dependencies are not supported');

  if (lock && typeof lock === 'object') {
    const allowed = [registry.replace(/\/?$/, '/'), 'https://registry.npmjs.org/'];
    const packages = (lock as { packages?: Record<string, Record<string, unknown>> }).packages ?? {};
    for (const [where, entry] of Object.entries(packages)) {
      if (!entry || typeof entry !== 'object') continue;
      if (where === '') continue;
      // A workspace's links and their folders: already named by WORKSPACES_UNSUPPORTED.
      if (workspaces && (entry.link === true || !where.includes('node_modules/'))) continue;
      if (entry.link === true) problems.push(`lockfile: ${where} is a link`);
      const resolved = entry.resolved;
      if (resolved !== undefined && (typeof resolved !== 'string' || !allowed.some((a) => resolved.startsWith(a)))) {
        problems.push(`lockfile: ${where} resolves to ${JSON.stringify(resolved).slice(0, 100)}, not the registry`);
      }
    }
    const legacy = (lock as { dependencies?: Record<string, { resolved?: unknown }> }).dependencies ?? {};
    for (const [name, entry] of Object.entries(legacy)) {
      const resolved = entry?.resolved;
      if (typeof resolved === 'string' && !allowed.some((a) => resolved.startsWith(a))) problems.push(`lockfile: ${name} resolves outside the registry`);
    }
  }
  return { count, problems };
}
