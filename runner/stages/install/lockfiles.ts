/**
 * yarn.lock (classic v1 and berry) and pnpm-lock.yaml: parsed and checked against the same
 * policy as npm's lockfile (dependency-policy.ts) before anything installs. Every entry must be
 * a registry package: no git, URL, file, link, portal, exec or workspace specs, and any URL in
 * the file must point at the configured registry or one of the public ones (whose URLs are
 * mapped to the configured registry before the install, see remapRegistryUrls). Pure.
 *
 * Parsers: yarn classic's own parser (`@yarnpkg/lockfile`, the code yarn 1 reads the file
 * with, so what is checked here is what yarn installs); berry's lockfile and pnpm's are YAML,
 * read with `yaml` in its failsafe schema (every scalar a string, as berry's own reader does),
 * duplicate keys refused and no aliases at all (no lockfile writes any: an alias can only be a
 * YAML bomb). A file neither tool would write fails the check: the candidate's outcome.
 * On top of the structured checks, a raw-text scan refuses any URL or scp-like git address
 * outside the registries, so a parser difference cannot smuggle one past.
 */
import { createRequire } from 'node:module';
import { parse as parseYaml } from 'yaml';
import { isRegistrySpec, checkOverrideSpecs, PACKAGE_NAME, WORKSPACES_UNSUPPORTED } from './dependency-policy.ts';

// A webpack bundle in CommonJS: its exports are only reliably there through require (under tsx and vitest alike).
const lockfile = createRequire(import.meta.url)('@yarnpkg/lockfile') as typeof import('@yarnpkg/lockfile');

/** The public registries; lockfiles written against them are mapped to the configured one. */
export const PUBLIC_REGISTRIES = ['https://registry.npmjs.org/', 'https://registry.yarnpkg.com/'] as const;
/** Lockfiles larger than this are refused (a real one of a take-home is well under 2 MB). */
export const MAX_LOCKFILE_BYTES = 16 * 1024 * 1024;
const MAX_PROBLEMS = 20;

export type YarnFlavor = 'classic' | 'berry';

export interface LockfileCheck {
  problems: string[];
}

function withSlash(url: string): string {
  return url.replace(/\/?$/, '/');
}

/** URL prefixes a lockfile may name: the configured registry and the public ones. */
export function allowedRegistries(registry: string): string[] {
  return [...new Set([withSlash(registry), ...PUBLIC_REGISTRIES])];
}

/** Which yarn wrote this yarn.lock: berry's is YAML with a `__metadata` block. */
export function yarnLockFlavor(text: string): YarnFlavor {
  return /^__metadata:\s*$/m.test(text) ? 'berry' : 'classic';
}

/** berry's lockfile format version (`__metadata.version`), or undefined. */
export function berryLockVersion(text: string): number | undefined {
  const m = /^__metadata:\s*\n(?:[ \t]+.*\n)*?[ \t]+version:\s*"?(\d+)"?/m.exec(text);
  return m ? Number(m[1]) : undefined;
}

function parseYamlStrict(text: string, what: string): { ok: true; value: unknown } | { ok: false; problem: string } {
  try {
    return { ok: true, value: parseYaml(text, { schema: 'failsafe', uniqueKeys: true, maxAliasCount: 0, prettyErrors: false }) };
  } catch (err) {
    return { ok: false, problem: `${what} is not valid YAML (${String((err as Error).message).split('\n')[0]!.slice(0, 120)})` };
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Every URL and scp-like git address in the raw text must be under an allowed registry. */
function rawTextProblems(text: string, allowed: string[], file: string): string[] {
  const problems: string[] = [];
  for (const m of text.matchAll(/[a-z][a-z0-9+.-]*:\/\/[^\s"',}\]]*/gi)) {
    if (!allowed.some((a) => m[0].startsWith(a))) problems.push(`${file}: ${JSON.stringify(m[0].slice(0, 100))} is not on the registry`);
    if (problems.length >= 5) break;
  }
  const scp = /\bgit@[\w.-]+:/.exec(text);
  if (scp) problems.push(`${file}: a git address (${scp[0]}...) is not on the registry`);
  return problems;
}

/** `name@range` as written in a yarn classic key; the name may be scoped. */
function splitPattern(pattern: string): { name: string; range: string } | undefined {
  const at = pattern.indexOf('@', pattern.startsWith('@') ? 1 : 0);
  if (at <= 0) return undefined;
  return { name: pattern.slice(0, at), range: pattern.slice(at + 1) };
}

/** Each yarn classic lockfile pattern and its `resolved` URL, or undefined when the file cannot be read. */
export function parseYarnClassicEntries(text: string): Record<string, string> | undefined {
  try {
    const parsed = lockfile.parse(text);
    if (parsed.type !== 'success') return undefined;
    const out: Record<string, string> = {};
    for (const [pattern, entry] of Object.entries(parsed.object as Record<string, { resolved?: unknown }>)) if (typeof entry?.resolved === 'string') out[pattern] = entry.resolved;
    return out;
  } catch {
    return undefined;
  }
}

/** yarn classic (v1) lockfile. */
export function checkYarnClassicLock(text: string, registry: string): LockfileCheck {
  const allowed = allowedRegistries(registry);
  const problems = rawTextProblems(text, allowed, 'yarn.lock');
  let parsed: ReturnType<typeof lockfile.parse>;
  try {
    parsed = lockfile.parse(text);
  } catch (err) {
    return { problems: [`yarn.lock could not be read (${String((err as Error).message).slice(0, 120)})`] };
  }
  if (parsed.type !== 'success') return { problems: ['yarn.lock has merge conflicts: resolve them and commit the result'] };
  for (const [key, entry] of Object.entries(parsed.object as Record<string, unknown>)) {
    if (problems.length >= MAX_PROBLEMS) break;
    const where = `yarn.lock › ${key.slice(0, 80)}`;
    const pattern = splitPattern(key);
    if (!pattern || !PACKAGE_NAME.test(pattern.name)) {
      problems.push(`${where}: not a package pattern`);
      continue;
    }
    if (!isRegistrySpec(pattern.range)) problems.push(`${where}: must come from the registry`);
    if (!isObject(entry)) {
      problems.push(`${where}: not an entry`);
      continue;
    }
    const resolved = entry.resolved;
    if (typeof resolved !== 'string' || !allowed.some((a) => resolved.startsWith(a))) {
      problems.push(`${where}: resolves to ${JSON.stringify(resolved ?? null).slice(0, 100)}, not the registry`);
    }
  }
  return { problems: dedupe(problems) };
}

/**
 * A berry descriptor or resolution that stays on the registry: `npm:<range>` (or an alias
 * `npm:other@<range>`), or one of berry's built-in compatibility patches of one
 * (`patch:typescript@npm%3A...#optional!builtin<compat/typescript>`), which yarn applies to
 * typescript, fsevents and resolve on its own.
 */
function berryRangeOk(range: string): boolean {
  if (range.startsWith('npm:')) return isRegistrySpec(range.slice(4)) || isRegistrySpec(range);
  // yarn 4: `npm%3A^5.4.5#optional!builtin<...>`; yarn 2 and 3: `^4.9.5#~builtin<...>` or `npm%3A4.9.5#~builtin<...>`.
  const patch = /^patch:((?:@[^@/]+\/)?[^@/]+)@([^#]+)#(?:optional!)?~?builtin<compat\/[a-z-]+>(?:::[\w.=&-]*)?$/.exec(range);
  if (!patch) return false;
  let inner: string;
  try {
    inner = decodeURIComponent(patch[2]!);
  } catch {
    return false;
  }
  return inner.startsWith('npm:') ? berryRangeOk(inner) : isRegistrySpec(inner);
}

/** `name@<range>` where the name may be scoped. */
function berryDescriptorOk(descriptor: string): boolean {
  const d = splitPattern(descriptor);
  return d !== undefined && PACKAGE_NAME.test(d.name) && berryRangeOk(d.range);
}

/** yarn berry (2+) lockfile, YAML. The one `workspace:.` entry allowed is the repository itself. */
export function checkYarnBerryLock(text: string, registry: string): LockfileCheck {
  const allowed = allowedRegistries(registry);
  const problems = rawTextProblems(text, allowed, 'yarn.lock');
  const doc = parseYamlStrict(text, 'yarn.lock');
  if (!doc.ok) return { problems: [doc.problem] };
  if (!isObject(doc.value)) return { problems: ['yarn.lock is not a mapping of packages'] };
  let roots = 0;
  for (const [key, entry] of Object.entries(doc.value)) {
    if (problems.length >= MAX_PROBLEMS) break;
    if (key === '__metadata') continue;
    const where = `yarn.lock › ${key.slice(0, 80)}`;
    if (!isObject(entry)) {
      problems.push(`${where}: not an entry`);
      continue;
    }
    const resolution = typeof entry.resolution === 'string' ? entry.resolution : '';
    const descriptors = key.split(',').map((s) => s.trim());
    if (/^(?:@[^@/]+\/)?[^@/]+@workspace:\.$/.test(resolution) && descriptors.every((d) => d === resolution)) {
      roots++; // the repository's own package
      continue;
    }
    for (const d of descriptors) if (!berryDescriptorOk(d)) problems.push(`${where}: ${JSON.stringify(d.slice(0, 100))} must come from the registry`);
    if (!berryDescriptorOk(resolution)) problems.push(`${where}: resolves to ${JSON.stringify(resolution.slice(0, 100))}, not the registry`);
  }
  if (roots > 1) problems.push(`yarn.lock has several workspaces: ${WORKSPACES_UNSUPPORTED}`);
  return { problems: dedupe(problems) };
}

/** Importer specs pnpm writes for registry dependencies: a version, maybe with a peer suffix `(x@1)`. */
const PNPM_VERSION = /^\d[\w.+-]*(\([^()]*\))*$/;
/** An aliased registry dependency's version in pnpm-lock: `name@version(peers)`. */
const PNPM_ALIAS_VERSION = /^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*@\d[\w.+-]*(\([^()]*\))*$/i;

/** pnpm lockfile (v6 `'6.0'` and v9 `'9.0'`). */
export function checkPnpmLock(text: string, registry: string): LockfileCheck {
  const allowed = allowedRegistries(registry);
  const problems = rawTextProblems(text, allowed, 'pnpm-lock.yaml');
  const doc = parseYamlStrict(text, 'pnpm-lock.yaml');
  if (!doc.ok) return { problems: [doc.problem] };
  const lock = doc.value;
  if (!isObject(lock)) return { problems: ['pnpm-lock.yaml is not a mapping'] };
  const version = String(lock.lockfileVersion ?? '');
  if (!/^[5-9]\.\d+$/.test(version)) problems.push(`pnpm-lock.yaml: lockfileVersion ${JSON.stringify(version).slice(0, 20)} is not one Assay's pnpm reads (5.x to 9.x)`);
  if (lock.patchedDependencies !== undefined) problems.push('pnpm-lock.yaml: patched dependencies are not supported (the patch files change registry packages)');
  if (lock.overrides !== undefined) checkOverrideSpecs(lock.overrides, 'pnpm-lock.yaml overrides', problems);

  // v9 and workspace v6 lockfiles list importers; a single-package v6 one has them at the top.
  const importers = isObject(lock.importers) ? lock.importers : { '.': lock };
  for (const [importer, deps] of Object.entries(importers)) {
    if (importer !== '.') {
      problems.push(`pnpm-lock.yaml: importer ${JSON.stringify(importer.slice(0, 60))}: ${WORKSPACES_UNSUPPORTED}`);
      continue;
    }
    if (!isObject(deps)) continue;
    for (const field of ['dependencies', 'devDependencies', 'optionalDependencies'] as const) {
      const group = deps[field];
      if (group === undefined) continue;
      if (!isObject(group)) {
        problems.push(`pnpm-lock.yaml: ${field} is not a mapping`);
        continue;
      }
      for (const [name, dep] of Object.entries(group)) {
        const where = `pnpm-lock.yaml › ${field} › ${name.slice(0, 60)}`;
        // v6+: { specifier, version }; v5: a bare version string.
        const spec = isObject(dep) ? dep.specifier : undefined;
        const resolvedVersion = isObject(dep) ? dep.version : dep;
        if (spec !== undefined && (typeof spec !== 'string' || !isRegistrySpec(spec))) problems.push(`${where}: ${JSON.stringify(spec).slice(0, 80)} must come from the registry`);
        if (typeof resolvedVersion !== 'string' || !(PNPM_VERSION.test(resolvedVersion) || PNPM_ALIAS_VERSION.test(resolvedVersion) || /^\/[^:]+$/.test(resolvedVersion))) {
          problems.push(`${where}: resolves to ${JSON.stringify(resolvedVersion).slice(0, 80)}, not the registry`);
        }
      }
    }
  }

  const packages = lock.packages ?? {};
  if (!isObject(packages)) return { problems: dedupe([...problems, 'pnpm-lock.yaml: packages is not a mapping']) };
  for (const [key, entry] of Object.entries(packages)) {
    if (problems.length >= MAX_PROBLEMS) break;
    const where = `pnpm-lock.yaml › ${key.slice(0, 80)}`;
    if (/:/.test(key)) problems.push(`${where}: not a registry package`); // file:, link:, https://, git...
    const resolution = isObject(entry) ? entry.resolution : undefined;
    if (!isObject(resolution)) {
      problems.push(`${where}: has no resolution`);
      continue;
    }
    const extra = Object.keys(resolution).filter((k) => k !== 'integrity' && k !== 'tarball');
    if (extra.length || typeof resolution.integrity !== 'string') problems.push(`${where}: resolves to ${JSON.stringify(resolution).slice(0, 100)}, not the registry`);
    const tarball = resolution.tarball;
    if (tarball !== undefined && (typeof tarball !== 'string' || !allowed.some((a) => tarball.startsWith(a)))) problems.push(`${where}: resolves to ${JSON.stringify(tarball).slice(0, 100)}, not the registry`);
  }
  return { problems: dedupe(problems) };
}

/** pnpm-workspace.yaml settings that only choose which dependency builds may run. */
const PNPM_WORKSPACE_KEYS = new Set(['packages', 'onlyBuiltDependencies', 'ignoredBuiltDependencies', 'neverBuiltDependencies', 'allowBuilds', 'strictDepBuilds']);

/**
 * pnpm-workspace.yaml: pnpm 10 writes one holding only the dependencies allowed to build, and
 * that is all that is accepted. Other settings (registries, catalogs, config dependencies,
 * hooks, overrides, patches) are refused rather than half-honoured.
 */
export function checkPnpmWorkspace(text: string): LockfileCheck {
  const doc = parseYamlStrict(text, 'pnpm-workspace.yaml');
  if (!doc.ok) return { problems: [doc.problem] };
  if (doc.value === null || doc.value === undefined || doc.value === '') return { problems: [] };
  if (!isObject(doc.value)) return { problems: ['pnpm-workspace.yaml is not a mapping'] };
  const problems: string[] = [];
  for (const [key, value] of Object.entries(doc.value)) {
    if (!PNPM_WORKSPACE_KEYS.has(key)) problems.push(`pnpm-workspace.yaml: the setting ${JSON.stringify(key.slice(0, 60))} is not supported (only the build allow-lists are)`);
    else if (key === 'packages' && !(Array.isArray(value) && value.every((p) => p === '.'))) problems.push(`pnpm-workspace.yaml: ${WORKSPACES_UNSUPPORTED}`);
  }
  return { problems };
}

/**
 * Rewrites the public registries' URLs in a lockfile to the configured registry, so the
 * install fetches every tarball from there (yarn classic fetches a `resolved` URL as it is
 * written; pnpm a `tarball` one). Only called on a lockfile that passed its check, where every
 * URL is under an allowed registry; undefined when nothing changes.
 */
export function remapRegistryUrls(text: string, registry: string): string | undefined {
  const target = withSlash(registry);
  let out = text;
  for (const pub of PUBLIC_REGISTRIES) if (pub !== target) out = out.split(pub).join(target);
  return out === text ? undefined : out;
}

function dedupe(problems: string[]): string[] {
  return [...new Set(problems)];
}
