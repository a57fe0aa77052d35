/**
 * Repository hygiene, computed on the worker from the fetched repository's listing: paths and
 * sizes only, read with lstat (no link followed, no file opened but the README's first bytes), so
 * no candidate code runs and nothing the candidate wrote is parsed here. It sees what the pack
 * stage drops before the sandbox (a committed node_modules, .venv, .npmrc). Secret-looking
 * strings need the files' contents: the analyser finds them in the sandbox (./stage.ts merges).
 */
import { constants as FS } from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { HygieneInsight } from '../../report/insights.ts';

export interface ListedEntry {
  /** Relative to the repository root, with forward slashes. */
  path: string;
  kind: 'file' | 'dir' | 'other';
  size: number;
}

export interface Listing {
  entries: ListedEntry[];
  /** The walk stopped at the entry cap or the depth cap: what follows is missing. */
  capped: boolean;
}

/** Bounds of the walk: a repository is already bounded by the fetch and pack limits; this bounds the worker's own work. */
export const LISTING_MAX_ENTRIES = 100_000;
const LISTING_MAX_DEPTH = 64;

/** Every entry of `root` but `.git`, breadth first, lstat only. */
export async function listRepository(root: string, maxEntries = LISTING_MAX_ENTRIES): Promise<Listing> {
  const entries: ListedEntry[] = [];
  let queue: { rel: string; depth: number }[] = [{ rel: '', depth: 0 }];
  let capped = false;
  while (queue.length) {
    const next: typeof queue = [];
    for (const { rel, depth } of queue) {
      let names: string[];
      try {
        names = await readdir(path.join(root, rel));
      } catch {
        continue;
      }
      for (const name of names.sort()) {
        if (name === '.git' && rel === '') continue;
        if (entries.length >= maxEntries) return { entries, capped: true };
        const childRel = rel ? `${rel}/${name}` : name;
        const st = await lstat(path.join(root, childRel)).catch(() => undefined);
        if (!st) continue;
        const kind = st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
        entries.push({ path: childRel, kind, size: kind === 'file' ? st.size : 0 });
        if (kind !== 'dir') continue;
        if (depth + 1 >= LISTING_MAX_DEPTH) capped = true;
        else next.push({ rel: childRel, depth: depth + 1 });
      }
    }
    queue = next;
  }
  return { entries, capped };
}

const LOCKFILES = new Set(['package-lock.json', 'npm-shrinkwrap.json', 'yarn.lock', 'pnpm-lock.yaml', 'bun.lock', 'bun.lockb', 'poetry.lock', 'Pipfile.lock', 'uv.lock', 'pdm.lock']);
const BUILD_DIRS = new Set(['dist', 'build', 'out', '.next', '.nuxt', 'coverage', '__pycache__', '.parcel-cache', '.turbo']);
const VENV_DIRS = new Set(['.venv', 'venv']);
const README = /^readme(\.(md|markdown|rst|txt|adoc))?$/i;
/** `.env`, `.env.local`, `.env.production`...: not the templates meant to be committed. */
const ENV_FILE = /^\.env(\.(?!example$|sample$|template$|dist$|defaults$)[\w.-]+)?$/i;
const MAX_PATHS = 10;

const base = (p: string) => p.slice(p.lastIndexOf('/') + 1);

/**
 * Hygiene from a listing (pure). Committed folders count once, at their outermost occurrence
 * (node_modules inside node_modules is the same mistake); `files` counts the files under them.
 * `readmeLines`: the README's line count, when the caller read it (see readmeOf).
 */
export function hygieneOf(listing: Listing, readmeLines?: number): HygieneInsight {
  const paths = new Set(listing.entries.map((e) => e.path));
  const kinds: { kind: HygieneInsight['committed'][number]['kind']; matches: (e: ListedEntry) => boolean }[] = [
    { kind: 'node_modules', matches: (e) => e.kind === 'dir' && base(e.path) === 'node_modules' },
    { kind: 'virtualenv', matches: (e) => e.kind === 'dir' && (VENV_DIRS.has(base(e.path)) || paths.has(`${e.path}/pyvenv.cfg`)) },
    { kind: 'build_output', matches: (e) => e.kind === 'dir' && BUILD_DIRS.has(base(e.path)) },
    { kind: 'env_file', matches: (e) => e.kind === 'file' && ENV_FILE.test(base(e.path)) },
  ];
  const roots = new Map<HygieneInsight['committed'][number]['kind'], string[]>();
  const dirRoots: string[] = []; // committed folders: what is under them is not the project's own
  const under = (p: string) => dirRoots.some((r) => p.startsWith(`${r}/`));
  const underCount = new Map<string, number>();
  for (const e of listing.entries) {
    const root = dirRoots.find((r) => e.path.startsWith(`${r}/`));
    if (root) {
      if (e.kind === 'file') underCount.set(root, (underCount.get(root) ?? 0) + 1);
      continue;
    }
    const k = kinds.find((x) => x.matches(e));
    if (!k) continue;
    roots.set(k.kind, [...(roots.get(k.kind) ?? []), e.path]);
    if (e.kind === 'dir') dirRoots.push(e.path);
  }
  const committed = kinds
    .filter((k) => roots.has(k.kind))
    .map((k) => {
      const list = roots.get(k.kind)!;
      const files = k.kind === 'env_file' ? list.length : list.reduce((n, r) => n + (underCount.get(r) ?? 0), 0);
      return { kind: k.kind, files, paths: list.slice(0, MAX_PATHS) };
    });
  const own = listing.entries.filter((e) => e.kind === 'file' && !under(e.path));
  const readme = readmeOf({ entries: own, capped: listing.capped });
  return {
    readme: readme ? { present: true, file: readme.path, bytes: readme.size, ...(readmeLines !== undefined ? { lines: readmeLines } : {}) } : { present: false },
    gitignore: own.some((e) => e.path === '.gitignore'),
    lockfiles: own.filter((e) => LOCKFILES.has(base(e.path))).map((e) => e.path).slice(0, MAX_PATHS),
    committed,
    secrets: [],
  };
}

/** The README closest to the root (README.md, readme.rst...), if any. */
export function readmeOf(listing: Listing): ListedEntry | undefined {
  const depth = (p: string) => p.split('/').length;
  return listing.entries.filter((e) => e.kind === 'file' && README.test(base(e.path))).sort((a, b) => depth(a.path) - depth(b.path) || (a.path < b.path ? -1 : 1))[0];
}

/** Lines of a README: newlines in its first MiB (a regular file only, opened without following a link). */
export async function countReadmeLines(root: string, rel: string): Promise<number | undefined> {
  const handle = await open(path.join(root, rel), FS.O_RDONLY | FS.O_NOFOLLOW).catch(() => undefined);
  if (!handle) return undefined;
  try {
    const st = await handle.stat();
    if (!st.isFile()) return undefined;
    const buf = Buffer.alloc(Math.min(st.size, 1 << 20));
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    const text = buf.subarray(0, bytesRead);
    let n = 0;
    for (const b of text) if (b === 10) n++;
    return bytesRead && text[bytesRead - 1] !== 10 ? n + 1 : n;
  } finally {
    await handle.close();
  }
}
