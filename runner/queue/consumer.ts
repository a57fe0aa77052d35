/**
 * Taking jobs from a queue: the one place a BullMQ Worker is created. A processor gets a job
 * (its id, its data already checked against a schema, its attempts) and an AbortSignal, and
 * answers with an outcome; this module maps each outcome to BullMQ's mechanism:
 *   done       the job completed
 *   retry      the attempt failed; BullMQ retries with the job's backoff while attempts remain
 *   delay      try again later without using an attempt (moveToDelayed + DelayedError)
 *   hand_back  put it back in the queue for any worker, without using an attempt (moveToWait +
 *              WaitingError), e.g. on shutdown
 *   reject     fail at once, never retried (UnrecoverableError), e.g. forged job data
 * A processor that throws is treated as `retry`.
 */
import { DelayedError, UnrecoverableError, WaitingError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { z } from 'zod';
import type { Logger } from '../log.ts';
import { bullPrefix } from './queue.ts';

/** A job as a processor sees it. */
export interface ConsumedJob<T> {
  id: string;
  /** The job data, checked against the consumer's schema. */
  data: T;
  /** Attempts that already ended in failure (0 on the first attempt). */
  attemptsMade: number;
  /** Attempts the job may use in all. */
  maxAttempts: number;
  /** Publishes progress on the job (seen by queue dashboards; the record keeps the real progress). */
  updateProgress(progress: Record<string, unknown>): Promise<void>;
}

export type JobOutcome =
  | { kind: 'done' }
  | { kind: 'retry'; error: unknown }
  | { kind: 'delay'; delayMs: number }
  | { kind: 'hand_back' }
  | { kind: 'reject'; reason: string };

export type JobProcessor<T> = (job: ConsumedJob<T>, signal: AbortSignal) => Promise<JobOutcome>;

export interface ConsumerOptions<T> {
  /** The queue's name (SUBMISSIONS_QUEUE, WEBHOOKS_QUEUE). */
  queue: string;
  /** A BullMQ connection (maxRetriesPerRequest: null). */
  connection: ConnectionOptions;
  /** The deployment's key prefix (BullMQ's keys go under `<prefix>:bull`). */
  prefix: string;
  /** What valid job data looks like; anything else is rejected unseen by the processor. */
  schema: z.ZodType<T>;
  /** Jobs processed at once by this consumer. */
  concurrency: number;
  /**
   * How long a job stays locked to this consumer without a lock renewal.
   * @defaultValue BullMQ's (30 s)
   */
  lockMs?: number;
  /**
   * Times a job may be found stalled (its worker gone) and taken up again before it fails.
   * @defaultValue BullMQ's (1)
   */
  maxStalledCount?: number;
  log: Logger;
}

export class QueueConsumer<T> {
  private worker?: Worker;
  private closing?: Promise<void>;

  constructor(private readonly opts: ConsumerOptions<T>, private readonly processor: JobProcessor<T>) {}

  /** Starts taking jobs. */
  start(): void {
    if (this.worker) return;
    const { opts } = this;
    // Three declared parameters: BullMQ only hands a signal to processors that take one.
    this.worker = new Worker(opts.queue, (job: Job, token: string | undefined, signal?: AbortSignal) => this.run(job, token, signal), {
      connection: opts.connection,
      prefix: bullPrefix(opts.prefix),
      concurrency: opts.concurrency,
      ...(opts.maxStalledCount !== undefined ? { maxStalledCount: opts.maxStalledCount } : {}),
      ...(opts.lockMs !== undefined ? { lockDuration: opts.lockMs, stalledInterval: Math.min(30_000, opts.lockMs) } : {}),
    });
    // Job data holds ids only, so it can be logged.
    this.worker.on('failed', (job, err) => opts.log.warn({ queue: opts.queue, jobId: job?.id, data: job?.data as unknown, attempt: job?.attemptsMade, err: err.message }, 'job attempt failed'));
    this.worker.on('error', (err) => opts.log.error({ err, queue: opts.queue }, 'queue consumer error'));
  }

  /** Aborts one running job's signal with `reason`; false when this consumer is not running it. */
  cancel(jobId: string, reason: string): boolean {
    return this.worker?.cancelJob(jobId, reason) ?? false;
  }

  /** Aborts every running job's signal with `reason`. */
  cancelAll(reason: string): void {
    this.worker?.cancelAllJobs(reason);
  }

  /** Stops taking jobs and waits for the running ones to end. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.worker ? this.worker.close() : Promise.resolve();
    return this.closing;
  }

  private async run(job: Job, token: string | undefined, signal: AbortSignal | undefined): Promise<void> {
    const parsed = this.opts.schema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`rejected job ${job.id}: job data does not match the schema`);
    const consumed: ConsumedJob<T> = {
      id: job.id!,
      data: parsed.data,
      attemptsMade: job.attemptsMade,
      maxAttempts: job.opts.attempts ?? 1,
      updateProgress: (progress) => job.updateProgress(progress),
    };
    const outcome = await this.processor(consumed, signal ?? new AbortController().signal);
    switch (outcome.kind) {
      case 'done':
        return;
      case 'retry':
        throw outcome.error instanceof Error ? outcome.error : new Error(String(outcome.error));
      case 'delay':
        await job.moveToDelayed(Date.now() + outcome.delayMs, token);
        throw new DelayedError();
      case 'hand_back':
        await job.moveToWait(token);
        throw new WaitingError();
      case 'reject':
        throw new UnrecoverableError(`rejected job ${job.id}: ${outcome.reason}`);
    }
  }
}
