/**
 * The BullMQ queues. BullMQ on Redis is the distributed engine: any number of workers on any
 * number of hosts take jobs from the same queues. Job data carries only ids; everything else
 * (challenge, repository, limits, images) comes from the stored record, the challenge and the
 * server's configuration, so forged job data cannot choose how a job runs.
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

export const WebhookJobSchema = z.strictObject({ submissionId: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/) });
export type WebhookJob = z.infer<typeof WebhookJobSchema>;

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

export class SubmissionQueue {
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
    await this.webhooks.add('deliver', { submissionId }, { attempts: 6, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: true, removeOnFail: { age: 7 * 86_400 } });
  }

  /** Removes a job that has not started; false when it is already running or gone. */
  async removeWaiting(submissionId: string, run: number): Promise<boolean> {
    const job = await this.grading.getJob(gradeJobId(submissionId, run));
    if (!job) return false;
    const state = await job.getState();
    if (state !== 'waiting' && state !== 'delayed' && state !== 'prioritized') return false;
    try {
      await job.remove();
      return true;
    } catch {
      return false; // it was picked up in the meantime
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
