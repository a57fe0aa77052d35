/**
 * Cohort rows in Redis (runner/cohort/row.ts): one compact row per submission, the summary of
 * its latest report, so statistics, the dashboard and exports never read full reports.
 *
 *   <p>:cohort:<challenge>:rows               HASH id -> JSON CohortRow
 *   <p>:cohort:<challenge>:v:<version>:score  ZSET id -> score percent of graded rows (percentile ranks)
 *
 * A row is written when a run completes (SubmissionLifecycle's `completed` hook, so the worker and
 * seeded fixtures both write it); a later run's row replaces it, and a row never goes back to an
 * earlier run. Row and version ZSET change together in one compare-and-swap script. Completed
 * submissions without a row (graded before rows existed, or a lost write) are rebuilt from their
 * reports by `backfill`, which readers call first.
 */
import { PlatformError } from '../errors.ts';
import { cohortRow, CohortRowSchema, type CohortRow } from '../cohort/row.ts';
import { percentileRankFromCounts } from '../cohort/stats.ts';
import type { Report } from '../report/schema.ts';
import type { StoreKeys } from './keys.ts';
import type { Redis } from './redis.ts';

/** How many hash fields or ids one Redis call reads. */
const BATCH = 500;

/**
 * KEYS: rows HASH, old version ZSET (or the new one when none), new version ZSET. ARGV: id, the
 * row JSON expected now ('' for none), the new row JSON, 'add' | 'rem' for the new ZSET, score.
 */
const PUT_LUA = `
local now = redis.call('HGET', KEYS[1], ARGV[1])
if (now or '') ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('ZREM', KEYS[2], ARGV[1])
if ARGV[4] == 'add' then redis.call('ZADD', KEYS[3], ARGV[5], ARGV[1]) else redis.call('ZREM', KEYS[3], ARGV[1]) end
return 1
`;
const COMMAND = 'assayPutCohortRow';

interface PutCommand {
  assayPutCohortRow(rows: string, oldScores: string, newScores: string, id: string, expected: string, next: string, op: string, score: string): Promise<number>;
}

/** Where one score stands within its challenge version. */
export interface CohortPosition {
  /** Percentile rank (mid-rank, see runner/cohort/stats.ts), one decimal. */
  percentile: number;
  /** Graded submissions of that version. */
  of: number;
  version: string;
}

/** The latest report of a submission, for rebuilding its row. */
export type LatestReportLoader = (id: string) => Promise<{ run: number; report: Report } | undefined>;

export class CohortStore {
  private readonly redis: Redis & PutCommand;

  constructor(redis: Redis, private readonly keys: StoreKeys, private readonly latestReport: LatestReportLoader) {
    if (typeof (redis as Partial<PutCommand>)[COMMAND] !== 'function') redis.defineCommand(COMMAND, { numberOfKeys: 3, lua: PUT_LUA });
    this.redis = redis as Redis & PutCommand;
  }

  /** Stores the row of run `run`'s report unless the stored row is of a later run. */
  async put(report: Report, run: number): Promise<void> {
    const row = cohortRow(report, run);
    const rowsKey = this.keys.cohortRows(row.challenge);
    const next = JSON.stringify(row);
    const newScores = this.keys.cohortVersionScore(row.challenge, row.version);
    // Only another put of the same submission can race this one; the loser reads again.
    for (let attempt = 0; attempt < 10; attempt++) {
      const raw = await this.redis.hget(rowsKey, row.id);
      const old = raw ? CohortRowSchema.parse(JSON.parse(raw)) : undefined;
      if (old && old.run > run) return;
      const oldScores = old ? this.keys.cohortVersionScore(old.challenge, old.version) : newScores;
      const written = await this.redis[COMMAND](rowsKey, oldScores, newScores, row.id, raw ?? '', next, row.status === 'completed' ? 'add' : 'rem', String(row.percent));
      if (written === 1) return;
    }
    throw new PlatformError('INTERNAL', `could not write the cohort row of ${row.id}: concurrent writes kept winning`, true);
  }

  /** The rows of these submissions (undefined where a submission has none yet). */
  async getMany(challenge: string, ids: readonly string[]): Promise<(CohortRow | undefined)[]> {
    const out: (CohortRow | undefined)[] = [];
    for (let i = 0; i < ids.length; i += BATCH) {
      const raws = ids.length === 0 ? [] : await this.redis.hmget(this.keys.cohortRows(challenge), ...ids.slice(i, i + BATCH));
      for (const raw of raws) out.push(raw ? CohortRowSchema.parse(JSON.parse(raw)) : undefined);
    }
    return out;
  }

  /** Every row of a challenge, a batch at a time (HSCAN: a row changed meanwhile may come twice or as it was; callers count by id). */
  async *rows(challenge: string): AsyncGenerator<CohortRow[]> {
    const key = this.keys.cohortRows(challenge);
    const seen = new Set<string>();
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.hscan(key, cursor, 'COUNT', BATCH);
      cursor = next;
      const batch: CohortRow[] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const id = flat[i] as string;
        if (seen.has(id)) continue;
        seen.add(id);
        batch.push(CohortRowSchema.parse(JSON.parse(flat[i + 1] as string)));
      }
      if (batch.length) yield batch;
    } while (cursor !== '0');
  }

  /** Where `percent` stands among the graded submissions of `challenge` at `version`. */
  async position(challenge: string, version: string, percent: number): Promise<CohortPosition | undefined> {
    const key = this.keys.cohortVersionScore(challenge, version);
    const [[, below], [, equal], [, total]] = (await this.redis.multi().zcount(key, '-inf', `(${percent}`).zcount(key, percent, percent).zcard(key).exec()) as [[null, number], [null, number], [null, number]];
    if (total === 0) return undefined;
    return { percentile: percentileRankFromCounts(below, equal, total), of: total, version };
  }

  /**
   * Writes the missing rows of the challenge's completed submissions (those of its score index)
   * from their latest reports. Returns how many were written.
   */
  async backfill(challenge: string): Promise<number> {
    const index = this.keys.challengeScore(challenge);
    const rowsKey = this.keys.cohortRows(challenge);
    let written = 0;
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.zscan(index, cursor, 'COUNT', BATCH);
      cursor = next;
      const ids = flat.filter((_, i) => i % 2 === 0);
      if (ids.length === 0) continue;
      const present = await this.redis.hmget(rowsKey, ...ids);
      for (const [i, id] of ids.entries()) {
        if (present[i]) continue;
        const latest = await this.latestReport(id);
        if (!latest) continue;
        await this.put(latest.report, latest.run);
        written++;
      }
    } while (cursor !== '0');
    return written;
  }
}
