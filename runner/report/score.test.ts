import { describe, expect, it } from 'vitest';
import { scoreResults } from './score.ts';

const declared = [
  { id: 'a', name: 'A', category: 'core', points: 3, visibility: 'visible' as const },
  { id: 'b', name: 'B', category: 'core', points: 2, visibility: 'hidden' as const },
  { id: 'c', name: 'C', category: 'extra', points: 5, visibility: 'hidden' as const },
];

describe('scoreResults', () => {
  it('awards points per passed test and totals categories', () => {
    const s = scoreResults(declared, [
      { id: 'a', status: 'passed' },
      { id: 'b', status: 'failed', message: 'nope' },
      { id: 'c', status: 'passed' },
    ]);
    expect(s.score).toEqual({ points: 8, maxPoints: 10, percent: 80 });
    expect(s.categories).toEqual([
      { category: 'core', points: 3, maxPoints: 5 },
      { category: 'extra', points: 5, maxPoints: 5 },
    ]);
    expect(s.tests.find((t) => t.id === 'b')).toMatchObject({ status: 'failed', points: 0, message: 'nope' });
    expect(s.flags).toEqual([]);
  });

  it('counts a test that never reported as failed, with the reason', () => {
    const s = scoreResults(declared, [{ id: 'a', status: 'passed' }], 'service did not start');
    expect(s.tests.find((t) => t.id === 'c')).toMatchObject({ status: 'failed', points: 0, message: 'service did not start' });
    expect(s.score.points).toBe(3);
  });

  it('never passes when zero tests ran', () => {
    const s = scoreResults(declared, []);
    expect(s.score).toEqual({ points: 0, maxPoints: 10, percent: 0 });
    expect(s.flags.map((f) => f.code)).toContain('no_tests_ran');
  });

  it('ignores results for undeclared tests and flags them', () => {
    const s = scoreResults(declared, [{ id: 'zzz', status: 'passed' }, { id: 'a', status: 'passed' }]);
    expect(s.score.points).toBe(3);
    expect(s.flags.map((f) => f.code)).toEqual(['unknown_tests']);
  });

  it('fails a test reported twice unless both reports passed', () => {
    const s = scoreResults(declared, [{ id: 'a', status: 'passed' }, { id: 'a', status: 'failed', message: 'second' }]);
    expect(s.tests[0]).toMatchObject({ status: 'failed', points: 0 });
  });
});
