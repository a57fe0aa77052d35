/**
 * `insights.history`: the submitted commit's history, fetched to a bounded depth (the operator's
 * ASSAY_HISTORY_MAX_COMMITS): how the work was done over time. Insights for reviewers: never
 * scored. Dates and authors are what the commits say, and a candidate can write anything there.
 */
import { z } from 'zod';

export const HistoryCommitSchema = z.object({
  sha: z.string(),
  /** Author date (ISO 8601, with the author's own offset). */
  at: z.string(),
  /** Author name as committed (no e-mail address is kept); shown on the reviewer's page only. */
  author: z.string(),
  /** First line of the message, cut at 120 characters. */
  subject: z.string(),
  added: z.number().int(),
  removed: z.number().int(),
  files: z.number().int(),
  /** It changes a test file (test/, tests/, __tests__/, *.test.*, *.spec.*, test_*.py, *_test.py, ...). */
  touchesTests: z.boolean(),
  /** Its parent was not fetched (the history's cut), so its changed lines are unknown and counted as 0. */
  boundary: z.boolean().optional(),
});
export type HistoryCommit = z.infer<typeof HistoryCommitSchema>;

export const HistorySchema = z.object({
  /** `read`: the history below; `none`: no history (a local folder, history turned off, or it could not be read: see reason). */
  status: z.enum(['read', 'none']),
  reason: z.string().optional(),
  /** Commits read, newest first in `timeline`, at most `maxCommits`. */
  commits: z.number().int(),
  maxCommits: z.number().int(),
  /** The repository has older commits than were read. */
  truncated: z.boolean(),
  /** Oldest and newest author dates read (ISO 8601). */
  firstAt: z.string().optional(),
  lastAt: z.string().optional(),
  /** Distinct calendar days (in each author's own time zone) with at least one commit. */
  activeDays: z.number().int(),
  /** Distinct authors (by e-mail address, which is not stored). */
  authors: z.number().int(),
  /** Commits that change a test file. */
  testCommits: z.number().int(),
  linesAdded: z.number().int(),
  linesRemoved: z.number().int(),
  /** Changed lines (added + removed) of the largest commit over all changed lines read, 0-1; absent when nothing changed. */
  largestCommitShare: z.number().min(0).max(1).optional(),
  /** Time the history took to fetch and read, beyond the fetch of the submitted commit itself. */
  fetchMs: z.number().optional(),
  timeline: z.array(HistoryCommitSchema),
});
export type History = z.infer<typeof HistorySchema>;
