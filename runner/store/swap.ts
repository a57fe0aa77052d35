/**
 * Atomic writes of one submission record: read it, work out its next version in TypeScript, and
 * write that with one Lua script which succeeds only if the record is still exactly what was read,
 * updating the side indexes in the same step. A write that lost a race reads again and decides
 * again, so concurrent writers (a worker's progress, an admin's cancel, a webhook delivery) never
 * overwrite each other, from any number of connections and processes.
 *
 * Why compare-and-swap rather than the whole move in Lua: the JSON library of Redis's Lua (cjson)
 * turns an empty array into `{}` and rounds numbers to 14 digits, so a record decoded and encoded
 * again in Lua would not read back the same (`reportRuns: []` would become `{}`). Deciding in
 * TypeScript keeps the schema and the transition table typed and unit-testable; the script keeps
 * the write atomic. No WATCH either: WATCH is per connection, which is what forced the old
 * process-wide queue of updates.
 */
import { PlatformError } from '../errors.ts';
import type { StoreKeys } from './keys.ts';
import { parseRecord, type SubmissionRecord } from './record.ts';
import type { Redis } from './redis.ts';

/** How a write changes the side indexes (see keys.ts) besides the record itself. */
export interface IndexChanges {
  /** The per-challenge score ZSET: add the record with this score, or remove it. */
  score?: { add: number } | 'remove';
  /** The candidate's set of unfinished submissions. */
  candidate?: 'add' | 'remove';
}

/** What `decide` returns: `next` (and its index changes) to write, or nothing to write; `value` is handed back. */
export type SwapDecision<T> = { next: SubmissionRecord; indexes?: IndexChanges; value: T } | { next?: undefined; value: T };

export type SwapResult<T> = { found: false } | { found: true; value: T };

/**
 * KEYS: record, score ZSET, candidate SET. ARGV: expected JSON, next JSON, id, score op
 * ('add' | 'rem' | ''), score, candidate op ('add' | 'rem' | ''). Returns 1 if written, 0 if the
 * record was not what the caller read (or is gone).
 */
const SWAP_LUA = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
if ARGV[4] == 'add' then redis.call('ZADD', KEYS[2], ARGV[5], ARGV[3])
elseif ARGV[4] == 'rem' then redis.call('ZREM', KEYS[2], ARGV[3]) end
if ARGV[6] == 'add' then redis.call('SADD', KEYS[3], ARGV[3])
elseif ARGV[6] == 'rem' then redis.call('SREM', KEYS[3], ARGV[3]) end
return 1
`;
const COMMAND = 'assaySwapRecord';

interface SwapCommand {
  assaySwapRecord(record: string, scoreSet: string, candidateSet: string, expected: string, next: string, id: string, scoreOp: string, score: string, candidateOp: string): Promise<number>;
}

/**
 * A lost race means another write to the same record succeeded, so some writer always makes
 * progress; this bound only stops a pathological storm from spinning forever.
 */
const MAX_ATTEMPTS = 50;

export class RecordSwap {
  private readonly redis: Redis & SwapCommand;

  constructor(redis: Redis, private readonly keys: StoreKeys) {
    // EVALSHA, falling back to EVAL when the script cache is empty (after a Redis restart).
    if (typeof (redis as Partial<SwapCommand>)[COMMAND] !== 'function') redis.defineCommand(COMMAND, { numberOfKeys: 3, lua: SWAP_LUA });
    this.redis = redis as Redis & SwapCommand;
  }

  /** Reads the record, asks `decide`, writes its decision if the record has not changed meanwhile (else asks again). */
  async change<T>(id: string, decide: (current: SubmissionRecord) => SwapDecision<T>): Promise<SwapResult<T>> {
    const key = this.keys.record(id);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const raw = await this.redis.get(key);
      if (raw === null) return { found: false };
      const decision = decide(parseRecord(raw));
      if (!decision.next) return { found: true, value: decision.value };
      const { next, indexes = {} } = decision;
      const score = indexes.score;
      const written = await this.redis[COMMAND](
        key,
        this.keys.challengeScore(next.challenge),
        this.keys.candidate(next),
        raw,
        JSON.stringify(next),
        id,
        score === undefined ? '' : score === 'remove' ? 'rem' : 'add',
        score === undefined || score === 'remove' ? '0' : String(score.add),
        indexes.candidate === undefined ? '' : indexes.candidate === 'remove' ? 'rem' : 'add',
      );
      if (written === 1) return { found: true, value: decision.value };
    }
    throw new PlatformError('INTERNAL', `could not write submission ${id}: ${MAX_ATTEMPTS} concurrent writes in a row got there first`, true);
  }
}
