import { describe, expect, it } from 'vitest';
import type { RawResult } from '../../report/score.ts';
import { whyUntrusted } from './node-tests.ts';

type Run = Parameters<typeof whyUntrusted>[0];

const stdout = (cutBytes = 0) => ({ text: '', totalBytes: 100 + cutBytes, cutBytes });
const run = (over: Partial<Run> = {}): Run => ({ verdict: 'ok', exitCode: 0, stdout: stdout(), ...over });
const passed: RawResult[] = [
  { id: 'a', status: 'passed' },
  { id: 'b', status: 'passed' },
];
const someFailed: RawResult[] = [
  { id: 'a', status: 'passed' },
  { id: 'b', status: 'failed' },
];

describe('whyUntrusted (a "tests" run fails closed)', () => {
  it('trusts a run that ended as node --test ends: 0 when all passed, 1 when some failed', () => {
    expect(whyUntrusted(run(), passed, [])).toBeUndefined();
    expect(whyUntrusted(run({ verdict: 'nonzero_exit', exitCode: 1 }), someFailed, [])).toBeUndefined();
  });

  it('voids a run that exited otherwise: another code, or 1 with no failure reported', () => {
    expect(whyUntrusted(run({ verdict: 'nonzero_exit', exitCode: 7 }), someFailed, [])).toMatch(/exited with code 7/);
    expect(whyUntrusted(run({ verdict: 'nonzero_exit', exitCode: 1 }), passed, [])).toMatch(/exited with code 1 although no test reported a failure/);
  });

  it('voids a run that was killed or cut short', () => {
    for (const verdict of ['signaled', 'oom_killed', 'timeout', 'output_limit'] as const) {
      expect(whyUntrusted(run({ verdict, exitCode: 137 }), passed, undefined)).toMatch(new RegExp(`did not end normally \\(${verdict}\\)`));
    }
  });

  it('voids a run whose result channel was cut', () => {
    expect(whyUntrusted(run({ stdout: stdout(10) }), passed, [])).toMatch(/result channel was cut \(10 bytes/);
  });

  it('voids a run whose hidden files could not be checked', () => {
    expect(whyUntrusted(run(), passed, undefined)).toMatch(/could not be checked/);
  });

  it('voids a run that reported a test twice, even twice passed', () => {
    expect(whyUntrusted(run(), [...passed, { id: 'a', status: 'passed' }], [])).toMatch(/test a was reported more than once/);
  });
});
