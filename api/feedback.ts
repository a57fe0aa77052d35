/**
 * What the candidate's view of a report adds from outside the report: the hints of the visible
 * tests (from the manifest) and which attempt the submission was (from the attempt ledger).
 *
 * Hints are read from the challenge as it is now, and only while its version is the one that
 * graded the report: a new version may have renamed or changed its tests, so the hints of an
 * older version's report are not guessed. Authors bump the version when tests change (and may
 * fix a hint's wording without one).
 */
import type { ChallengeManifest } from '../runner/challenges/manifest.ts';
import type { Report } from '../runner/report/schema.ts';
import type { SubmissionRecord } from '../runner/store/submissions.ts';
import { attemptOf } from './attempts.ts';
import type { AppContext } from './context.ts';
import { toApiError } from './errors.ts';

export interface CandidateFeedback {
  /** Test id -> hint, of the visible tests that have one. */
  hints: ReadonlyMap<string, string>;
  /** Which of the candidate's attempts at the challenge this was, and the most allowed. */
  attempt?: { number: number; max?: number };
}

export const NO_FEEDBACK: CandidateFeedback = Object.freeze({ hints: new Map<string, string>() });

/** The hints of the visible tests, when `manifest` is the version that graded the report. Pure. */
export function visibleHints(manifest: ChallengeManifest, graded: Pick<Report['challenge'], 'id' | 'version'>): Map<string, string> {
  const hints = new Map<string, string>();
  if (manifest.id !== graded.id || manifest.version !== graded.version) return hints;
  for (const t of manifest.tests) if (t.visibility === 'visible' && t.hint) hints.set(t.id, t.hint);
  return hints;
}

export async function candidateFeedback(ctx: AppContext, record: SubmissionRecord, report: Report): Promise<CandidateFeedback> {
  const manifest = await loadManifest(ctx, report.challenge.id);
  const attempt = await attemptOf(ctx, record, manifest);
  return { hints: manifest ? visibleHints(manifest, report.challenge) : new Map(), ...(attempt ? { attempt } : {}) };
}

/** The challenge's manifest, or undefined when the challenge is gone (its reports stay readable). */
async function loadManifest(ctx: AppContext, id: string): Promise<ChallengeManifest | undefined> {
  try {
    return (await ctx.challenges.load(id)).manifest;
  } catch (err) {
    if (toApiError(err).error.code === 'UNKNOWN_CHALLENGE') return undefined;
    throw err;
  }
}
