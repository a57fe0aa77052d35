/**
 * The BullMQ queues. BullMQ on Redis is the distributed engine: any number of workers on any
 * number of hosts take jobs from the same queues. Job data carries only ids; everything else
 * (challenge, repository, limits, images) comes from the stored record, the challenge and the
 * server's configuration, so forged job data cannot choose how a job runs.
 *
 * Only runner/queue/ imports BullMQ: producers use SubmissionQueue, consumers QueueConsumer
 * (consumer.ts).
 */
import { Queue, type ConnectionOptions } from 'bullmq';
import { z } from 'zod';

export const SUBMISSIONS_QUEUE = 'submissions';
export const WEBHOOKS_QUEUE = 'webhooks';

export const GradeJobSchema = z.strictObject({
  submissionId: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/),
  run: z.number().int().min(1).max(1000),
});
export type GradeJob = z.infer<typeof GradeJobSchema>;

/** The events a callback URL receives (docs/api.md, Webhooks). */
export const WEBHOOK_EVENTS = ['submission.finished', 'review.completed'] as const;

export const WebhookJobSchema = z.strictObject({
  submissionId: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/),
  /** Absent: `submission.finished` (jobs queued before events had names). */
  event: z.enum(WEBHOOK_EVENTS).optional(),
  /** `review.completed`: the review version it reports. */
  reviewVersion: z.number().int().min(1).optional(),
});
export type WebhookJob = z.infer<typeof WebhookJobSchema>;

/** Every webhook delivery: 6 attempts with exponential backoff from 1 s. */
const WEBHOOK_JOB_OPTIONS = { attempts: 6, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: true, removeOnFail: { age: 7 * 86_400 } } as const;

/** The job id is the submission id (plus the run for reruns), so enqueueing twice grades once. */
export function gradeJobId(submissionId: string, run: number): string {
  return run === 1 ? submissionId : `${submissionId}-run${run}`;
}

export function bullPrefix(prefix: string): string {
  return `${prefix}:bull`;
}

export function cancelChannel(prefix: string): string {
  return `${prefix}:cancel`;
}

export interface QueueOptions {
  connection: ConnectionOptions;
  prefix: string;
  /** Attempts for platform failures (a candidate's failure is never retried). */
  attempts: number;
}

/** Where a grading job is, as far as cancelling it goes (see SubmissionQueue.removeIfNotStarted). */
export type GradeJobPlace = 'removed' | 'running' | 'gone';

export class SubmissionQueue {
  /** BullMQ's queue objects, for tests and operations; Assay's own code uses the methods. */
  readonly grading: Queue<GradeJob>;
  readonly webhooks: Queue<WebhookJob>;

  constructor(private readonly opts: QueueOptions) {
    this.grading = new Queue<GradeJob>(SUBMISSIONS_QUEUE, { connection: opts.connection, prefix: bullPrefix(opts.prefix) });
    this.webhooks = new Queue<WebhookJob>(WEBHOOKS_QUEUE, { connection: opts.connection, prefix: bullPrefix(opts.prefix) });
  }

  async enqueueGrade(submissionId: string, run: number): Promise<void> {
    await this.grading.add(
      'grade',
      { submissionId, run },
      {
        jobId: gradeJobId(submissionId, run),
        attempts: this.opts.attempts,
        backoff: { type: 'exponential', delay: 2000 },
        removeOnComplete: { age: 7 * 86_400 },
        removeOnFail: { age: 30 * 86_400 },
      },
    );
  }

  async enqueueWebhook(submissionId: string): Promise<void> {
    await this.webhooks.add('deliver', { submissionId }, WEBHOOK_JOB_OPTIONS);
  }

  /** Queues the `review.completed` event of a submitted review version (retried as enqueueWebhook's). */
  async enqueueReviewWebhook(submissionId: string, reviewVersion: number): Promise<void> {
    await this.webhooks.add('deliver', { submissionId, event: 'review.completed', reviewVersion }, WEBHOOK_JOB_OPTIONS);
  }

  /**
   * Removes a run's grading job if no worker has taken it yet. `removed`: it was waiting or
   * delayed and is gone, so nobody will grade it; `running`: a worker holds it (cancel it
   * through the cancel channel); `gone`: there is no such job or it already ended.
   */
  async removeIfNotStarted(submissionId: string, run: number): Promise<GradeJobPlace> {
    const job = await this.grading.getJob(gradeJobId(submissionId, run));
    if (!job) return 'gone';
    const state = await job.getState();
    if (state === 'completed' || state === 'failed' || state === 'unknown') return 'gone';
    if (state === 'active') return 'running';
    try {
      await job.remove(); // refused while a worker holds the job's lock
      return 'removed';
    } catch {
      const now = await this.grading.getJobState(job.id!);
      return now === 'unknown' || now === 'completed' || now === 'failed' ? 'gone' : 'running';
    }
  }

  async depth(): Promise<Record<string, number>> {
    return this.grading.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized');
  }

  async close(): Promise<void> {
    const results = await Promise.allSettled([this.grading.close(), this.webhooks.close()]);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }
}
