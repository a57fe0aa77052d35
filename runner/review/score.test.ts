import { describe, expect, it } from 'vitest';
import { rubricScore, weightedTotal } from './score.ts';

describe('rubricScore', () => {
  it('sums points and maxima and gives the percent with one decimal', () => {
    expect(rubricScore([{ points: 4, maxPoints: 5 }, { points: 1, maxPoints: 3 }])).toEqual({ points: 5, maxPoints: 8, percent: 62.5 });
    expect(rubricScore([{ points: 1, maxPoints: 3 }])).toEqual({ points: 1, maxPoints: 3, percent: 33.3 });
    expect(rubricScore([{ points: 3, maxPoints: 3 }]).percent).toBe(100);
  });

  it('is 0%, not NaN, with nothing to score', () => {
    expect(rubricScore([])).toEqual({ points: 0, maxPoints: 0, percent: 0 });
  });
});

describe('weightedTotal', () => {
  it('weighs the rubric by w and the automated score by 1 - w', () => {
    expect(weightedTotal(80, 50, 0.3)).toBe(71);
    expect(weightedTotal(100, 0, 0.25)).toBe(75);
    expect(weightedTotal(33.3, 66.7, 0.5)).toBe(50);
  });

  it('is the automated score at w = 0 and the rubric score at w = 1', () => {
    expect(weightedTotal(42.5, 90, 0)).toBe(42.5);
    expect(weightedTotal(42.5, 90, 1)).toBe(90);
  });

  it('clamps a weight outside 0..1 instead of leaving the 0..100 range', () => {
    expect(weightedTotal(40, 80, 2)).toBe(80);
    expect(weightedTotal(40, 80, -1)).toBe(40);
  });
});
