/** Reading a submission's files for planning: lstat only (a symlink is never followed), JSON that may be broken. */
import { createHash } from 'node:crypto';
import { lstat, readFile } from 'node:fs/promises';
import path from 'node:path';

export async function isRegularFile(p: string): Promise<boolean> {
  try {
    return (await lstat(p)).isFile();
  } catch {
    return false;
  }
}

/**
 * Whether `rel` (relative, `/`-separated) is a regular file under `dir` reached through real
 * folders only: a symlinked folder on the way could lead out of the repository.
 */
export async function isRegularFileWithin(dir: string, rel: string): Promise<boolean> {
  const parts = rel.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..')) return false;
  for (let i = 1; i < parts.length; i++) {
    const st = await lstat(path.join(dir, ...parts.slice(0, i))).catch(() => undefined);
    if (!st?.isDirectory()) return false;
  }
  return isRegularFile(path.join(dir, ...parts));
}

export async function readJson(p: string): Promise<unknown> {
  try {
    return JSON.parse(decodeText(await readFile(p)));
  } catch {
    return undefined;
  }
}

/**
 * Text as the tools read it: UTF-8 without its byte order mark (Windows editors write one, and
 * npm, Node.js and pip skip it), or UTF-16 when a byte order mark says so (Windows PowerShell 5's
 * `pip freeze > requirements.txt`, which pip reads). Pure.
 */
export function decodeText(bytes: Buffer): string {
  // An odd last byte of UTF-16 is no character (swap16 needs whole pairs).
  const pairs = bytes.subarray(2, 2 + ((bytes.length - 2) & ~1));
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return pairs.toString('utf16le');
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return Buffer.from(pairs).swap16().toString('utf16le');
  const text = bytes.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

export async function firstRegularFile<T extends string>(dir: string, names: readonly T[]): Promise<T | undefined> {
  for (const name of names) if (await isRegularFile(path.join(dir, name))) return name;
  return undefined;
}

/** sha256 over the name and bytes of each named file present (absent ones count as absent). */
export async function hashFiles(dir: string, names: readonly string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const name of names) {
    const file = path.join(dir, name);
    const bytes = (await isRegularFile(file)) ? await readFile(file) : undefined;
    hash.update(`${name}\0${bytes ? bytes.length : -1}\0`);
    if (bytes) hash.update(bytes);
  }
  return hash.digest('hex');
}
