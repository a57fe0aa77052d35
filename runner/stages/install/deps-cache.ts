/**
 * Dependency cache: node_modules as installed by `npm ci` (scripts off) in a throwaway install
 * container, kept as a tar archive on the worker's disk. A candidate only ever reads from it:
 * the archive is taken right after the install, before any candidate code has run, and it is
 * streamed into the candidate's fresh workspace.
 * The key covers every input of the install (see CacheKeyInputs), so two submissions share an
 * entry only when npm would have installed the same tree for both; on restore the tree is also
 * checked against the lockfile (restored-tree.ts).
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Everything that decides what an install produces. */
export interface CacheKeyInputs {
  /** Hash of package.json and every lockfile in the repository (runner/stages/runtime.ts). */
  inputsHash: string;
  challengeId: string;
  challengeVersion: string;
  /** The challenge's install network mode (registry or none). */
  network: string;
  imageId: string;
  registry: string;
  argv: string[];
  /** Node: whether dependencies' install scripts ran (`sandboxed`) or not (`deny`): two different trees. */
  scripts?: string;
}

/** Read in 1 MiB chunks: a tree of tens of MB reaches the candidate's container about a third faster than in the default 64 KiB. */
const READ_CHUNK_BYTES = 1024 * 1024;

export interface CachedArchive {
  file: string;
  bytes: number;
  /** What was recorded beside the archive when it was written (e.g. the packages with install scripts). */
  meta?: unknown;
  /** A fresh read stream of the archive (call once per use). */
  open(): NodeJS.ReadableStream;
}

export class DependencyCache {
  constructor(private readonly dir: string, private readonly maxBytes: number) {}

  get enabled(): boolean {
    return this.maxBytes > 0;
  }

  static key(inputs: CacheKeyInputs): string {
    const parts = [inputs.inputsHash, inputs.challengeId, inputs.challengeVersion, inputs.network, inputs.imageId, inputs.registry, ...inputs.argv, ...(inputs.scripts ? [`scripts=${inputs.scripts}`] : [])];
    return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
  }

  async get(key: string): Promise<CachedArchive | undefined> {
    if (!this.enabled) return undefined;
    const file = path.join(this.dir, `${key}.tar`);
    try {
      const info = await stat(file);
      const now = new Date();
      await utimes(file, now, now).catch(() => undefined); // recency for pruning
      const meta = await readFile(path.join(this.dir, `${key}.json`), 'utf8').then((t) => JSON.parse(t) as unknown).catch(() => undefined);
      return { file, bytes: info.size, ...(meta !== undefined ? { meta } : {}), open: () => createReadStream(file, { highWaterMark: READ_CHUNK_BYTES }) };
    } catch {
      return undefined;
    }
  }

  /** Drops an entry that failed its check on restore. */
  async evict(key: string): Promise<void> {
    await rm(path.join(this.dir, `${key}.tar`), { force: true });
    await rm(path.join(this.dir, `${key}.json`), { force: true });
  }

  /** Writes atomically (temp file + rename), then prunes least recently used entries. */
  async put(key: string, archive: Buffer, meta?: unknown): Promise<void> {
    if (!this.enabled || archive.length > this.maxBytes) return;
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    if (meta !== undefined) {
      // Written before the archive: an entry is only ever read once its archive exists.
      const tmpMeta = path.join(this.dir, `.${key}.${randomUUID()}.tmp`);
      await writeFile(tmpMeta, JSON.stringify(meta), { mode: 0o600 });
      await rename(tmpMeta, path.join(this.dir, `${key}.json`));
    }
    const tmp = path.join(this.dir, `.${key}.${randomUUID()}.tmp`);
    await writeFile(tmp, archive, { mode: 0o600 });
    await rename(tmp, path.join(this.dir, `${key}.tar`));
    await this.prune();
  }

  private async prune(): Promise<void> {
    const entries = await Promise.all(
      (await readdir(this.dir)).filter((f) => f.endsWith('.tar')).map(async (f) => ({ f, st: await stat(path.join(this.dir, f)) })),
    );
    let total = entries.reduce((s, e) => s + e.st.size, 0);
    for (const e of entries.sort((a, b) => a.st.mtimeMs - b.st.mtimeMs)) {
      if (total <= this.maxBytes) break;
      await rm(path.join(this.dir, e.f), { force: true });
      await rm(path.join(this.dir, e.f.replace(/\.tar$/, '.json')), { force: true });
      total -= e.st.size;
    }
  }
}
