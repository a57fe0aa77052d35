/**
 * Dependency cache: node_modules as installed by `npm ci` (scripts off), kept as a tar archive
 * on the worker's disk, keyed by the lockfile's hash and the runtime image. A candidate reads
 * from it (the archive is streamed into their fresh workspace); nothing a candidate does can
 * write into it: the archive is taken right after the install, before any candidate code runs,
 * and with the same lockfile npm would have installed the same integrity-checked packages.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';

export class DependencyCache {
  constructor(private readonly dir: string, private readonly maxBytes: number) {}

  get enabled(): boolean {
    return this.maxBytes > 0;
  }

  key(lockfileHash: string, imageId: string, registry: string): string {
    return createHash('sha256').update(`${lockfileHash}\0${imageId}\0${registry}`).digest('hex');
  }

  async get(key: string): Promise<Buffer | undefined> {
    if (!this.enabled) return undefined;
    const file = path.join(this.dir, `${key}.tar`);
    try {
      const data = await readFile(file);
      const now = new Date();
      await utimes(file, now, now).catch(() => undefined); // recency for pruning
      return data;
    } catch {
      return undefined;
    }
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
