/**
 * Pack stage: turns the cloned repository into the tar stream a sandbox receives.
 * The walk uses lstat and never follows a link on the host: regular files and directories are
 * kept, symlinks only when their target stays inside the repository, everything else (devices,
 * FIFOs, sockets, links leaving the repo) is dropped and listed. `.git` and reserved paths are
 * left out, and the challenge's own files are appended last so the candidate cannot replace them.
 */
import { constants as FS } from 'node:fs';
import { lstat, open, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { generatedFolderHint } from './generated.ts';
import { createTar, type TarEntry } from './tar.ts';
import { SubmissionError } from '../../errors.ts';

export interface PackLimits {
  maxFiles: number;
  maxBytes: number;
}

export interface PackInput {
  repoDir: string;
  limits: PackLimits;
  /** Workspace paths the candidate may not provide (dropped from the repo). */
  reservedPaths: string[];
  /** File names dropped wherever they appear (e.g. `.npmrc`, which could redirect the install). */
  droppedNames: string[];
  /** Files the runner adds after the candidate's (hidden tests, fixtures, the nonce). */
  extraFiles: { path: string; content: Buffer }[];
}

export interface PackResult {
  tar: Buffer;
  files: number;
  bytes: number;
  /** What was left out and why (first 100). */
  dropped: { path: string; reason: string }[];
  droppedCount: number;
}

const MAX_DROPPED_LISTED = 100;

export async function pack(input: PackInput, signal?: AbortSignal): Promise<PackResult> {
  const root = path.resolve(input.repoDir);
  const entries: TarEntry[] = [];
  const dropped: { path: string; reason: string }[] = [];
  let droppedCount = 0;
  let files = 0;
  let bytes = 0;
  const drop = (rel: string, reason: string) => {
    droppedCount++;
    if (dropped.length < MAX_DROPPED_LISTED) dropped.push({ path: rel, reason });
  };
  const reserved = input.reservedPaths.map((p) => p.replace(/\/+$/, ''));
  // A reserved path, anything under it, or a non-directory standing where one of its parent
  // folders must be (a symlink there could redirect the challenge's files).
  const isReserved = (rel: string, isDir: boolean) =>
    reserved.some((r) => rel === r || rel.startsWith(`${r}/`) || (!isDir && r.startsWith(`${rel}/`)));

  async function walk(dirRel: string): Promise<void> {
    signal?.throwIfAborted();
    const dirAbs = path.join(root, dirRel);
    const names = (await readdir(dirAbs)).sort();
    for (const name of names) {
      const rel = dirRel ? `${dirRel}/${name}` : name;
      if (name === '.git') continue;
      if (name.includes('\uFFFD') || /[\u0000]/.test(name)) {
        drop(rel, 'file name is not valid UTF-8');
        continue;
      }
      const abs = path.join(root, rel);
      const st = await lstat(abs);
      if (isReserved(rel, st.isDirectory())) {
        drop(rel, 'reserved path');
        continue;
      }
      if (input.droppedNames.includes(name)) {
        drop(rel, 'not allowed in submissions');
        continue;
      }
      if (++files > input.limits.maxFiles) {
        throw new SubmissionError('REPO_TOO_MANY_FILES', `the repository has more than ${input.limits.maxFiles} files${generatedFolderHint(rel)}`);
      }
      if (st.isDirectory()) {
        entries.push({ type: 'directory', path: rel });
        await walk(rel);
      } else if (st.isFile()) {
        bytes += st.size;
        if (bytes > input.limits.maxBytes) {
          throw new SubmissionError('REPO_TOO_LARGE', `the repository's files add up to more than ${input.limits.maxBytes} bytes${generatedFolderHint(rel)}`);
        }
        entries.push({ type: 'file', path: rel, content: await readRegularFile(abs, st.size), executable: (st.mode & 0o111) !== 0 });
      } else if (st.isSymbolicLink()) {
        const target = await readlink(abs);
        const resolved = path.resolve(path.dirname(abs), target);
        const inside = resolved === root || resolved.startsWith(`${root}${path.sep}`);
        const intoGit = inside && path.relative(root, resolved).split(path.sep).includes('.git');
        if (!inside || intoGit || path.isAbsolute(target)) {
          drop(rel, 'symlink pointing outside the repository');
        } else {
          entries.push({ type: 'symlink', path: rel, target });
        }
      } else {
        drop(rel, 'special file (device, FIFO or socket)');
      }
    }
  }

  await walk('');
  // The challenge's files come last: on extraction they replace anything with the same path.
  const seenDirs = new Set<string>();
  for (const extra of input.extraFiles) {
    const parts = extra.path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (!seenDirs.has(dir)) {
        seenDirs.add(dir);
        entries.push({ type: 'directory', path: dir });
      }
    }
    entries.push({ type: 'file', path: extra.path, content: extra.content });
  }
  return { tar: await createTar(entries), files, bytes, dropped, droppedCount };
}

/** Reads a file without following a link swapped in after lstat (O_NOFOLLOW + fstat). */
async function readRegularFile(abs: string, expectedSize: number): Promise<Buffer> {
  const handle = await open(abs, FS.O_RDONLY | FS.O_NOFOLLOW);
  try {
    const st = await handle.stat();
    if (!st.isFile() || st.size !== expectedSize) throw new SubmissionError('REPO_CHANGED', `${abs} changed while packing`);
    const buf = Buffer.alloc(st.size);
    let offset = 0;
    while (offset < st.size) {
      const { bytesRead } = await handle.read(buf, offset, st.size - offset, offset);
      if (bytesRead === 0) break;
      offset += bytesRead;
    }
    return buf;
  } finally {
    await handle.close();
  }
}
