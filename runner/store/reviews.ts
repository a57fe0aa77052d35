/**
 * Reviews of submissions, in versions (runner/review/review.ts). Each submission's versions are
 * one Redis LIST, `<p>:sub:<id>:review` (keys.ts): version n at index n - 1, the newest last, all
 * kept. A write appends the next version with one Lua script that checks first that the list
 * still has exactly the expected number of versions (compare-and-swap on the version), so of two
 * writers who read the same version exactly one wins, from any number of API processes.
 *
 * Scores are computed when read (`withScores`): the rubric percent from the version itself, the
 * weighted total against the record's current automated score, so a rerun's score counts.
 */
import { withScores, ReviewVersionSchema, type Review, type ReviewVersion } from '../review/review.ts';
import type { StoreKeys } from './keys.ts';
import { parseRecord } from './record.ts';
import type { Redis } from './redis.ts';

/** Versions kept per submission; a write beyond them is refused (`full`). */
export const MAX_REVIEW_VERSIONS = 500;

/**
 * KEYS: the review list. ARGV: expected version count, the new version's JSON, the cap. Returns
 * {1, count} when appended, {0, count} when the list has another length (a lost race), {-1, count}
 * when it is full.
 */
const APPEND_LUA = `
local n = redis.call('LLEN', KEYS[1])
if n ~= tonumber(ARGV[1]) then return {0, n} end
if n >= tonumber(ARGV[3]) then return {-1, n} end
redis.call('RPUSH', KEYS[1], ARGV[2])
return {1, n + 1}
`;
const COMMAND = 'assayAppendReview';

interface AppendCommand {
  assayAppendReview(list: string, expected: string, json: string, cap: string): Promise<[number, number]>;
}

export type ReviewWriteResult = { ok: true; review: Review } | { ok: false; reason: 'conflict' | 'full'; current: Review | undefined };

export class ReviewStore {
  private readonly redis: Redis & AppendCommand;

  constructor(redis: Redis, private readonly keys: StoreKeys) {
    if (typeof (redis as Partial<AppendCommand>)[COMMAND] !== 'function') redis.defineCommand(COMMAND, { numberOfKeys: 1, lua: APPEND_LUA });
    this.redis = redis as Redis & AppendCommand;
  }

  /** The current (newest) version with its scores; undefined when the submission has no review. */
  async current(id: string): Promise<Review | undefined> {
    return (await this.currentMany([id])).get(id);
  }

  /** The current review of each of `ids` that has one (two round trips, whatever the count). */
  async currentMany(ids: readonly string[]): Promise<Map<string, Review>> {
    const found = new Map<string, Review>();
    if (ids.length === 0) return found;
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.lindex(this.keys.reviews(id), -1);
    const newest = ((await pipeline.exec()) ?? []).map(([err, raw]) => {
      if (err) throw err;
      return typeof raw === 'string' ? raw : undefined;
    });
    const reviewed = ids.filter((_, i) => newest[i] !== undefined);
    const automated = await this.automatedPercents(reviewed);
    ids.forEach((id, i) => {
      const raw = newest[i];
      if (raw !== undefined) found.set(id, withScores(parseVersion(raw), automated.get(id) ?? null));
    });
    return found;
  }

  /** Every version, oldest first, each with its scores against the current automated score. */
  async versions(id: string): Promise<Review[]> {
    const raws = await this.redis.lrange(this.keys.reviews(id), 0, -1);
    if (raws.length === 0) return [];
    const automated = (await this.automatedPercents([id])).get(id) ?? null;
    return raws.map((raw) => withScores(parseVersion(raw), automated));
  }

  /** One version (1-based), or undefined. */
  async version(id: string, version: number): Promise<Review | undefined> {
    const raw = await this.redis.lindex(this.keys.reviews(id), version - 1);
    if (raw === null) return undefined;
    const automated = (await this.automatedPercents([id])).get(id) ?? null;
    return withScores(parseVersion(raw), automated);
  }

  /**
   * Appends `next` if the submission's newest version is still `next.version - 1` (0: no review
   * yet). A lost race or a full history returns the current review instead.
   */
  async write(next: ReviewVersion): Promise<ReviewWriteResult> {
    const checked = ReviewVersionSchema.parse(next);
    const id = checked.submissionId;
    const [written] = await this.redis[COMMAND](this.keys.reviews(id), String(checked.version - 1), JSON.stringify(checked), String(MAX_REVIEW_VERSIONS));
    if (written === 1) return { ok: true, review: withScores(checked, (await this.automatedPercents([id])).get(id) ?? null) };
    return { ok: false, reason: written === -1 ? 'full' : 'conflict', current: await this.current(id) };
  }

  /** Each record's automated score in percent (records without a score are left out). */
  private async automatedPercents(ids: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (ids.length === 0) return out;
    const raws = await this.redis.mget(ids.map((id) => this.keys.record(id)));
    ids.forEach((id, i) => {
      const raw = raws[i];
      const percent = raw ? parseRecord(raw).score?.percent : undefined;
      if (percent !== undefined) out.set(id, percent);
    });
    return out;
  }
}

function parseVersion(raw: string): ReviewVersion {
  return ReviewVersionSchema.parse(JSON.parse(raw));
}
