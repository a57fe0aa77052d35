/**
 * Reviews of submissions (runner/review/review.ts) over HTTP, for reviewer and admin keys:
 *   GET /v1/submissions/:id/review           the current version, its ETag in `ETag`
 *   GET /v1/submissions/:id/review/versions  every version, oldest first
 *   PUT /v1/submissions/:id/review           a new version; If-Match (or If-None-Match: *) as
 *                                            runner/review/preconditions.ts decides
 * `saveReview` is shared with the reviewer UI's form (api/ui/review.ts), so both keep the same
 * rules: only completed submissions of a challenge with a rubric, one score per criterion, and
 * never a silent overwrite.
 */
import { CohortPositionSchema } from '../cohort-schemas.ts';
import express, { type Express, type Request, type Response } from 'express';
import { z } from 'zod';
import { nextReviewVersion, reviewInputSchema, ReviewSchema, ReviewScoresSchema, type Review, type ReviewScores } from '../../runner/review/review.ts';
import { ReportSchema, type Report } from '../../runner/report/schema.ts';
import { checkReviewPreconditions } from '../../runner/review/preconditions.ts';
import type { Challenge } from '../../runner/challenges/repository.ts';
import type { SubmissionRecord } from '../../runner/store/submissions.ts';
import { anonymiseReport, identityHidden, type Viewer } from '../anonymity.ts';
import { principalOf, requireKey } from '../auth.ts';
import type { AppContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { parseOr400, SubmissionIdSchema } from '../schemas.ts';

/** The schemas of the review endpoints, for the OpenAPI document (api/openapi.ts). */
export const REVIEW_DOC_SCHEMAS: Record<string, [z.ZodType, 'input' | 'output']> = {
  // The criteria ids and maxima are each challenge's (challenge.json `rubric`; a 400 for an unknown id lists them): the document shows the shape.
  ReviewInput: [reviewInputSchema([]), 'input'],
  Review: [ReviewSchema, 'output'],
  ReviewVersions: [z.object({ items: z.array(ReviewSchema) }), 'output'],
  ReviewerReport: [ReportSchema.extend({ review: ReviewScoresSchema.nullable().optional(), cohort: CohortPositionSchema.optional() }), 'output'],
};

/**
 * Largest review body: the API's default 32 KB would refuse a rubric's notes (up to 21 of 4,000
 * characters, up to 3 bytes each in UTF-8). Mounted before the default parser (api/app.ts).
 */
export const REVIEW_MAX_BODY_BYTES = 256 * 1024;
export const reviewBodyParser = express.json({ limit: REVIEW_MAX_BODY_BYTES, type: 'application/json', strict: true });

/** Who may read and write reviews. */
const REVIEW_ROLES = ['reviewer', 'admin'] as const;

/** The conditional headers of a write, as sent. */
export interface WritePreconditions {
  ifMatch?: string;
  ifNoneMatch?: string;
}

export function reviewRoutes(app: Express, ctx: AppContext): void {
  const reviewer = (req: Request) => requireKey(principalOf(req, ctx.keyring), REVIEW_ROLES) as Viewer & { role: 'reviewer' | 'admin' };

  app.get('/v1/submissions/:id/review', async (req, res) => {
    reviewer(req);
    const record = await submissionOr404(ctx, req.params.id);
    const review = await ctx.store.reviews.current(record.id);
    if (!review) throw new ApiError('NOT_FOUND', 'this submission has no review yet');
    sendReview(res, review, 200);
  });

  app.get('/v1/submissions/:id/review/versions', async (req, res) => {
    reviewer(req);
    const record = await submissionOr404(ctx, req.params.id);
    res.set('Cache-Control', 'no-store').json({ items: await ctx.store.reviews.versions(record.id) });
  });

  app.put('/v1/submissions/:id/review', async (req, res) => {
    const who = reviewer(req);
    const review = await saveReview(ctx, String(req.params.id), who, req.body, { ifMatch: req.get('if-match'), ifNoneMatch: req.get('if-none-match') });
    sendReview(res, review, review.version === 1 ? 201 : 200);
  });
}

function sendReview(res: Response, review: Review, status: number): void {
  res.status(status).set({ ETag: review.etag, 'Cache-Control': 'no-store' }).json(review);
}

async function submissionOr404(ctx: AppContext, rawId: unknown): Promise<SubmissionRecord> {
  const id = SubmissionIdSchema.safeParse(rawId);
  const record = id.success ? await ctx.store.get(id.data) : undefined;
  if (!record) throw new ApiError('NOT_FOUND', 'no such submission');
  return record;
}

/** The submission's challenge and its rubric, or why it cannot be reviewed (409). */
async function reviewableChallenge(ctx: AppContext, record: SubmissionRecord): Promise<Challenge> {
  if (record.status !== 'completed') throw new ApiError('NOT_REVIEWABLE', `only completed submissions can be reviewed (this one is ${record.status})`);
  const challenge = await ctx.challenges.load(record.challenge).catch(() => {
    throw new ApiError('NOT_REVIEWABLE', `the challenge "${record.challenge}" is not available any more`);
  });
  if (challenge.manifest.rubric.length === 0) throw new ApiError('NOT_REVIEWABLE', `the challenge "${record.challenge}" has no rubric to review with`);
  return challenge;
}

/**
 * Validates `body` against the challenge's rubric and writes it as the review's next version,
 * if the preconditions hold and nobody wrote another version meanwhile (412 otherwise, with the
 * current ETag). A submitted version of a submission with a callback URL queues the
 * `review.completed` webhook.
 */
export async function saveReview(ctx: AppContext, id: string, who: Viewer & { role: 'reviewer' | 'admin' }, body: unknown, pre: WritePreconditions): Promise<Review> {
  const record = await submissionOr404(ctx, id);
  const challenge = await reviewableChallenge(ctx, record);
  const input = parseOr400(reviewInputSchema(challenge.manifest.rubric), body ?? {}, 'body');
  const current = await ctx.store.reviews.current(record.id);
  const decision = checkReviewPreconditions(current?.version ?? 0, pre.ifMatch, pre.ifNoneMatch);
  if (!decision.ok) {
    if (decision.failure === 'malformed') throw new ApiError('BAD_REQUEST', decision.message);
    if (decision.failure === 'required') throw new ApiError('PRECONDITION_REQUIRED', decision.message, current ? { currentEtag: current.etag, currentVersion: current.version } : undefined, current ? { ETag: current.etag } : {});
    throw conflict(current, decision.message);
  }
  const next = nextReviewVersion(input, {
    submissionId: record.id,
    previous: decision.expectedVersion === 0 ? undefined : current,
    reviewer: who,
    rubric: challenge.manifest.rubric,
    settings: challenge.manifest.review,
    challengeVersion: challenge.manifest.version,
  });
  const written = await ctx.store.reviews.write(next);
  if (!written.ok) {
    if (written.reason === 'full') throw new ApiError('NOT_REVIEWABLE', 'this review has as many versions as are kept; an admin can read them all at /review/versions');
    throw conflict(written.current, 'someone else changed this review meanwhile: read the current version and apply your changes to it');
  }
  ctx.log.info({ submissionId: record.id, reviewVersion: next.version, status: next.status, reviewer: who.name }, 'review saved');
  if (next.status === 'submitted' && record.callbackUrl) {
    // The review is saved whatever happens to its webhook; a queue failure is logged, not the reviewer's problem.
    await ctx.queue.enqueueReviewWebhook(record.id, next.version).catch((err: unknown) => ctx.log.error({ err, submissionId: record.id, reviewVersion: next.version }, 'could not queue the review.completed webhook'));
  }
  return written.review;
}

/** The 412 of a stale write, naming the current version so the client can fetch and redo. */
export function conflict(current: Review | undefined, message: string): ApiError {
  return new ApiError('PRECONDITION_FAILED', message, current ? { currentEtag: current.etag, currentVersion: current.version, reviewer: current.reviewer, updatedAt: current.updatedAt } : { currentEtag: null }, current ? { ETag: current.etag } : {});
}

/** The scores a reviewer's report carries beside the automated one (null: not reviewed yet). */
function reviewScores(review: Review | undefined): ReviewScores | null {
  return review ? ReviewScoresSchema.parse(review) : null;
}

/**
 * The report as a reviewer or admin reads it: anonymised when the challenge reviews anonymously
 * and this viewer has not submitted a review, with `review` (the current review's scores, null
 * before one; absent when the challenge has no rubric) merged in when read.
 */
export async function reviewerReport(ctx: AppContext, record: SubmissionRecord, report: Report, viewer: Viewer): Promise<Report & { review?: ReviewScores | null }> {
  const manifest = await ctx.challenges.load(record.challenge).then((c) => c.manifest, () => undefined);
  const review = await ctx.store.reviews.current(record.id);
  const shown = identityHidden(manifest?.review, viewer, review) ? anonymiseReport(report, record) : report;
  return manifest?.rubric.length ? { ...shown, review: reviewScores(review) } : shown;
}
