import { describe, expect, it } from 'vitest';
import { SubmissionError } from '../errors.ts';
import { normalizeRepoPath } from './repo-path.ts';

function reason(raw: string): string {
  try {
    normalizeRepoPath(raw);
  } catch (err) {
    expect(err).toBeInstanceOf(SubmissionError);
    expect((err as SubmissionError).code).toBe('PATH_INVALID');
    return (err as Error).message;
  }
  throw new Error(`${raw} was accepted`);
}

describe('normalizeRepoPath', () => {
  it('accepts relative subdirectories in one canonical spelling', () => {
    expect(normalizeRepoPath('backend')).toBe('backend');
    expect(normalizeRepoPath('services/api/')).toBe('services/api');
    expect(normalizeRepoPath('./services//api')).toBe('services/api');
    expect(normalizeRepoPath('my app')).toBe('my app');
  });

  it('reads the root as no subdirectory', () => {
    expect(normalizeRepoPath('')).toBeUndefined();
    expect(normalizeRepoPath('.')).toBeUndefined();
    expect(normalizeRepoPath('./')).toBeUndefined();
  });

  it('refuses paths that leave the repository or are spelled for another system, saying why', () => {
    expect(reason('../x')).toMatch(/contains "\.\."/);
    expect(reason('a/../../b')).toMatch(/contains "\.\."/);
    expect(reason('/etc')).toMatch(/absolute/);
    expect(reason('C:/x')).toMatch(/drive/);
    expect(reason('a\\b')).toMatch(/backslash/);
    expect(reason('a\nb')).toMatch(/control/);
    expect(reason('.git/hooks')).toMatch(/\.git/);
    expect(reason('x'.repeat(201))).toMatch(/longer than 200/);
  });
});
