import { describe, expect, it } from 'vitest';
import type { Report } from '../report/schema.ts';
import { categoryPercent, cohortRow } from './row.ts';

const test = (id: string, status: Report['tests'][number]['status']): Report['tests'][number] => ({ id, name: id, category: 'core', status, points: status === 'passed' ? 1 : 0, maxPoints: 1, visibility: 'visible' });

const report = {
  submissionId: 's1',
  challenge: { id: 'simple-api', version: '1.2.0', suiteHash: 'x' },
  status: 'completed',
  score: { points: 1, maxPoints: 4, percent: 25 },
  categories: [{ category: 'core', points: 1, maxPoints: 4 }],
  tests: [test('a', 'passed'), test('b', 'failed'), test('c', 'timeout'), test('d', 'skipped')],
  flags: [{ code: 'files_dropped', message: 'one' }, { code: 'files_dropped', message: 'two' }, { code: 'output_limit', message: 'three' }],
  timings: { totalMs: 1234 },
  finishedAt: '2026-12-01T12:00:00.000Z',
} as unknown as Report;

describe('cohortRow', () => {
  it('keeps the version, scores, which tests passed, each flag once and the grading time', () => {
    expect(cohortRow(report, 2)).toEqual({
      id: 's1',
      challenge: 'simple-api',
      version: '1.2.0',
      status: 'completed',
      run: 2,
      percent: 25,
      points: 1,
      maxPoints: 4,
      categories: [{ category: 'core', points: 1, maxPoints: 4 }],
      passed: ['a'],
      notPassed: ['b', 'c', 'd'],
      flags: ['files_dropped', 'output_limit'],
      durationMs: 1234,
      finishedAt: '2026-12-01T12:00:00.000Z',
    });
  });

  it('has no grading time when the report has none', () => {
    expect(cohortRow({ ...report, timings: {} }, 1).durationMs).toBeUndefined();
  });
});

describe('categoryPercent', () => {
  it('is one decimal, 0 for a category worth nothing', () => {
    expect(categoryPercent({ points: 1, maxPoints: 3 })).toBe(33.3);
    expect(categoryPercent({ points: 0, maxPoints: 0 })).toBe(0);
  });
});
