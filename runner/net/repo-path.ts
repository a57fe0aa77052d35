/**
 * The `path` of a submission: the subdirectory of the repository where the service lives.
 * Checked twice: its spelling when the submission is made (here, pure, so the API can answer
 * 422 at once), and against the fetched commit before packing (runner/stages/pack/subdir.ts:
 * each segment must be a real directory, never a symlink).
 */
import { SubmissionError } from '../errors.ts';

export const MAX_REPO_PATH_LENGTH = 200;

/**
 * Returns the path in its one canonical spelling (no `./`, no trailing or doubled slashes), or
 * undefined for the repository root (`""`, `"."`, `"./"`). Throws PATH_INVALID with the reason.
 */
export function normalizeRepoPath(raw: string): string | undefined {
  const bad = (reason: string) => new SubmissionError('PATH_INVALID', `the path ${JSON.stringify(raw.slice(0, MAX_REPO_PATH_LENGTH))} is not valid: ${reason}`);
  if (typeof raw !== 'string') throw bad('it is not a string');
  if (raw.length > MAX_REPO_PATH_LENGTH) throw bad(`it is longer than ${MAX_REPO_PATH_LENGTH} characters`);
  if (/[\u0000-\u001f\u007f-\u009f]/.test(raw)) throw bad('it contains control characters');
  if (raw.includes('\\')) throw bad('it contains a backslash; separate folders with "/"');
  if (raw.startsWith('/')) throw bad('it is absolute; give it relative to the repository root, e.g. "backend"');
  if (/^[A-Za-z]:/.test(raw)) throw bad('it is a drive path; give it relative to the repository root, e.g. "backend"');
  const segments = raw.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) throw bad('it contains ".."; it must stay inside the repository');
  if (segments.some((s) => s === '.git')) throw bad('it names the .git folder');
  return segments.length ? segments.join('/') : undefined;
}
