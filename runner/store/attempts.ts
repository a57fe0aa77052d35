/**
 * A candidate's attempts at one challenge (the attempt policy: most submissions, cool-down
 * between them). One HASH per candidate and challenge (keys.ts `attempts`), changed only by the
 * two scripts below, so two concurrent submissions can never both take the last attempt:
 *   n         attempts counted
 *   last      when the newest counted attempt was made (ms, Redis's clock)
 *   s:<id>    "<number>:<ms>" of each counted submission
 * Every submission is counted, whether a policy applies or not, so a limit set later counts the
 * attempts made before it. Redis's own clock decides, so API processes on hosts whose clocks
 * disagree still enforce one cool-down.
 */
import { StoreKeys } from './keys.ts';
import type { SubmissionRecord } from './record.ts';
import type { Redis } from './redis.ts';

/** What a claim is checked against; undefined fields: no limit. */
export interface AttemptLimits {
  max?: number | undefined;
  cooldownSeconds?: number | undefined;
}

export type ClaimResult =
  | { ok: true; number: number }
  /** `max` attempts were already counted. */
  | { ok: false; reason: 'exhausted'; used: number }
  /** The cool-down since the last attempt has `retryAfterMs` to go. */
  | { ok: false; reason: 'cooldown'; retryAfterMs: number };

type Who = Pick<SubmissionRecord, 'id' | 'candidate' | 'repoUrl' | 'challenge'>;

/**
 * KEYS: the attempts HASH. ARGV: submission id, max (0: none), cool-down ms. Returns
 * {'ok', number} | {'exhausted', used} | {'cooldown', ms to wait}. A submission claimed before
 * gets its number again (a retried claim is not a second attempt).
 */
const CLAIM_LUA = `
local mine = redis.call('HGET', KEYS[1], 's:' .. ARGV[1])
if mine then return {'ok', tonumber(string.match(mine, '^(%d+)'))} end
local n = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
local max = tonumber(ARGV[2])
if max > 0 and n >= max then return {'exhausted', n} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local last = tonumber(redis.call('HGET', KEYS[1], 'last') or '')
local cooldown = tonumber(ARGV[3])
if last and cooldown > 0 and now - last < cooldown then return {'cooldown', last + cooldown - now} end
n = n + 1
redis.call('HSET', KEYS[1], 'n', n, 'last', now, 's:' .. ARGV[1], n .. ':' .. now)
return {'ok', n}
`;

/**
 * KEYS: the attempts HASH. ARGV: submission id. Un-counts a claimed submission, and the cool-down
 * runs from the newest attempt still counted. Returns 1 if it was counted, else 0.
 */
const RELEASE_LUA = `
if redis.call('HDEL', KEYS[1], 's:' .. ARGV[1]) == 0 then return 0 end
redis.call('HINCRBY', KEYS[1], 'n', -1)
local last = nil
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  if string.sub(all[i], 1, 2) == 's:' then
    local at = tonumber(string.match(all[i + 1], ':(%d+)$'))
    if at and (last == nil or at > last) then last = at end
  end
end
if last then redis.call('HSET', KEYS[1], 'last', last) else redis.call('HDEL', KEYS[1], 'last') end
return 1
`;

interface AttemptCommands {
  assayClaimAttempt(key: string, id: string, max: string, cooldownMs: string): Promise<[string, number]>;
  assayReleaseAttempt(key: string, id: string): Promise<number>;
}

export class AttemptLedger {
  private readonly redis: Redis & AttemptCommands;
  private readonly keys: StoreKeys;

  constructor(redis: Redis, prefix: string) {
    const r = redis as Redis & Partial<AttemptCommands>;
    if (typeof r.assayClaimAttempt !== 'function') redis.defineCommand('assayClaimAttempt', { numberOfKeys: 1, lua: CLAIM_LUA });
    if (typeof r.assayReleaseAttempt !== 'function') redis.defineCommand('assayReleaseAttempt', { numberOfKeys: 1, lua: RELEASE_LUA });
    this.redis = redis as Redis & AttemptCommands;
    this.keys = new StoreKeys(prefix);
  }

  /** Counts this submission as the candidate's next attempt, unless the limits refuse it (atomically). */
  async claim(who: Who, limits: AttemptLimits): Promise<ClaimResult> {
    const [verdict, value] = await this.redis.assayClaimAttempt(this.keys.attempts(who), who.id, String(limits.max ?? 0), String((limits.cooldownSeconds ?? 0) * 1000));
    if (verdict === 'ok') return { ok: true, number: value };
    if (verdict === 'exhausted') return { ok: false, reason: 'exhausted', used: value };
    return { ok: false, reason: 'cooldown', retryAfterMs: value };
  }

  /** Un-counts a submission that was claimed but never became one (not stored, not queued, or an idempotent replay). */
  async release(who: Who): Promise<boolean> {
    return (await this.redis.assayReleaseAttempt(this.keys.attempts(who), who.id)) === 1;
  }

  /** Which of the candidate's attempts at its challenge this submission was; undefined when it was not counted. */
  async numberOf(who: Who): Promise<number | undefined> {
    const mine = await this.redis.hget(this.keys.attempts(who), `s:${who.id}`);
    const n = mine ? Number.parseInt(mine, 10) : Number.NaN;
    return Number.isInteger(n) ? n : undefined;
  }
}
