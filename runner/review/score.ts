/**
 * Review scores: the rubric percent of a review and the weighted total with the automated score.
 * Pure functions; percents are rounded to one decimal, as the report's own score is.
 */

/** Points of one scored criterion. */
export interface ScoredCriterion {
  points: number;
  maxPoints: number;
}

export interface RubricScore {
  points: number;
  maxPoints: number;
  /** points / maxPoints in percent, one decimal (0 when there is nothing to score). */
  percent: number;
}

const percentOf = (points: number, maxPoints: number): number => (maxPoints > 0 ? Math.round((points / maxPoints) * 1000) / 10 : 0);

export function rubricScore(criteria: readonly ScoredCriterion[]): RubricScore {
  const points = criteria.reduce((s, c) => s + c.points, 0);
  const maxPoints = criteria.reduce((s, c) => s + c.maxPoints, 0);
  return { points, maxPoints, percent: percentOf(points, maxPoints) };
}

/**
 * automated × (1 − w) + rubric × w, in percent with one decimal; `rubricWeight` (w) is clamped to
 * 0..1. Both inputs are percents (0..100).
 */
export function weightedTotal(automatedPercent: number, rubricPercent: number, rubricWeight: number): number {
  const w = Math.min(1, Math.max(0, rubricWeight));
  return Math.round((automatedPercent * (1 - w) + rubricPercent * w) * 10) / 10;
}
