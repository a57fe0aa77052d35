/**
 * A review of a submission: a score and a note per rubric criterion and an overall note, in
 * versions. Every write makes a new version (runner/store/reviews.ts keeps them all); the newest
 * is the current review. Pure schemas and functions: the store persists, the API validates with
 * `reviewInputSchema` and answers with `ReviewSchema`.
 *
 * Status: `draft` (saved, not finished) or `submitted` (the review is complete: the weighted total
 * counts, the `review.completed` webhook is sent, and in anonymous mode the reviewer who
 * submitted it may see the candidate from then on).
 */
import { z } from 'zod';
import type { Rubric, ReviewSettings } from './rubric.ts';
import { rubricScore, weightedTotal } from './score.ts';

export const REVIEW_STATUSES = ['draft', 'submitted'] as const;
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];

/** Longest note, per criterion and overall (characters). */
export const MAX_NOTE_CHARS = 4000;

const NoteSchema = z.string().max(MAX_NOTE_CHARS, `at most ${MAX_NOTE_CHARS} characters`);

/** What a reviewer sends: `PUT /v1/submissions/:id/review` and the review form. */
export function reviewInputSchema(rubric: Rubric) {
  const byId = new Map(rubric.map((c) => [c.id, c]));
  return z
    .strictObject({
      /** @defaultValue "submitted" */
      status: z.enum(REVIEW_STATUSES).default('submitted'),
      /** One entry per rubric criterion, each scored 0..maxPoints. */
      criteria: z
        .array(
          z.strictObject({
            id: z.string().max(63),
            points: z.number().int('a whole number of points').min(0),
            note: NoteSchema.optional(),
          }),
        )
        .max(20),
      /** The overall note. */
      note: NoteSchema.optional(),
    })
    .superRefine((input, ctx) => {
      const seen = new Set<string>();
      input.criteria.forEach((c, i) => {
        const criterion = byId.get(c.id);
        if (!criterion) ctx.addIssue({ code: 'custom', path: ['criteria', i, 'id'], message: `"${c.id}" is not a criterion of this rubric (${[...byId.keys()].join(', ')})` });
        else if (c.points > criterion.maxPoints) ctx.addIssue({ code: 'custom', path: ['criteria', i, 'points'], message: `at most ${criterion.maxPoints} points for "${c.id}"` });
        if (seen.has(c.id)) ctx.addIssue({ code: 'custom', path: ['criteria', i, 'id'], message: `"${c.id}" is scored twice` });
        seen.add(c.id);
      });
      const missing = rubric.filter((c) => !seen.has(c.id)).map((c) => c.id);
      if (missing.length) ctx.addIssue({ code: 'custom', path: ['criteria'], message: `every criterion needs a score; missing: ${missing.join(', ')}` });
    });
}
export type ReviewInput = z.output<ReturnType<typeof reviewInputSchema>>;

/** One stored version of a review (immutable once written). */
export const ReviewVersionSchema = z.object({
  submissionId: z.string(),
  /** 1, 2, 3… in the order written; the ETag of a version is `"r<version>"`. */
  version: z.number().int().min(1),
  status: z.enum(REVIEW_STATUSES),
  /** The name of the API key (or UI session) that wrote this version, and its role. */
  reviewer: z.string(),
  role: z.enum(['reviewer', 'admin']),
  /** When this version was written (ISO 8601). */
  updatedAt: z.string(),
  /** Each criterion as the rubric had it when this version was written, with its score and note. */
  criteria: z.array(z.object({ id: z.string(), title: z.string(), maxPoints: z.number().int(), points: z.number().int(), note: z.string().optional() })),
  note: z.string().optional(),
  /** The rubric's weight in the weighted total when this version was written (the challenge's `review.rubricWeight`). */
  rubricWeight: z.number(),
  /** The challenge version whose rubric was used. */
  challengeVersion: z.string(),
  /** Everyone who has submitted (not only drafted) a version of this review, up to this one: anonymous mode reveals the candidate to them. */
  submittedBy: z.array(z.string()),
});
export type ReviewVersion = z.infer<typeof ReviewVersionSchema>;

/** The current review as the API answers it: the newest version with its scores. */
export const ReviewSchema = ReviewVersionSchema.extend({
  /** The version's ETag (strong), as sent in the `ETag` header: send it back in `If-Match`. */
  etag: z.string(),
  rubric: z.object({ points: z.number(), maxPoints: z.number(), percent: z.number() }),
  /** = rubric.percent: the rubric score in percent (one decimal). */
  rubricPercent: z.number(),
  /** The submission's automated score in percent (its latest report); null before one exists. */
  automatedPercent: z.number().nullable(),
  /** automated × (1 − rubricWeight) + rubric × rubricWeight; null without an automated score. */
  totalPercent: z.number().nullable(),
});
export type Review = z.infer<typeof ReviewSchema>;

/** The scores a reviewer's report carries beside the automated one (`review` in the report JSON). */
export const ReviewScoresSchema = ReviewSchema.pick({ status: true, version: true, etag: true, reviewer: true, updatedAt: true, automatedPercent: true, rubric: true, rubricPercent: true, rubricWeight: true, totalPercent: true });
export type ReviewScores = z.infer<typeof ReviewScoresSchema>;

export interface Reviewer {
  name: string;
  role: 'reviewer' | 'admin';
}

/** The next version of a review after `previous` (none: the first), from validated input. */
export function nextReviewVersion(
  input: ReviewInput,
  at: { submissionId: string; previous: ReviewVersion | undefined; reviewer: Reviewer; rubric: Rubric; settings: ReviewSettings; challengeVersion: string; now?: Date },
): ReviewVersion {
  const points = new Map(input.criteria.map((c) => [c.id, c]));
  const submittedBy = at.previous?.submittedBy ?? [];
  return {
    submissionId: at.submissionId,
    version: (at.previous?.version ?? 0) + 1,
    status: input.status,
    reviewer: at.reviewer.name,
    role: at.reviewer.role,
    updatedAt: (at.now ?? new Date()).toISOString(),
    criteria: at.rubric.map((c) => {
      const given = points.get(c.id);
      return { id: c.id, title: c.title, maxPoints: c.maxPoints, points: given?.points ?? 0, ...(given?.note ? { note: given.note } : {}) };
    }),
    ...(input.note ? { note: input.note } : {}),
    rubricWeight: at.settings.rubricWeight,
    challengeVersion: at.challengeVersion,
    submittedBy: input.status === 'submitted' && !submittedBy.includes(at.reviewer.name) ? [...submittedBy, at.reviewer.name] : submittedBy,
  };
}

/** A stored version with its scores, against the submission's automated percent (null: none yet). */
export function withScores(v: ReviewVersion, automatedPercent: number | null): Review {
  const rubric = rubricScore(v.criteria);
  return {
    ...v,
    etag: reviewEtag(v.version),
    rubric,
    rubricPercent: rubric.percent,
    automatedPercent,
    totalPercent: automatedPercent === null ? null : weightedTotal(automatedPercent, rubric.percent, v.rubricWeight),
  };
}

/** The strong ETag of a review version. */
export function reviewEtag(version: number): string {
  return `"r${version}"`;
}
