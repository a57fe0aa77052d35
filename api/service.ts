/**
 * The API's actions on submissions (create, rerun, cancel), shared by the JSON routes and the
 * reviewer UI. Everything the candidate controls is checked here before anything is stored or
 * queued: the challenge exists, the repository URL passes the fetch policy (including where its
 * host resolves), the ref is well formed and the callback URL passes the webhook SSRF policy.
 */
import { randomBytes } from 'node:crypto';
import { PlatformError } from '../runner/errors.ts';
import { cancelChannel } from '../runner/queue/queue.ts';
import { normalizeRepoPath } from '../runner/net/repo-path.ts';
import { parseRepoUrl, resolveAllowedAddress, validateRef } from '../runner/net/url-policy.ts';
import { FINAL_STATUSES, newSubmissionRecord, type SubmissionRecord, type TransitionResult } from '../runner/store/submissions.ts';
import { CallbackUrlError, checkCallbackUrl } from '../runner/webhooks/deliver.ts';
import { claimAttempt, releaseAttempt } from './attempts.ts';
import type { AppContext } from './context.ts';
import { ApiError } from './errors.ts';
import type { CreateSubmissionBody } from './schemas.ts';

export interface CreateInput {
  body: CreateSubmissionBody;
  /** Key name of the submitter, when a key was used. */
  submittedBy?: string;
  /** Scope of the Idempotency-Key (the key's name or the client address), so callers cannot collide. */
  idempotencyScope: string;
  idempotencyKey?: string;
}

export interface CreateResult {
  record: SubmissionRecord;
  created: boolean;
  /** Only on creation: the token is never stored, so it cannot be shown again. */
  accessToken?: string;
}

export async function createSubmission(ctx: AppContext, input: CreateInput): Promise<CreateResult> {
  const { store, queue, config } = ctx;
  // The path in its one spelling (PATH_INVALID -> 422), so "backend/" and "./backend" are one submission.
  const subPath = input.body.path === undefined ? undefined : normalizeRepoPath(input.body.path);
  const body: CreateSubmissionBody = { ...input.body, path: subPath };
  const scopedKey = input.idempotencyKey ? `${input.idempotencyScope}\n${input.idempotencyKey}` : undefined;
  if (scopedKey) {
    const existing = await store.getByIdempotencyKey(scopedKey);
    if (existing) return { record: sameRequestOr409(existing, body), created: false };
  }

  const challenge = await ctx.challenges.load(body.challenge); // UNKNOWN_CHALLENGE -> 422
  const { host } = parseRepoUrl(body.repoUrl, config.fetch.policy); // URL_REJECTED -> 422
  await resolveAllowedAddress(host, config.fetch.policy); // private address -> 422; resolver down -> 503
  if (body.ref !== undefined) validateRef(body.ref); // REF_INVALID -> 422
  if (body.callbackUrl !== undefined) await checkCallback(body.callbackUrl, config.api.webhookAllowPrivate);

  const accessToken = randomBytes(32).toString('base64url');
  const record = newSubmissionRecord({
    challenge: body.challenge,
    repoUrl: body.repoUrl,
    ref: body.ref,
    path: subPath,
    candidate: body.candidate,
    callbackUrl: body.callbackUrl,
    accessToken,
    submittedBy: input.submittedBy,
  });

  // Counted before the record exists, so two concurrent requests cannot both slip under the cap.
  const active = await store.trackCandidate(record);
  if (active > config.api.maxQueuedPerCandidate) {
    await store.untrackCandidate(record);
    throw new ApiError('TOO_MANY_QUEUED', `this candidate already has ${active - 1} unfinished submissions (at most ${config.api.maxQueuedPerCandidate})`, undefined, { 'Retry-After': '60' });
  }
  // Last of the checks, so a request refused for anything else costs no attempt (api/attempts.ts).
  try {
    await claimAttempt(ctx, record, challenge.manifest);
  } catch (err) {
    await store.untrackCandidate(record);
    // The same Idempotency-Key sent twice at once: the other request made the submission.
    const made = scopedKey ? await store.getByIdempotencyKey(scopedKey) : undefined;
    if (made) return { record: sameRequestOr409(made, body), created: false };
    throw err;
  }
  let result: { record: SubmissionRecord; created: boolean };
  try {
    result = await store.create(record, scopedKey);
  } catch (err) {
    await store.untrackCandidate(record).catch(() => undefined);
    await releaseAttempt(ctx, record);
    throw err;
  }
  if (!result.created) {
    await store.untrackCandidate(record);
    await releaseAttempt(ctx, record);
    return { record: sameRequestOr409(result.record, body), created: false };
  }
  try {
    await queue.enqueueGrade(record.id, 1);
  } catch (err) {
    await failUnqueued(ctx, record.id, err);
    await releaseAttempt(ctx, record);
    throw new ApiError('UNAVAILABLE', 'the queue is unavailable; try again', undefined, { 'Retry-After': '10' });
  }
  ctx.metrics.submissionsCreated.inc({ challenge: record.challenge });
  ctx.log.info({ submissionId: record.id, challenge: record.challenge, submittedBy: input.submittedBy }, 'submission created');
  return { record, created: true, accessToken };
}

/** A run that could not be queued ends as a platform failure (never the candidate's fault), so it does not stay queued for ever. */
async function failUnqueued(ctx: AppContext, id: string, err: unknown): Promise<void> {
  ctx.log.error({ err, submissionId: id }, 'could not enqueue a grading run');
  const failed = await ctx.store.lifecycle
    .fail(id, { code: 'INTERNAL', message: "Assay could not queue this submission; it is not the candidate's fault", fault: 'platform' })
    .catch((failErr: unknown) => ctx.log.error({ err: failErr, submissionId: id }, 'could not mark the unqueued run failed'));
  if (failed && !failed.ok) ctx.log.warn({ submissionId: id, refused: failed.reason }, 'the unqueued run was not marked failed');
}

function sameRequestOr409(existing: SubmissionRecord, body: CreateSubmissionBody): SubmissionRecord {
  if (existing.challenge !== body.challenge || existing.repoUrl !== body.repoUrl || existing.ref !== (body.ref ?? null) || existing.path !== body.path) {
    throw new ApiError('IDEMPOTENCY_MISMATCH', undefined, { id: existing.id });
  }
  return existing;
}

async function checkCallback(raw: string, allowPrivate: boolean): Promise<void> {
  try {
    await checkCallbackUrl(raw, allowPrivate);
  } catch (err) {
    if (err instanceof CallbackUrlError) {
      if (err.cause instanceof PlatformError) throw new ApiError('UNAVAILABLE', 'a DNS lookup of the callback host failed; try again', undefined, { 'Retry-After': '5' });
      throw new ApiError('CALLBACK_REJECTED', err.message);
    }
    throw err;
  }
}

/**
 * A new run of a finished submission (admin). The worker grades the commit pinned by the first
 * run unless a new ref is given, which clears the pin. Earlier runs' reports are kept.
 */
export async function rerunSubmission(ctx: AppContext, id: string, ref?: string): Promise<SubmissionRecord> {
  if (ref !== undefined) validateRef(ref);
  const rerun = orRefusal(await ctx.store.lifecycle.rerun(id, { ref }));
  try {
    await ctx.queue.enqueueGrade(id, rerun.runs);
  } catch (err) {
    await failUnqueued(ctx, id, err);
    throw new ApiError('UNAVAILABLE', 'the queue is unavailable; try again', undefined, { 'Retry-After': '10' });
  }
  ctx.log.info({ submissionId: id, run: rerun.runs, ref }, 'rerun queued');
  return rerun;
}

/**
 * Cancels a submission (admin). A job that has not started is removed and the record marked
 * canceled here; a running job is told through the cancel channel, and its worker stops it and
 * marks it canceled. A finished submission is a 409.
 */
export async function cancelSubmission(ctx: AppContext, id: string): Promise<'canceled' | 'canceling'> {
  const record = await ctx.store.get(id);
  if (!record) throw new ApiError('NOT_FOUND', 'no such submission');
  if (FINAL_STATUSES.includes(record.status)) throw new ApiError('ALREADY_FINAL', `the submission is already ${record.status}`);
  if ((await ctx.queue.removeIfNotStarted(id, record.runs)) === 'running') {
    await ctx.redis.publish(cancelChannel(ctx.config.redis.prefix), id);
    ctx.log.info({ submissionId: id }, 'cancel requested for a running job');
    return 'canceling';
  }
  // No worker holds it (removed from the queue, or its job is over): cancel it here, unless its report got there first.
  orRefusal(await ctx.store.lifecycle.cancel(id));
  ctx.log.info({ submissionId: id }, 'canceled before it started');
  return 'canceled';
}

/** The record a transition wrote, or the API error for its refusal. */
function orRefusal(result: TransitionResult): SubmissionRecord {
  if (result.ok) return result.record;
  switch (result.reason) {
    case 'missing':
      throw new ApiError('NOT_FOUND', 'no such submission');
    case 'final':
      throw new ApiError('ALREADY_FINAL', `the submission is already ${result.record.status}`);
    case 'not_final':
      throw new ApiError('NOT_FINAL', 'the submission is still queued or running; cancel it first or wait');
    case 'stale_run':
      throw new Error(`submission ${result.record.id}: a refusal the API's transitions cannot cause (${result.reason})`);
  }
}
