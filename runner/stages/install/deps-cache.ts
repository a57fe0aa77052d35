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
import { mkdir, readdir, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
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
}

export interface CachedArchive {
  file: string;
  bytes: number;
  /** A fresh read stream of the archive (call once per use). */
  open(): NodeJS.ReadableStream;
}

export class DependencyCache {
  constructor(private readonly dir: string, private readonly maxBytes: number) {}

  get enabled(): boolean {
    return this.maxBytes > 0;
  }

  static key(inputs: CacheKeyInputs): string {
    const parts = [inputs.inputsHash, inputs.challengeId, inputs.challengeVersion, inputs.network, inputs.imageId, inputs.registry, ...inputs.argv];
    return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
  }

  async get(key: string): Promise<CachedArchive | undefined> {
    if (!this.enabled) return undefined;
    const file = path.join(this.dir, `${key}.tar`);
    try {
      const info = await stat(file);
      const now = new Date();
      await utimes(file, now, now).catch(() => undefined); // recency for pruning
      return { file, bytes: info.size, open: () => createReadStream(file) };
    } catch {
      return undefined;
    }
  }

  /** Drops an entry that failed its check on restore. */
  async evict(key: string): Promise<void> {
    await rm(path.join(this.dir, `${key}.tar`), { force: true });
  }

  /** Writes atomically (temp file + rename), then prunes least recently used entries. */
  async put(key: string, archive: Buffer): Promise<void> {
    if (!this.enabled || archive.length > this.maxBytes) return;
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
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
      total -= e.st.size;
    }
  }
}
