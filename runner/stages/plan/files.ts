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

export async function readJson(p: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(p, 'utf8'));
  } catch {
    return undefined;
  }
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
