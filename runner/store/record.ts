/**
 * The submission record: its schema, and the one factory for a fresh (queued) record. How a
 * record moves on from there is runner/store/lifecycle.ts's business alone.
 */
import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { STAGES, SUBMISSION_STATUSES } from './states.ts';

export const CandidateSchema = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  email: z.string().trim().email().max(320).optional(),
  externalId: z.string().trim().min(1).max(200).optional(),
});
export type Candidate = z.infer<typeof CandidateSchema>;

export const WebhookDeliverySchema = z.object({
  attempt: z.number().int(),
  at: z.string(),
  ok: z.boolean(),
  status: z.number().int().optional(),
  error: z.string().optional(),
  durationMs: z.number(),
  /** The event delivered (`submission.finished` or `review.completed`); absent on attempts recorded before events had names. */
  event: z.string().optional(),
});
export type WebhookDelivery = z.infer<typeof WebhookDeliverySchema>;

export const SubmissionRecordSchema = z.object({
  id: z.string(),
  challenge: z.string(),
  repoUrl: z.string(),
  ref: z.string().nullable(),
  /** The subdirectory of the repository where the service lives (canonical spelling); absent: the root. */
  path: z.string().optional(),
  candidate: CandidateSchema.optional(),
  callbackUrl: z.string().optional(),
  /** sha256 of the candidate's access token; the token itself is never stored. */
  accessTokenHash: z.string(),
  status: z.enum(SUBMISSION_STATUSES),
  stage: z.enum(STAGES),
  stages: z.array(z.object({ stage: z.enum(STAGES), at: z.string() })),
  createdAt: z.string(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  commit: z.string().optional(),
  /** Commit pinned for reruns ("same commit unless told otherwise"). */
  pinnedCommit: z.string().optional(),
  score: z.object({ points: z.number(), maxPoints: z.number(), percent: z.number() }).optional(),
  error: z.object({ code: z.string(), message: z.string(), fault: z.enum(['submission', 'platform']) }).optional(),
  /** Number of grading runs requested (1 + reruns). */
  runs: z.number().int(),
  /** Runs that produced a report. */
  reportRuns: z.array(z.number().int()),
  durationMs: z.number().optional(),
  webhookDeliveries: z.array(WebhookDeliverySchema).default([]),
  submittedBy: z.string().optional(),
});
export type SubmissionRecord = z.infer<typeof SubmissionRecordSchema>;

/** What a new submission starts from; everything else is set as it is graded. */
export interface NewSubmission {
  challenge: string;
  repoUrl: string;
  ref?: string | null;
  /** A subdirectory, already checked and in its canonical spelling (runner/net/repo-path.ts). */
  path?: string;
  candidate?: Candidate;
  callbackUrl?: string;
  /** Only its sha256 is kept. */
  accessToken: string;
  submittedBy?: string;
}

/** A queued submission record (the one place that knows a fresh record's shape). */
export function newSubmissionRecord(input: NewSubmission, id: string = randomUUID()): SubmissionRecord {
  const now = new Date().toISOString();
  return {
    id,
    challenge: input.challenge,
    repoUrl: input.repoUrl,
    ref: input.ref ?? null,
    ...(input.path ? { path: input.path } : {}),
    ...(input.candidate ? { candidate: input.candidate } : {}),
    ...(input.callbackUrl ? { callbackUrl: input.callbackUrl } : {}),
    accessTokenHash: hashSecret(input.accessToken),
    status: 'queued',
    stage: 'queued',
    stages: [{ stage: 'queued', at: now }],
    createdAt: now,
    runs: 1,
    reportRuns: [],
    webhookDeliveries: [],
    ...(input.submittedBy ? { submittedBy: input.submittedBy } : {}),
  };
}

export function hashSecret(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** A stored record (JSON) as a checked SubmissionRecord. */
export function parseRecord(raw: string): SubmissionRecord {
  return SubmissionRecordSchema.parse(JSON.parse(raw));
}
