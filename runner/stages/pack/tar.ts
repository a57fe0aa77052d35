/**
 * The only code that imports tar-stream: builds the tar archives streamed into sandboxes.
 * Entries get normalized owner (the sandbox uid), modes and a fixed mtime.
 */
import tar from 'tar-stream';
import { SANDBOX_UID } from '../../sandbox/index.ts';

export type TarEntry =
  | { type: 'file'; path: string; content: Buffer; executable?: boolean }
  | { type: 'directory'; path: string }
  | { type: 'symlink'; path: string; target: string };

const MTIME = new Date(0);

export async function createTar(entries: Iterable<TarEntry> | AsyncIterable<TarEntry>): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  const owner = { uid: SANDBOX_UID, gid: SANDBOX_UID, uname: 'sandbox', gname: 'sandbox', mtime: MTIME };
  for await (const entry of entries) {
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null) => (err ? reject(err) : resolve());
      if (entry.type === 'file') {
        pack.entry({ ...owner, name: entry.path, type: 'file', mode: entry.executable ? 0o755 : 0o644, size: entry.content.length }, entry.content, cb);
      } else if (entry.type === 'directory') {
        pack.entry({ ...owner, name: entry.path, type: 'directory', mode: 0o755 }, cb);
      } else {
        pack.entry({ ...owner, name: entry.path, type: 'symlink', linkname: entry.target, mode: 0o777 }, cb);
      }
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** Lists the entries of a tar archive (for tests and checks). */
export async function listTar(archive: Buffer): Promise<{ path: string; type: string; mode: number; uid: number; target?: string }[]> {
  const extract = tar.extract();
  const out: { path: string; type: string; mode: number; uid: number; target?: string }[] = [];
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      out.push({ path: header.name, type: header.type ?? 'file', mode: header.mode ?? 0, uid: header.uid ?? 0, ...(header.linkname ? { target: header.linkname } : {}) });
      stream.on('end', next);
      stream.resume();
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  extract.end(archive);
  await done;
  return out;
}

/**
 * Reads one regular file out of a tar stream without unpacking anything to disk; undefined
 * when the archive has no such entry or it is larger than maxBytes. The whole stream is read.
 */
export async function readTarEntry(archive: NodeJS.ReadableStream, name: string, maxBytes: number): Promise<Buffer | undefined> {
  const extract = tar.extract();
  let found: Buffer | undefined;
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      const wanted = header.name.replace(/^\.\//, '') === name && header.type === 'file' && (header.size ?? 0) <= maxBytes;
      const chunks: Buffer[] = [];
      if (wanted) stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('end', () => {
        if (wanted) found = Buffer.concat(chunks);
        next();
      });
      stream.resume();
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  archive.on('error', (err: Error) => extract.destroy(err));
  archive.pipe(extract);
  await done;
  return found;
}
