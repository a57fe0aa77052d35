/**
 * The grading worker: takes submissions from the BullMQ queue and runs the pipeline.
 * - Job data is re-validated; the job's settings come from the stored record, never the data.
 * - Platform failures are retried with backoff up to the configured attempts; an unavailable
 *   Docker engine delays the job without using an attempt. A candidate's failure is data in the
 *   report and never retried.
 * - Each run stores exactly one report (SET NX), so a job taken up again after a crash cannot
 *   produce a second one.
 * - close() stops taking jobs, lets running ones finish within the grace period, then hands the
 *   rest back to the queue (their containers are removed by the pipeline), and closes everything.
 */
import { DelayedError, UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import type { Config } from '../config.ts';
import type { ChallengeRepository } from '../challenges/repository.ts';
import { PlatformError, isAssayError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { gradeSubmission } from '../pipeline/grade.ts';
import { bullPrefix, cancelChannel, gradeJobId, GradeJobSchema, SUBMISSIONS_QUEUE, type GradeJob, type SubmissionQueue } from '../queue/queue.ts';
import { REPORT_SCHEMA_VERSION, type Report } from '../report/schema.ts';
import { sweepLeftovers, type DockerClient, type Images } from '../sandbox/index.ts';
import type { Redis } from '../store/redis.ts';
import { FINAL_STATUSES, type SubmissionRecord, type SubmissionStore } from '../store/submissions.ts';
import { RUNNER_VERSION } from '../version.ts';

export interface WorkerDeps {
  config: Config;
  docker: DockerClient;
  images: Images;
  challenges: ChallengeRepository;
  store: SubmissionStore;
  queue: SubmissionQueue;
  /** A BullMQ connection (maxRetriesPerRequest: null). */
  bullConnection: Redis;
  /** A connection for the cancel channel (subscriber mode). */
  subscriber: Redis;
  log: Logger;
}

const HEARTBEAT_MS = 5_000;
const ENGINE_RETRY_DELAY_MS = 10_000;

export class GradingWorker {
  private worker?: Worker<GradeJob>;
  private readonly active = new Map<string, string>(); // submissionId -> jobId
  /** Container removals still running after their job ended (see GradeDeps.deferCleanup). */
  private readonly cleanups = new Set<Promise<void>>();
  private timers: NodeJS.Timeout[] = [];
  private closing?: Promise<void>;
  private readonly log: Logger;

  constructor(private readonly deps: WorkerDeps) {
    this.log = deps.log.child({ workerId: deps.config.worker.id });
  }

  async start(): Promise<void> {
    const { config, store } = this.deps;
    await store.heartbeat(config.worker.id, HEARTBEAT_MS * 3);
    await this.sweep();
    this.timers.push(setInterval(() => void store.heartbeat(config.worker.id, HEARTBEAT_MS * 3).catch((err: unknown) => this.log.warn({ err }, 'heartbeat failed')), HEARTBEAT_MS));
    this.timers.push(setInterval(() => void this.sweep(), config.worker.janitorIntervalMs));

    await this.deps.subscriber.subscribe(cancelChannel(config.redis.prefix));
    this.deps.subscriber.on('message', (_channel: string, submissionId: string) => {
      const jobId = this.active.get(submissionId);
      if (jobId) this.worker?.cancelJob(jobId, 'canceled');
    });

    this.worker = new Worker<GradeJob>(SUBMISSIONS_QUEUE, (job, token, signal) => this.process(job, token, signal), {
      connection: this.deps.bullConnection,
      prefix: bullPrefix(config.redis.prefix),
      concurrency: config.worker.concurrency,
      maxStalledCount: 2,
      lockDuration: config.worker.lockMs,
      stalledInterval: Math.min(30_000, config.worker.lockMs),
    });
    this.worker.on('failed', (job, err) => this.log.warn({ jobId: job?.id, err: err.message }, 'job attempt failed'));
    this.worker.on('error', (err) => this.log.error({ err }, 'worker error'));
    this.log.info({ concurrency: config.worker.concurrency }, 'worker started');
  }

  /** Removes containers whose worker is gone (this worker's own are in use). */
  private async sweep(): Promise<void> {
    try {
      const removed = await sweepLeftovers(this.deps.docker, {
        deployment: this.deps.config.redis.prefix,
        isWorkerAlive: async (w) => w === this.deps.config.worker.id || (await this.deps.store.isWorkerAlive(w)),
      });
      if (removed.containers.length) this.log.info({ removed: removed.containers.length }, 'janitor removed leftover containers');
    } catch (err) {
      this.log.warn({ err }, 'janitor sweep failed');
    }
  }

  private async process(job: Job<GradeJob>, token: string | undefined, signal?: AbortSignal): Promise<void> {
    const parsed = GradeJobSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`rejected job ${job.id}: job data does not match the schema`);
    const { submissionId, run } = parsed.data;
    if (job.id !== gradeJobId(submissionId, run)) throw new UnrecoverableError(`rejected job ${job.id}: id does not match its data`);
    const { store } = this.deps;
    // Bound the removals still in flight, so a slow engine cannot pile up containers.
    while (this.cleanups.size >= this.deps.config.worker.concurrency * 2) await Promise.race(this.cleanups);
    const record = await store.get(submissionId);
    if (!record) throw new UnrecoverableError(`rejected job ${job.id}: no such submission`);
    if (FINAL_STATUSES.includes(record.status) && (record.status === 'canceled' || record.reportRuns.includes(run))) return;
    const log = this.log.child({ jobId: job.id, submissionId, challenge: record.challenge });
    this.active.set(submissionId, job.id!);
    try {
      const report = await gradeSubmission(
        { submissionId, attempt: run, challengeId: record.challenge, repoUrl: record.repoUrl, ref: record.pinnedCommit ?? record.ref ?? undefined },
        {
          ...this.deps,
          log,
          onStage: async (stage) => {
            await store.setStage(submissionId, stage);
            await job.updateProgress({ stage, at: new Date().toISOString() });
          },
          // Stored before the containers are removed; finish() is idempotent (SET NX).
          onReport: (r) => this.finish(record, run, r),
          deferCleanup: (cleanup) => {
            const pending: Promise<void> = cleanup()
              .catch((err: unknown) => log.warn({ err }, 'cleanup failed; the janitor will retry'))
              .finally(() => this.cleanups.delete(pending));
            this.cleanups.add(pending);
          },
        },
        signal,
      );
      await this.finish(record, run, report);
    } catch (err) {
      if (signal?.aborted) {
        if (signal.reason === 'canceled') {
          await store.update(submissionId, (r) => ({ ...r, status: 'canceled', stage: 'failed', finishedAt: new Date().toISOString(), error: { code: 'CANCELED', message: 'the submission was canceled', fault: 'platform' } }));
          log.info('canceled');
          return;
        }
        // Shutting down: hand the job back without using an attempt.
        await job.moveToWait(token);
        throw new WaitingError();
      }
      if (err instanceof PlatformError && err.code === 'SANDBOX_UNAVAILABLE') {
        log.warn('container engine unavailable; the job waits and retries');
        await job.moveToDelayed(Date.now() + ENGINE_RETRY_DELAY_MS, token);
        throw new DelayedError();
      }
      const retryable = isAssayError(err) ? err.retryable : true;
      const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      if (retryable && !lastAttempt) throw err;
      log.error({ err }, 'grading failed on the platform side');
      await this.finish(record, run, platformFailureReport(record, run, err, this.deps.config.worker.id));
    } finally {
      this.active.delete(submissionId);
    }
  }

  private async finish(record: SubmissionRecord, run: number, report: Report): Promise<void> {
    const { store, queue } = this.deps;
    const stored = await store.saveReport(record.id, run, report);
    if (!stored) return; // a previous attempt of this run already reported
    const final = await store.update(record.id, (r) => {
      if (r.status === 'canceled') return undefined;
      r.status = report.status;
      r.stage = report.status;
      r.stages.push({ stage: report.status, at: report.finishedAt });
      r.finishedAt = report.finishedAt;
      r.score = report.score;
      r.durationMs = report.timings.totalMs;
      if (report.commit) {
        r.commit = report.commit;
        r.pinnedCommit ??= report.commit;
      }
      if (report.error) r.error = report.error;
      else delete r.error;
      r.reportRuns = [...new Set([...r.reportRuns, run])];
      return r;
    });
    if (final?.callbackUrl && FINAL_STATUSES.includes(final.status)) await queue.enqueueWebhook(record.id);
  }

  /** Idempotent: every cleanup runs even if one throws; the first error is rethrown. */
  close(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  private async closeOnce(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    const errors: unknown[] = [];
    const attempt = async (what: string, fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (err) {
        this.log.warn({ err, what }, 'shutdown step failed');
        errors.push(err);
      }
    };
    if (this.worker) {
      const worker = this.worker;
      const grace = this.deps.config.worker.shutdownGraceMs;
      let timer: NodeJS.Timeout | undefined;
      const drained = worker.close();
      const timedOut = await Promise.race([drained.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), grace)))]);
      clearTimeout(timer);
      if (timedOut) {
        this.log.warn({ active: this.active.size }, 'grace period over; handing running jobs back');
        worker.cancelAllJobs('shutdown');
      }
      await attempt('worker', () => drained);
    }
    await attempt('cleanups', () => Promise.all(this.cleanups));
    await attempt('subscriber', () => this.deps.subscriber.quit());
    await attempt('heartbeat', () => this.deps.store.removeWorker(this.deps.config.worker.id));
    await attempt('queue', () => this.deps.queue.close());
    if (errors.length) throw errors[0];
  }
}

function platformFailureReport(record: SubmissionRecord, run: number, err: unknown, workerId: string): Report {
  const now = new Date().toISOString();
  const code = isAssayError(err) ? err.code : 'INTERNAL';
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    submissionId: record.id,
    attempt: run,
    challenge: { id: record.challenge, version: 'unknown', suiteHash: '' },
    repoUrl: record.repoUrl,
    ref: record.ref ?? 'HEAD',
    commit: record.commit ?? null,
    status: 'failed',
    runtime: null,
    score: { points: 0, maxPoints: 0, percent: 0 },
    categories: [],
    tests: [],
    steps: [],
    flags: [],
    // The message is ours, not the candidate's: a platform failure is never their fault.
    error: { code, message: `Assay could not grade this submission (${code}); it is not the candidate's fault and can be rerun`, fault: 'platform' },
    resources: { oomKilled: false, memoryLimitMb: 0, cpus: 0, pidsLimit: 0 },
    timings: {},
    runner: { version: RUNNER_VERSION, workerId, images: {} },
    startedAt: record.startedAt ?? now,
    finishedAt: now,
  };
}
