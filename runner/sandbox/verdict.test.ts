import { describe, expect, it } from 'vitest';
import { verdictOf } from './verdict.ts';

const base = { exitCode: 0, oomKilled: false, timedOut: false, outputLimited: false };

describe('verdictOf', () => {
  it.each([
    [{ ...base }, 'ok'],
    [{ ...base, exitCode: 1 }, 'nonzero_exit'],
    [{ ...base, exitCode: 139 }, 'signaled'],
    [{ ...base, exitCode: 137, oomKilled: true }, 'oom_killed'],
    [{ ...base, exitCode: 137, timedOut: true }, 'timeout'],
    [{ ...base, exitCode: 137, timedOut: true, outputLimited: true }, 'output_limit'],
    [{ ...base, exitCode: null }, 'nonzero_exit'],
  ] as const)('%o -> %s', (info, expected) => {
    expect(verdictOf(info)).toBe(expected);
  });
});
