import { describe, expect, it } from 'vitest';
import type { CohortRow } from './row.ts';
import { CohortAccumulator, compareVersionsDesc, histogramBin, percentileRank, quantile } from './stats.ts';

function row(id: string, percent: number, over: Partial<CohortRow> = {}): CohortRow {
  return { id, challenge: 'c', version: '1.0.0', status: 'completed', run: 1, percent, points: percent, maxPoints: 100, categories: [], passed: [], notPassed: [], flags: [], finishedAt: '2026-12-01T00:00:00.000Z', ...over };
}

describe('quantile', () => {
  it('interpolates linearly between sorted values (type 7)', () => {
    const xs = [10, 20, 30, 40];
    expect(quantile(xs, 0)).toBe(10);
    expect(quantile(xs, 1)).toBe(40);
    expect(quantile(xs, 0.5)).toBe(25);
    expect(quantile(xs, 0.25)).toBeCloseTo(17.5);
    expect(quantile(xs, 0.9)).toBeCloseTo(37);
    expect(quantile([7], 0.9)).toBe(7);
    expect(quantile([], 0.5)).toBeUndefined();
  });
});

describe('percentileRank', () => {
  it('counts those below and half of the ties', () => {
    expect(percentileRank([10, 20, 30, 40], 30)).toBe(62.5);
    expect(percentileRank([10, 20, 30, 40], 10)).toBe(12.5);
    expect(percentileRank([50], 50)).toBe(50);
    expect(percentileRank([50, 50, 50], 50)).toBe(50);
    expect(percentileRank([], 50)).toBe(0);
  });
});

describe('histogramBin', () => {
  it('puts each score in a 10-point bin, 100 in the last', () => {
    expect(histogramBin(0)).toBe(0);
    expect(histogramBin(9.9)).toBe(0);
    expect(histogramBin(10)).toBe(1);
    expect(histogramBin(99.9)).toBe(9);
    expect(histogramBin(100)).toBe(9);
  });
});

describe('CohortAccumulator', () => {
  const rows = [
    row('a', 100, { passed: ['t1', 't2'], notPassed: [], durationMs: 1000 }),
    row('b', 50, { passed: ['t1'], notPassed: ['t2'], flags: ['files_dropped'], durationMs: 3000 }),
    row('c', 0, { passed: ['t1'], notPassed: ['t2', 'old'], flags: ['files_dropped', 'no_tests_ran'], durationMs: 2000 }),
    row('d', 75, { status: 'failed', flags: ['resource_limit'] }),
    row('e', 20, { version: '0.9.0', passed: [], notPassed: ['t1'] }),
  ];

  it('summarises the graded rows of one version', () => {
    const acc = new CohortAccumulator('c', '1.0.0');
    for (const r of rows) acc.add(r);
    const s = acc.result([
      { id: 't2', name: 'Second', category: 'core' },
      { id: 't1', name: 'First', category: 'core' },
    ]);
    expect(s.count).toBe(3);
    expect(s.failed).toBe(1);
    expect(s.versions).toEqual([
      { version: '1.0.0', count: 3 },
      { version: '0.9.0', count: 1 },
    ]);
    expect(s.score).toEqual({ min: 0, max: 100, mean: 50, p25: 25, p50: 50, p75: 75, p90: 90 });
    expect(s.histogram.map((b) => b.count)).toEqual([1, 0, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect(s.histogram[9]).toEqual({ from: 90, to: 100, count: 1 });
    expect(s.tests).toEqual([
      { id: 't2', name: 'Second', category: 'core', runs: 3, passed: 1, passPercent: 33.3, uniform: null },
      { id: 't1', name: 'First', category: 'core', runs: 3, passed: 3, passPercent: 100, uniform: 'all_passed' },
      { id: 'old', name: 'old', category: null, runs: 1, passed: 0, passPercent: 0, uniform: 'all_failed' },
    ]);
    expect(s.gradingTimeMs).toEqual({ median: 2000 });
    expect(s.flags).toEqual([
      { code: 'files_dropped', count: 2, percent: 66.7 },
      { code: 'no_tests_ran', count: 1, percent: 33.3 },
    ]);
  });

  it('takes every version together without a version', () => {
    const acc = new CohortAccumulator('c');
    for (const r of rows) acc.add(r);
    const s = acc.result();
    expect(s.version).toBeNull();
    expect(s.count).toBe(4);
    expect(s.score?.p50).toBe(35);
    expect(s.tests.find((t) => t.id === 't1')).toMatchObject({ runs: 4, passed: 3, passPercent: 75 });
  });

  it('is empty but well-formed without rows', () => {
    const s = new CohortAccumulator('c', '2.0.0').result();
    expect(s).toMatchObject({ count: 0, failed: 0, score: null, gradingTimeMs: null, tests: [], flags: [], versions: [] });
    expect(s.histogram).toHaveLength(10);
  });
});

describe('compareVersionsDesc', () => {
  it('orders semantic versions newest first', () => {
    expect(['1.2.0', '1.10.0', '0.9.9', '1.2.10'].sort(compareVersionsDesc)).toEqual(['1.10.0', '1.2.10', '1.2.0', '0.9.9']);
  });
});
