/**
 * Request and response schemas of the HTTP API (v1). Handlers validate with these, and
 * api/openapi.ts generates the OpenAPI document from the same objects, so the two cannot drift.
 * Request objects are strict: an unknown field is a 400, never silently ignored.
 */
import { z } from 'zod';
import { ApiError } from './errors.ts';
import { CHALLENGE_KINDS, RUNTIMES } from '../runner/challenges/manifest.ts';
import { STAGES } from '../runner/store/states.ts';
import { OwnTestsSummarySchema } from '../runner/report/insights-tests.ts';
import { LintInsightSchema } from '../runner/report/insights.ts';
import { CappedLogSchema, FlagSchema, FLAG_CODES, ReportErrorSchema, ReportSchema, ScoreSchema, STEP_NAMES, STEP_STATUSES, TestResultSchema } from '../runner/report/schema.ts';
import { CandidateSchema, SUBMISSION_STATUSES, WebhookDeliverySchema } from '../runner/store/submissions.ts';

export const SubmissionIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, 'a submission id');
export const ChallengeIdSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a challenge id');
export const IdempotencyKeySchema = z.string().regex(/^[\x21-\x7e]{1,200}$/, '1-200 printable ASCII characters');

export const ErrorResponseSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});

export const CreateSubmissionBodySchema = z.strictObject({
  challenge: ChallengeIdSchema,
  /** https:// git URL (plain http only when the operator allows it). */
  repoUrl: z.string().min(1).max(2048),
  /** Branch, tag or commit; the remote's default branch when absent. */
  ref: z.string().min(1).max(200).optional(),
  /**
   * The subdirectory of the repository where the service lives (e.g. `backend`): relative, with
   * `/` between folders, no `..`; it must be a real folder (not a symbolic link) of the commit.
   * The root when absent. A path that cannot be one is a 422 PATH_INVALID at once; one missing
   * from the commit fails the grading with PATH_INVALID.
   */
  path: z.string().max(1000).optional(),
  candidate: CandidateSchema.optional(),
  /** Where to POST the signed `submission.finished` event. */
  callbackUrl: z.string().min(1).max(2048).optional(),
});
export type CreateSubmissionBody = z.infer<typeof CreateSubmissionBodySchema>;

export const LinksSchema = z.object({ self: z.string(), report: z.string(), reportHtml: z.string() });

export const CreateSubmissionResponseSchema = z.object({
  id: z.string(),
  status: z.enum(SUBMISSION_STATUSES),
  /** Shown once, on creation; a replay with the same Idempotency-Key does not repeat it. */
  accessToken: z.string().optional(),
  /**
   * With the accessToken only: the candidate's page, `<links.reportHtml>#token=<accessToken>`.
   * The token is in the fragment, which browsers never send to a server; give this link to the
   * candidate.
   */
  candidateUrl: z.string().optional(),
  links: LinksSchema,
});

/** What anyone allowed to see a submission sees (candidates included). */
export const SubmissionViewSchema = z.object({
  id: z.string(),
  status: z.enum(SUBMISSION_STATUSES),
  stage: z.enum(STAGES),
  challenge: z.string(),
  repoUrl: z.string(),
  ref: z.string().nullable(),
  /** The subdirectory graded; absent: the repository root. */
  path: z.string().optional(),
  commit: z.string().optional(),
  createdAt: z.string(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  score: ScoreSchema.optional(),
  error: ReportErrorSchema.optional(),
});
export type SubmissionView = z.infer<typeof SubmissionViewSchema>;

/** Reviewers and admins also see who, how it went and what was delivered. */
export const ReviewerSubmissionViewSchema = SubmissionViewSchema.extend({
  candidate: CandidateSchema.optional(),
  stages: z.array(z.object({ stage: z.enum(STAGES), at: z.string() })),
  webhookDeliveries: z.array(WebhookDeliverySchema),
  callbackUrl: z.string().optional(),
  runs: z.number().int(),
  reportRuns: z.array(z.number().int()),
  durationMs: z.number().optional(),
  submittedBy: z.string().optional(),
});
export type ReviewerSubmissionView = z.infer<typeof ReviewerSubmissionViewSchema>;

export const ListQuerySchema = z.strictObject({
  challenge: ChallengeIdSchema.optional(),
  status: z.enum(SUBMISSION_STATUSES).optional(),
  /** `score` needs `challenge` (scores are indexed per challenge). */
  sort: z.enum(['score', 'createdAt']).default('createdAt'),
  order: z.enum(['asc', 'desc']).default('desc'),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().regex(/^\d{1,12}$/, 'a cursor returned by the previous page').optional(),
});

export const ListResponseSchema = z.object({
  items: z.array(ReviewerSubmissionViewSchema),
  nextCursor: z.string().nullable(),
});

export const ReportQuerySchema = z.strictObject({
  /** Which run's report (1 + reruns); the latest when absent. */
  run: z.coerce.number().int().min(1).max(1000).optional(),
});

export const RerunBodySchema = z.strictObject({
  /** Grade this ref instead of the commit graded before. */
  ref: z.string().min(1).max(200).optional(),
});

export const CancelResponseSchema = z.object({
  id: z.string(),
  /** `canceled` when it had not started; `canceling` while a running job is being stopped. */
  status: z.enum(['canceled', 'canceling']),
});

/**
 * The report as a candidate sees it: only visible tests (hidden ones removed entirely; the
 * total score stays), no step logs except the tail of a failed install, build or start (their
 * own output, secrets removed), flag messages only for the flags written for them, nothing
 * about the runner or its images but the runtime's version.
 */
export const CandidateReportSchema = z.object({
  schemaVersion: ReportSchema.shape.schemaVersion,
  submissionId: z.string(),
  attempt: z.number().int(),
  challenge: z.object({ id: z.string(), version: z.string() }),
  repoUrl: z.string(),
  ref: z.string(),
  path: z.string().optional(),
  commit: z.string().nullable(),
  status: ReportSchema.shape.status,
  runtime: ReportSchema.shape.runtime,
  /** The exact version of the runtime that ran the submission (e.g. Node.js `22.23.5`), where known. */
  runtimeVersion: z.string().optional(),
  score: ScoreSchema,
  categories: ReportSchema.shape.categories,
  /** `hint`: the author's hint, on a visible test that failed (errored, timed out) only. */
  tests: z.array(TestResultSchema.extend({ hint: z.string().optional() })),
  hiddenTests: z.object({ count: z.number().int(), maxPoints: z.number() }),
  steps: z.array(
    z.object({
      name: z.enum(STEP_NAMES),
      status: z.enum(STEP_STATUSES),
      durationMs: z.number(),
      reason: z.string().optional(),
      /** A failed install, build or start only: the end of its output (at most 4000 characters, secrets and terminal escapes removed). */
      logTail: z.string().optional(),
    }),
  ),
  /** `message` only for the flags written for the candidate (CANDIDATE_FLAG_MESSAGES in runner/report/schema.ts). */
  flags: z.array(z.object({ code: z.enum(FLAG_CODES), message: z.string().optional() })),
  error: ReportErrorSchema.optional(),
  /** Only the insights the challenge shows candidates (its manifest's `insights.showCandidates`); absent: none. */
  insights: z.object({ lint: LintInsightSchema.optional(), ownTests: OwnTestsSummarySchema.optional() }).optional(),
  /** Which of the candidate's submissions to this challenge this is (1: the first), and `max` when the challenge limits them; absent for submissions made before attempts were counted. */
  candidateAttempt: z.object({ number: z.number().int(), max: z.number().int().optional() }).optional(),
  startedAt: z.string(),
  finishedAt: z.string(),
});
export type CandidateReport = z.infer<typeof CandidateReportSchema>;

export { ReportSchema, CappedLogSchema, FlagSchema };

export const LimitsViewSchema = z.object({
  installTimeoutMs: z.number(),
  buildTimeoutMs: z.number(),
  startTimeoutMs: z.number(),
  testTimeoutMs: z.number(),
  perTestTimeoutMs: z.number(),
  memoryMb: z.number(),
  cpus: z.number(),
  pids: z.number(),
});

export const ChallengeSummarySchema = z.object({
  id: z.string(),
  title: z.string(),
  version: z.string(),
  kind: z.enum(CHALLENGE_KINDS),
  runtimes: z.array(z.enum(RUNTIMES)),
});

export const ChallengeDetailSchema = ChallengeSummarySchema.extend({
  /** The candidate-facing brief (Markdown). */
  readme: z.string(),
  limits: LimitsViewSchema,
  tests: z.array(z.object({ id: z.string(), name: z.string(), category: z.string(), points: z.number() })),
  hiddenTests: z.object({ count: z.number().int(), points: z.number() }),
  maxPoints: z.number(),
  /** How often a candidate may submit (the manifest's `attempts`, else the operator's defaults); an absent field: no limit. */
  attempts: z.object({ max: z.number().int().optional(), cooldownSeconds: z.number().int().optional() }),
});

export const ChallengeListResponseSchema = z.object({ items: z.array(ChallengeSummarySchema) });

export const HealthResponseSchema = z.object({ status: z.literal('ok') });
export const ReadyResponseSchema = z.object({
  status: z.enum(['ready', 'not_ready']),
  checks: z.record(z.string(), z.object({ ok: z.boolean(), error: z.string().optional(), ms: z.number() })),
  /** When not ready: which checks failed and why. */
  error: z.object({ code: z.literal('NOT_READY'), message: z.string() }).optional(),
});

/** Parses `value` with `schema` or throws a 400 whose details list every problem. */
export function parseOr400<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query' | 'params' | 'header'): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw validationError(parsed.error, where);
}


export function validationError(error: z.ZodError, where: string): ApiError {
  const details = error.issues.map((i) => ({ in: where, path: i.path.map(String).join('.'), message: i.message }));
  const first = details[0];
  return new ApiError('VALIDATION_FAILED', `invalid ${where}${first ? `: ${first.path ? `${first.path}: ` : ''}${first.message}` : ''}`, details);
}
