/**
 * Where in the fetched repository the service lives: the root, or the submission's `path`.
 * Each segment is lstat'ed from the root down, so a symlink (even one pointing inside the
 * repository) is refused rather than followed: only a real directory of the commit is packed.
 */
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { SubmissionError } from '../../errors.ts';
import { normalizeRepoPath } from '../../net/repo-path.ts';

/** The directory to pack: repoDir itself, or its subdirectory `sub` after checking every segment. */
export async function resolveServiceDir(repoDir: string, sub: string | undefined): Promise<string> {
  const rel = sub === undefined ? undefined : normalizeRepoPath(sub);
  if (rel === undefined) return repoDir;
  let dir = repoDir;
  for (const segment of rel.split('/')) {
    dir = path.join(dir, segment);
    const so = path.relative(repoDir, dir);
    const stat = await lstat(dir).catch(() => undefined);
    if (!stat) throw new SubmissionError('PATH_INVALID', `the path "${rel}" does not exist in the repository ("${so}" is missing)`);
    if (stat.isSymbolicLink()) throw new SubmissionError('PATH_INVALID', `the path "${rel}" goes through a symbolic link ("${so}"); give the real folder`);
    if (!stat.isDirectory()) throw new SubmissionError('PATH_INVALID', `the path "${rel}" is not a folder ("${so}" is a file)`);
  }
  return dir;
}
