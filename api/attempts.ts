/**
 * The attempt policy of a challenge: how many submissions a candidate may make and how long they
 * wait between two. The manifest's `attempts` decides, field by field, and the operator's
 * ASSAY_MAX_ATTEMPTS / ASSAY_ATTEMPT_COOLDOWN_SECONDS fill what it leaves unset. The candidate is
 * the one the unfinished-submissions cap names (email, else external id, else repository URL).
 *
 * What counts: every submission that was stored and queued. Not counted: a request refused for
 * any reason (validation, rate limit, unfinished cap), an Idempotency-Key replay, a submission
 * that could not be queued (Assay's failure), and admin reruns. A canceled submission counts:
 * only an admin can cancel, and the candidate did use the attempt.
 */
import type { ChallengeManifest } from '../runner/challenges/manifest.ts';
import { AttemptLedger, type AttemptLimits } from '../runner/store/attempts.ts';
import type { SubmissionRecord } from '../runner/store/submissions.ts';
import type { AppContext } from './context.ts';
import { ApiError } from './errors.ts';

export interface AttemptPolicy {
  /** The most submissions per candidate; absent: unlimited. */
  max?: number;
  /** Seconds between two submissions of a candidate; absent: none. */
  cooldownSeconds?: number;
}

/** The manifest's policy, with the operator's defaults where it says nothing. Pure. */
export function attemptPolicy(manifest: Pick<ChallengeManifest, 'attempts'>, defaults: AttemptLimits): AttemptPolicy {
  const max = manifest.attempts?.max ?? defaults.max;
  const cooldownSeconds = manifest.attempts?.cooldownSeconds ?? defaults.cooldownSeconds;
  return { ...(max !== undefined ? { max } : {}), ...(cooldownSeconds ? { cooldownSeconds } : {}) };
}

/** The error for a refused attempt, written for the candidate. Pure. */
export function refusal(policy: AttemptPolicy, refused: { reason: 'exhausted'; used: number } | { reason: 'cooldown'; retryAfterMs: number }, now = Date.now()): ApiError {
  if (refused.reason === 'exhausted') {
    return new ApiError('ATTEMPTS_EXHAUSTED', `this candidate has used all ${policy.max ?? refused.used} attempts at this challenge`, { max: policy.max ?? refused.used, used: refused.used });
  }
  const seconds = Math.max(1, Math.ceil(refused.retryAfterMs / 1000));
  const at = new Date(now + seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return new ApiError(
    'ATTEMPT_COOLDOWN',
    `the next attempt at this challenge is allowed in ${seconds} s, at ${at} (${policy.cooldownSeconds ?? 0} s between attempts)`,
    { retryAfterSeconds: seconds, nextAttemptAt: at },
    { 'Retry-After': String(seconds) },
  );
}

function ledger(ctx: AppContext): AttemptLedger {
  return new AttemptLedger(ctx.redis, ctx.config.redis.prefix);
}

/** Counts `record` as the candidate's next attempt, or throws ATTEMPTS_EXHAUSTED / ATTEMPT_COOLDOWN (429). */
export async function claimAttempt(ctx: AppContext, record: SubmissionRecord, manifest: ChallengeManifest): Promise<number> {
  const policy = attemptPolicy(manifest, ctx.config.api.attempts);
  const claimed = await ledger(ctx).claim(record, policy);
  if (claimed.ok) return claimed.number;
  ctx.log.info({ submissionId: record.id, challenge: record.challenge, refused: claimed.reason }, 'attempt refused');
  throw refusal(policy, claimed);
}

/** Gives back the attempt of a submission that never became one; a failure is logged (it costs the candidate one attempt). */
export async function releaseAttempt(ctx: AppContext, record: SubmissionRecord): Promise<void> {
  await ledger(ctx)
    .release(record)
    .catch((err: unknown) => ctx.log.error({ err, submissionId: record.id }, 'could not give back the attempt of a submission that was not made'));
}

/** "Attempt n of max" of a submission, when it was counted (submissions from before the ledger were not). */
export async function attemptOf(ctx: AppContext, record: SubmissionRecord, manifest?: ChallengeManifest): Promise<{ number: number; max?: number } | undefined> {
  const number = await ledger(ctx).numberOf(record);
  if (number === undefined) return undefined;
  const max = manifest ? attemptPolicy(manifest, ctx.config.api.attempts).max : undefined;
  return { number, ...(max !== undefined ? { max } : {}) };
}
