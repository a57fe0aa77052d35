/**
 * Durable submission records and reports in Redis (append-only persistence survives restarts).
 * This module owns every Redis key of Assay except BullMQ's own, all under the configured prefix:
 *   <p>:sub:<id>                JSON SubmissionRecord
 *   <p>:sub:<id>:report:<run>   JSON Report of one run (written once: SET NX)
 *   <p>:idx:created             ZSET id -> createdAt (all submissions)
 *   <p>:idx:c:<challenge>:created / :score   ZSETs for the per-challenge lists
 *   <p>:idem:<sha256(key)>      Idempotency-Key -> id
 *   <p>:cand:<sha256(who)>      SET of the candidate's unfinished submissions
 *   <p>:worker:<id>             worker heartbeat (expires)
 *   <p>:rl:<bucket>             rate-limit counters
 */
import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Redis } from './redis.ts';
import type { Report } from '../report/schema.ts';
import { FINAL_STATUSES, STAGES, SUBMISSION_STATUSES, type Stage, type SubmissionStatus } from './states.ts';

export { FINAL_STATUSES, SUBMISSION_STATUSES, type SubmissionStatus } from './states.ts';


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
});
export type WebhookDelivery = z.infer<typeof WebhookDeliverySchema>;

export const SubmissionRecordSchema = z.object({
  id: z.string(),
  challenge: z.string(),
  repoUrl: z.string(),
  ref: z.string().nullable(),
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

export interface ListQuery {
  challenge?: string;
  status?: SubmissionStatus;
  sort: 'score' | 'createdAt';
  order: 'asc' | 'desc';
  limit: number;
  /** Opaque offset returned by the previous page. */
  cursor?: string;
}

/** What a new submission starts from; everything else is set as it is graded. */
export interface NewSubmission {
  challenge: string;
  repoUrl: string;
  ref?: string | null;
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

export class SubmissionStore {
  /** WATCH is per connection: updates from this process go one at a time. */
  private updates: Promise<unknown> = Promise.resolve();

  constructor(private readonly redis: Redis, private readonly prefix: string) {}

  private key(...parts: string[]): string {
    return [this.prefix, ...parts].join(':');
  }

  async create(record: SubmissionRecord, idempotencyKey?: string): Promise<{ record: SubmissionRecord; created: boolean }> {
    if (idempotencyKey) {
      const idemKey = this.key('idem', hashSecret(idempotencyKey));
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
      .set(this.key('sub', record.id), JSON.stringify(record))
      .zadd(this.key('idx', 'created'), created, record.id)
      .zadd(this.key('idx', 'c', record.challenge, 'created'), created, record.id)
      .exec();
    return { record, created: true };
  }

  /** The submission an Idempotency-Key created, if any (the key is stored hashed, for a day). */
  async getByIdempotencyKey(idempotencyKey: string): Promise<SubmissionRecord | undefined> {
    const id = await this.redis.get(this.key('idem', hashSecret(idempotencyKey)));
    return id ? this.get(id) : undefined;
  }

  async get(id: string): Promise<SubmissionRecord | undefined> {
    if (!/^[A-Za-z0-9_-]{1,100}$/.test(id)) return undefined;
    const raw = await this.redis.get(this.key('sub', id));
    return raw ? SubmissionRecordSchema.parse(JSON.parse(raw)) : undefined;
  }

  /**
   * Read-modify-write under WATCH, retried on conflict, so a worker's progress and an admin's
   * cancel never overwrite each other.
   */
  update(id: string, change: (r: SubmissionRecord) => SubmissionRecord | undefined): Promise<SubmissionRecord | undefined> {
    const next = this.updates.then(() => this.updateNow(id, change));
    this.updates = next.catch(() => undefined);
    return next;
  }

  private async updateNow(id: string, change: (r: SubmissionRecord) => SubmissionRecord | undefined): Promise<SubmissionRecord | undefined> {
    const key = this.key('sub', id);
    for (let i = 0; i < 20; i++) {
      await this.redis.watch(key);
      const raw = await this.redis.get(key);
      if (!raw) {
        await this.redis.unwatch();
        return undefined;
      }
      const current = SubmissionRecordSchema.parse(JSON.parse(raw));
      const next = change(structuredClone(current));
      if (!next) {
        await this.redis.unwatch();
        return current;
      }
      const multi = this.redis.multi().set(key, JSON.stringify(next));
      if (next.score && next.status === 'completed') multi.zadd(this.key('idx', 'c', next.challenge, 'score'), next.score.percent, id);
      if (FINAL_STATUSES.includes(next.status) && !FINAL_STATUSES.includes(current.status)) multi.srem(this.candidateKey(next), id);
      const ok = await multi.exec();
      if (ok) return next;
    }
    throw new Error(`could not update submission ${id}: too much contention`);
  }

  async setStage(id: string, stage: Stage): Promise<SubmissionRecord | undefined> {
    const at = new Date().toISOString();
    return this.update(id, (r) => {
      if (FINAL_STATUSES.includes(r.status)) return undefined;
      r.stage = stage;
      r.stages.push({ stage, at });
      if (stage !== 'queued' && r.status === 'queued') {
        r.status = 'running';
        r.startedAt ??= at;
      }
      return r;
    });
  }

  /** Stores a run's report once; returns false when that run already has one (a retried job). */
  async saveReport(id: string, run: number, report: Report): Promise<boolean> {
    const ok = await this.redis.set(this.key('sub', id, 'report', String(run)), JSON.stringify(report), 'NX');
    return ok === 'OK';
  }

  async getReport(id: string, run?: number): Promise<Report | undefined> {
    const record = await this.get(id);
    const which = run ?? record?.reportRuns.at(-1);
    if (!record || which === undefined) return undefined;
    const raw = await this.redis.get(this.key('sub', id, 'report', String(which)));
    return raw ? (JSON.parse(raw) as Report) : undefined;
  }

  async list(q: ListQuery): Promise<{ items: SubmissionRecord[]; nextCursor?: string }> {
    const index = q.challenge ? this.key('idx', 'c', q.challenge, q.sort === 'score' ? 'score' : 'created') : this.key('idx', 'created');
    let offset = q.cursor ? Number.parseInt(q.cursor, 10) || 0 : 0;
    const items: SubmissionRecord[] = [];
    // Status is filtered while paging; pages of the index are read until the page is full.
    while (items.length < q.limit) {
      const ids = q.order === 'desc' ? await this.redis.zrevrange(index, offset, offset + 99) : await this.redis.zrange(index, offset, offset + 99);
      if (ids.length === 0) return { items };
      const raws = await this.redis.mget(ids.map((id) => this.key('sub', id)));
      for (let i = 0; i < ids.length; i++) {
        offset++;
        const raw = raws[i];
        if (!raw) continue;
        const r = SubmissionRecordSchema.parse(JSON.parse(raw));
        if (q.status && r.status !== q.status) continue;
        items.push(r);
        if (items.length === q.limit) break;
      }
    }
    return { items, nextCursor: String(offset) };
  }

  private candidateKey(r: Pick<SubmissionRecord, 'candidate' | 'repoUrl'>): string {
    const who = r.candidate?.email ?? r.candidate?.externalId ?? r.repoUrl;
    return this.key('cand', hashSecret(who.toLowerCase()));
  }

  /** Registers an unfinished submission for its candidate; returns how many they now have. */
  async trackCandidate(r: SubmissionRecord): Promise<number> {
    const key = this.candidateKey(r);
    await this.redis.sadd(key, r.id);
    return this.redis.scard(key);
  }

  async activeForCandidate(r: Pick<SubmissionRecord, 'candidate' | 'repoUrl'>): Promise<number> {
    return this.redis.scard(this.candidateKey(r));
  }

  async untrackCandidate(r: SubmissionRecord): Promise<void> {
    await this.redis.srem(this.candidateKey(r), r.id);
  }

  /** Fixed-window counter; returns the count in the current window. */
  async hit(bucket: string, windowSeconds: number): Promise<number> {
    const key = this.key('rl', bucket, String(Math.floor(Date.now() / 1000 / windowSeconds)));
    const [[, count]] = (await this.redis.multi().incr(key).expire(key, windowSeconds * 2).exec()) as [[null, number], [null, number]];
    return count;
  }

  async heartbeat(workerId: string, ttlMs: number): Promise<void> {
    await this.redis.set(this.key('worker', workerId), String(Date.now()), 'PX', ttlMs);
  }

  async isWorkerAlive(workerId: string): Promise<boolean> {
    return (await this.redis.exists(this.key('worker', workerId))) === 1;
  }

  async removeWorker(workerId: string): Promise<void> {
    await this.redis.del(this.key('worker', workerId));
  }
}
