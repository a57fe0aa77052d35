/**
 * Durable submission records and reports in Redis (append-only persistence survives restarts).
 * The keys are listed in keys.ts. Records are created here and change state only through
 * `lifecycle` (lifecycle.ts); every other write to a record goes through the same atomic swap.
 */
import type { Report } from '../report/schema.ts';
import { CohortStore } from './cohort.ts';
import { StoreKeys } from './keys.ts';
import { SubmissionLifecycle } from './lifecycle.ts';
import { parseRecord, type SubmissionRecord, type WebhookDelivery } from './record.ts';
import type { Redis } from './redis.ts';
import { ReviewStore } from './reviews.ts';
import type { SubmissionStatus } from './states.ts';
import { SimilarityStore } from './similarity.ts';
import { RecordSwap } from './swap.ts';

export {
  CandidateSchema,
  hashSecret,
  newSubmissionRecord,
  SubmissionRecordSchema,
  WebhookDeliverySchema,
  type Candidate,
  type NewSubmission,
  type SubmissionRecord,
  type WebhookDelivery,
} from './record.ts';
export { FINAL_STATUSES, SUBMISSION_STATUSES, type SubmissionStatus } from './states.ts';
export type { Refusal, TransitionResult } from './lifecycle.ts';

/** Deliveries kept on a record (the newest). */
const MAX_RECORDED_DELIVERIES = 50;

export interface ListQuery {
  challenge?: string;
  status?: SubmissionStatus;
  sort: 'score' | 'createdAt';
  order: 'asc' | 'desc';
  limit: number;
  /** Opaque offset returned by the previous page. */
  cursor?: string;
}

export class SubmissionStore {
  /** The only way a record changes state (see lifecycle.ts for the table of moves). */
  readonly lifecycle: SubmissionLifecycle;
  /** Reviewers' rubric scores and notes, every version kept (reviews.ts). */
  readonly reviews: ReviewStore;
  /** Compact per-submission rows for statistics, the dashboard and exports (cohort.ts). */
  readonly cohort: CohortStore;
  /** Fingerprints and pairs of similar submissions per challenge, for reviewers (similarity.ts). */
  readonly similarity: SimilarityStore;
  private readonly keys: StoreKeys;
  private readonly records: RecordSwap;

  constructor(private readonly redis: Redis, prefix: string) {
    this.keys = new StoreKeys(prefix);
    this.records = new RecordSwap(redis, this.keys);
    this.reviews = new ReviewStore(redis, this.keys);
    this.similarity = new SimilarityStore(redis, this.keys);
    this.cohort = new CohortStore(redis, this.keys, (id) => this.latestReport(id));
    this.lifecycle = new SubmissionLifecycle(this.records, {
      // A row lost here (Redis failing right after the record was written) must not fail the
      // completion: cohort.backfill rebuilds missing rows from the reports when they are read.
      completed: (_record, run, report) => this.cohort.put(report, run).catch(() => undefined),
    });
  }

  async create(record: SubmissionRecord, idempotencyKey?: string): Promise<{ record: SubmissionRecord; created: boolean }> {
    if (idempotencyKey) {
      const idemKey = this.keys.idempotency(idempotencyKey);
      const claimed = await this.redis.set(idemKey, record.id, 'EX', 86_400, 'NX');
      if (claimed !== 'OK') {
        const existingId = await this.redis.get(idemKey);
        const existing = existingId ? await this.get(existingId) : undefined;
        if (existing) return { record: existing, created: false };
      }
    }
    const created = Date.parse(record.createdAt);
    await this.redis
      .multi()
      .set(this.keys.record(record.id), JSON.stringify(record))
      .zadd(this.keys.created(), created, record.id)
      .zadd(this.keys.challengeCreated(record.challenge), created, record.id)
      .exec();
    return { record, created: true };
  }

  /** The submission an Idempotency-Key created, if any (the key is stored hashed, for a day). */
  async getByIdempotencyKey(idempotencyKey: string): Promise<SubmissionRecord | undefined> {
    const id = await this.redis.get(this.keys.idempotency(idempotencyKey));
    return id ? this.get(id) : undefined;
  }

  async get(id: string): Promise<SubmissionRecord | undefined> {
    if (!/^[A-Za-z0-9_-]{1,100}$/.test(id)) return undefined;
    const raw = await this.redis.get(this.keys.record(id));
    return raw ? parseRecord(raw) : undefined;
  }

  /** Several records in one round trip, in the order asked (undefined where there is none). */
  async getMany(ids: readonly string[]): Promise<(SubmissionRecord | undefined)[]> {
    if (ids.length === 0) return [];
    const raws = await this.redis.mget(ids.map((id) => this.keys.record(id)));
    return raws.map((raw) => (raw ? parseRecord(raw) : undefined));
  }

  /**
   * Appends a webhook delivery attempt to the record (the newest MAX_RECORDED_DELIVERIES are
   * kept), atomically, whatever state the record is in. False when there is no such record.
   */
  async recordWebhookDelivery(id: string, delivery: WebhookDelivery): Promise<boolean> {
    const result = await this.records.change(id, (r) => ({ next: { ...r, webhookDeliveries: [...r.webhookDeliveries, delivery].slice(-MAX_RECORDED_DELIVERIES) }, value: true }));
    return result.found;
  }

  /** Stores a run's report once; returns false when that run already has one (a retried job). */
  async saveReport(id: string, run: number, report: Report): Promise<boolean> {
    const ok = await this.redis.set(this.keys.report(id, run), JSON.stringify(report), 'NX');
    return ok === 'OK';
  }

  /** A run's report (by default the newest run that has one). */
  async getReport(id: string, run?: number): Promise<Report | undefined> {
    const record = await this.get(id);
    const which = run ?? record?.reportRuns.at(-1);
    if (!record || which === undefined) return undefined;
    const raw = await this.redis.get(this.keys.report(id, which));
    return raw ? (JSON.parse(raw) as Report) : undefined;
  }

  /** The newest run that has a report, and that report. */
  async latestReport(id: string): Promise<{ run: number; report: Report } | undefined> {
    const run = (await this.get(id))?.reportRuns.at(-1);
    const report = run === undefined ? undefined : await this.getReport(id, run);
    return run === undefined || !report ? undefined : { run, report };
  }

  async list(q: ListQuery): Promise<{ items: SubmissionRecord[]; nextCursor?: string }> {
    const index = q.challenge ? (q.sort === 'score' ? this.keys.challengeScore(q.challenge) : this.keys.challengeCreated(q.challenge)) : this.keys.created();
    let offset = q.cursor ? Number.parseInt(q.cursor, 10) || 0 : 0;
    const items: SubmissionRecord[] = [];
    // Status is filtered while paging; pages of the index are read until the page is full.
    while (items.length < q.limit) {
      const ids = q.order === 'desc' ? await this.redis.zrevrange(index, offset, offset + 99) : await this.redis.zrange(index, offset, offset + 99);
      if (ids.length === 0) return { items };
      const raws = await this.redis.mget(ids.map((id) => this.keys.record(id)));
      for (let i = 0; i < ids.length; i++) {
        offset++;
        const raw = raws[i];
        if (!raw) continue;
        const r = parseRecord(raw);
        if (q.status && r.status !== q.status) continue;
        items.push(r);
        if (items.length === q.limit) break;
      }
    }
    return { items, nextCursor: String(offset) };
  }

  /**
   * Registers a submission about to be created as unfinished for its candidate; returns how many
   * they now have. (Once the record exists, the lifecycle keeps this set.)
   */
  async trackCandidate(r: SubmissionRecord): Promise<number> {
    const key = this.keys.candidate(r);
    await this.redis.sadd(key, r.id);
    return this.redis.scard(key);
  }

  /** Undoes trackCandidate for a submission that was not created after all. */
  async untrackCandidate(r: SubmissionRecord): Promise<void> {
    await this.redis.srem(this.keys.candidate(r), r.id);
  }

  /** Fixed-window counter; returns the count in the current window. */
  async hit(bucket: string, windowSeconds: number): Promise<number> {
    const key = this.keys.rateLimit(bucket, Math.floor(Date.now() / 1000 / windowSeconds));
    const [[, count]] = (await this.redis.multi().incr(key).expire(key, windowSeconds * 2).exec()) as [[null, number], [null, number]];
    return count;
  }

  async heartbeat(workerId: string, ttlMs: number): Promise<void> {
    await this.redis.set(this.keys.worker(workerId), String(Date.now()), 'PX', ttlMs);
  }

  async isWorkerAlive(workerId: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.worker(workerId))) === 1;
  }

  async removeWorker(workerId: string): Promise<void> {
    await this.redis.del(this.keys.worker(workerId));
  }
}
