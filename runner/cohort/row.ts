/**
 * The cohort row: a compact summary of a submission's latest report, kept beside the record so
 * that statistics, the dashboard and exports never read full reports (which carry logs and
 * insights, tens of kilobytes each). runner/store/cohort.ts stores one row per submission, written
 * when a run completes; a rerun's completion replaces it (the latest run counts).
 */
import { z } from 'zod';
import { FLAG_CODES, type Report } from '../report/schema.ts';

export const CohortRowSchema = z.object({
  id: z.string(),
  challenge: z.string(),
  /** The challenge version the run was graded against (statistics and percentiles are per version). */
  version: z.string(),
  /** `completed`: graded; `failed`: could not be graded (no score counts). */
  status: z.enum(['completed', 'failed']),
  run: z.number().int(),
  percent: z.number(),
  points: z.number(),
  maxPoints: z.number(),
  /** Points per category, in the report's order. */
  categories: z.array(z.object({ category: z.string(), points: z.number(), maxPoints: z.number() })),
  /** Ids of the tests that passed and of those that ran without passing (failed, error, timeout, skipped). */
  passed: z.array(z.string()),
  notPassed: z.array(z.string()),
  /** Each flag code once. */
  flags: z.array(z.enum(FLAG_CODES)),
  /** The run's grading time (report timings.totalMs), when known. */
  durationMs: z.number().optional(),
  finishedAt: z.string(),
});
export type CohortRow = z.infer<typeof CohortRowSchema>;

/** The row of one run's report. */
export function cohortRow(report: Report, run: number): CohortRow {
  const durationMs = report.timings.totalMs;
  return {
    id: report.submissionId,
    challenge: report.challenge.id,
    version: report.challenge.version,
    status: report.status,
    run,
    percent: report.score.percent,
    points: report.score.points,
    maxPoints: report.score.maxPoints,
    categories: report.categories.map((c) => ({ category: c.category, points: c.points, maxPoints: c.maxPoints })),
    passed: report.tests.filter((t) => t.status === 'passed').map((t) => t.id),
    notPassed: report.tests.filter((t) => t.status !== 'passed').map((t) => t.id),
    flags: [...new Set(report.flags.map((f) => f.code))],
    ...(durationMs !== undefined ? { durationMs } : {}),
    finishedAt: report.finishedAt,
  };
}

/** A category's share of its points, in percent (one decimal); 0 for a category worth nothing. */
export function categoryPercent(c: { points: number; maxPoints: number }): number {
  return c.maxPoints > 0 ? Math.round((c.points / c.maxPoints) * 1000) / 10 : 0;
}
