/**
 * The API's actions on submissions (create, rerun, cancel), shared by the JSON routes and the
 * reviewer UI. Everything the candidate controls is checked here before anything is stored or
 * queued: the challenge exists, the repository URL passes the fetch policy (including where its
 * host resolves), the ref is well formed and the callback URL passes the webhook SSRF policy.
 */
import { randomBytes } from 'node:crypto';
import { PlatformError } from '../runner/errors.ts';
import { cancelChannel, gradeJobId } from '../runner/queue/queue.ts';
import { parseRepoUrl, resolveAllowedAddress, validateRef } from '../runner/net/url-policy.ts';
import { FINAL_STATUSES, newSubmissionRecord, type SubmissionRecord } from '../runner/store/submissions.ts';
import { CallbackUrlError, checkCallbackUrl } from '../runner/webhooks/deliver.ts';
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
  const { body } = input;
  const scopedKey = input.idempotencyKey ? `${input.idempotencyScope}\n${input.idempotencyKey}` : undefined;
  if (scopedKey) {
    const existing = await store.getByIdempotencyKey(scopedKey);
    if (existing) return { record: sameRequestOr409(existing, body), created: false };
  }

  await ctx.challenges.load(body.challenge); // UNKNOWN_CHALLENGE -> 422
  const { host } = parseRepoUrl(body.repoUrl, config.fetch.policy); // URL_REJECTED -> 422
  await resolveAllowedAddress(host, config.fetch.policy); // private address -> 422; resolver down -> 503
  if (body.ref !== undefined) validateRef(body.ref); // REF_INVALID -> 422
  if (body.callbackUrl !== undefined) await checkCallback(body.callbackUrl, config.api.webhookAllowPrivate);

  const accessToken = randomBytes(32).toString('base64url');
  const record = newSubmissionRecord({
    challenge: body.challenge,
    repoUrl: body.repoUrl,
    ref: body.ref,
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
  let result: { record: SubmissionRecord; created: boolean };
  try {
    result = await store.create(record, scopedKey);
  } catch (err) {
    await store.untrackCandidate(record).catch(() => undefined);
    throw err;
  }
  if (!result.created) {
    await store.untrackCandidate(record);
    return { record: sameRequestOr409(result.record, body), created: false };
  }
  try {
    await queue.enqueueGrade(record.id, 1);
  } catch (err) {
    ctx.log.error({ err, submissionId: record.id }, 'could not enqueue a new submission');
    await store.update(record.id, (r) => ({ ...r, status: 'failed', stage: 'failed', finishedAt: new Date().toISOString(), error: { code: 'INTERNAL', message: 'Assay could not queue this submission; it is not the candidate\'s fault', fault: 'platform' } }));
    throw new ApiError('UNAVAILABLE', 'the queue is unavailable; try again', undefined, { 'Retry-After': '10' });
  }
  ctx.metrics.submissionsCreated.inc({ challenge: record.challenge });
  ctx.log.info({ submissionId: record.id, challenge: record.challenge, submittedBy: input.submittedBy }, 'submission created');
  return { record, created: true, accessToken };
}

function sameRequestOr409(existing: SubmissionRecord, body: CreateSubmissionBody): SubmissionRecord {
  if (existing.challenge !== body.challenge || existing.repoUrl !== body.repoUrl || existing.ref !== (body.ref ?? null)) {
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
  let state = 'missing' as 'missing' | 'unfinished' | 'ok'; // set inside the update callback
  const at = new Date().toISOString();
  const updated = await ctx.store.update(id, (r) => {
    if (!FINAL_STATUSES.includes(r.status)) {
      state = 'unfinished';
      return undefined;
    }
    state = 'ok';
    r.runs += 1;
    r.status = 'queued';
    r.stage = 'queued';
    r.stages.push({ stage: 'queued', at });
    delete r.startedAt;
    delete r.finishedAt;
    delete r.score;
    delete r.error;
    delete r.durationMs;
    if (ref !== undefined) {
      r.ref = ref;
      delete r.pinnedCommit;
      delete r.commit;
    }
    return r;
  });
  if (!updated || state === 'missing') throw new ApiError('NOT_FOUND', 'no such submission');
  if (state === 'unfinished') throw new ApiError('NOT_FINAL', 'the submission is still queued or running; cancel it first or wait');
  await ctx.store.trackCandidate(updated);
  await ctx.queue.enqueueGrade(id, updated.runs);
  ctx.log.info({ submissionId: id, run: updated.runs, ref }, 'rerun queued');
  return updated;
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
  const job = await ctx.queue.grading.getJob(gradeJobId(id, record.runs));
  const state = job ? await job.getState() : 'unknown';
  const removed = state === 'unknown' || state === 'completed' || state === 'failed' || (await ctx.queue.removeWaiting(id, record.runs));
  if (!removed) {
    await ctx.redis.publish(cancelChannel(ctx.config.redis.prefix), id);
    ctx.log.info({ submissionId: id }, 'cancel requested for a running job');
    return 'canceling';
  }
  const now = new Date().toISOString();
  await ctx.store.update(id, (r) => {
    if (FINAL_STATUSES.includes(r.status)) return undefined;
    return { ...r, status: 'canceled', stage: 'failed', stages: [...r.stages, { stage: 'failed', at: now }], finishedAt: now, error: { code: 'CANCELED', message: 'the submission was canceled', fault: 'platform' } };
  });
  ctx.log.info({ submissionId: id }, 'canceled before it started');
  return 'canceled';
}
