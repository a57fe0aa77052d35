/**
 * The grading worker: takes submissions from the queue (runner/queue/consumer.ts) and runs the
 * pipeline; the record moves through its states by runner/store/lifecycle.ts only.
 * - Job data is re-validated; the job's settings come from the stored record, never the data.
 * - Platform failures are retried with backoff up to the configured attempts; an unavailable
 *   Docker engine delays the job without using an attempt. A candidate's failure is data in the
 *   report and never retried.
 * - Each run stores exactly one report (SET NX), so a job taken up again after a crash cannot
 *   produce a second one; the report is stored once the pipeline returns it (the containers are
 *   removed afterwards, tracked here and awaited on shutdown).
 * - A cancel (the Redis cancel channel) aborts the running job; the record becomes canceled
 *   unless its report got there first, and a report that comes after a cancel changes nothing.
 * - Once a completed run's report is stored, its similarity fingerprints (taken by the analysis
 *   stage) are compared with the challenge's others (runner/store/similarity.ts); a failure there
 *   is logged and never touches the grade.
 * - close() stops taking jobs, lets running ones finish within the grace period, then hands the
 *   rest back to the queue (their containers are removed by the pipeline), and closes everything.
 */
import type { Config } from '../config.ts';
import type { ChallengeRepository } from '../challenges/repository.ts';
import { PlatformError, isAssayError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { gradeSubmission } from '../pipeline/grade.ts';
import { fillWarmContainers } from '../pipeline/warm.ts';
import { QueueConsumer, type ConsumedJob, type JobOutcome } from '../queue/consumer.ts';
import { cancelChannel, gradeJobId, GradeJobSchema, SUBMISSIONS_QUEUE, type GradeJob, type SubmissionQueue } from '../queue/queue.ts';
import { REPORT_SCHEMA_VERSION, type Report } from '../report/schema.ts';
import { sweepLeftovers, type DockerClient, type Images, type WarmContainers } from '../sandbox/index.ts';
import type { Fingerprinted } from '../stages/job.ts';
import type { Redis } from '../store/redis.ts';
import { isRunningStage } from '../store/states.ts';
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
  /** Containers started ahead of the jobs (runner/pipeline/warm.ts); the process that made them closes them. */
  warm?: WarmContainers;
}

const HEARTBEAT_MS = 5_000;
const ENGINE_RETRY_DELAY_MS = 10_000;
/** Abort reasons of a running job's signal. */
const CANCELED = 'canceled';
const SHUTDOWN = 'shutdown';

const done: JobOutcome = { kind: 'done' };

export class GradingWorker {
  private consumer?: QueueConsumer<GradeJob>;
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
    this.timers.push(setInterval(() => void this.sweep(), config.worker.janitorIntervalMs)); // sweep() catches and logs its own failure

    await this.deps.subscriber.subscribe(cancelChannel(config.redis.prefix));
    this.deps.subscriber.on('message', (_channel: string, submissionId: string) => {
      const jobId = this.active.get(submissionId);
      if (jobId) this.consumer?.cancel(jobId, CANCELED);
    });

    this.consumer = new QueueConsumer<GradeJob>(
      {
        queue: SUBMISSIONS_QUEUE,
        connection: this.deps.bullConnection,
        prefix: config.redis.prefix,
        schema: GradeJobSchema,
        concurrency: config.worker.concurrency,
        maxStalledCount: 2,
        lockMs: config.worker.lockMs,
        log: this.log,
      },
      (job, signal) => this.process(job, signal),
    );
    this.consumer.start();
    this.log.info({ concurrency: config.worker.concurrency }, 'worker started');
  }

  /** Removes containers whose worker is gone (this worker's own are in use). Never throws. */
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

  private async process(job: ConsumedJob<GradeJob>, signal: AbortSignal): Promise<JobOutcome> {
    const { submissionId, run } = job.data;
    if (job.id !== gradeJobId(submissionId, run)) return { kind: 'reject', reason: 'id does not match its data' };
    // Known to the cancel channel from the start: a cancel that comes while the job gets going aborts it too.
    this.active.set(submissionId, job.id);
    try {
      return await this.grade(job, signal);
    } finally {
      this.active.delete(submissionId);
      this.refillWhenIdle();
    }
  }

  /** Starts the warm containers again once no job runs and no cleanup is left, so that their start never takes CPU from a job. */
  private refillWhenIdle(): void {
    if (this.active.size === 0 && this.cleanups.size === 0) fillWarmContainers(this.deps.warm, this.deps);
  }

  private async grade(job: ConsumedJob<GradeJob>, signal: AbortSignal): Promise<JobOutcome> {
    const { submissionId, run } = job.data;
    const { store } = this.deps;
    // Bound the removals still in flight, so a slow engine cannot pile up containers.
    while (this.cleanups.size >= this.deps.config.worker.concurrency * 2) await Promise.race(this.cleanups);
    const record = await store.get(submissionId);
    if (!record) return { kind: 'reject', reason: 'no such submission' };
    if (run !== record.runs) return { kind: 'reject', reason: `run ${run} is not the submission's current run (${record.runs})` };
    if (FINAL_STATUSES.includes(record.status)) return done; // canceled, or this run already reported
    const log = this.log.child({ jobId: job.id, submissionId, challenge: record.challenge });
    // A previous attempt stored the report and stopped before the record was moved on: finish that.
    const earlier = await store.getReport(submissionId, run);
    if (earlier) {
      await this.finish(record, run, earlier, log);
      return done;
    }
    let fingerprinted: Fingerprinted | undefined;
    try {
      signal.throwIfAborted();
      const report = await gradeSubmission(
        { submissionId, attempt: run, challengeId: record.challenge, repoUrl: record.repoUrl, ref: record.pinnedCommit ?? record.ref ?? undefined, ...(record.path ? { path: record.path } : {}) },
        {
          config: this.deps.config,
          docker: this.deps.docker,
          images: this.deps.images,
          challenges: this.deps.challenges,
          log,
          ...(this.deps.warm ? { warm: this.deps.warm } : {}),
          onStage: async (stage) => {
            if (!isRunningStage(stage)) return;
            const moved = await store.lifecycle.progress(submissionId, stage);
            if (!moved.ok) log.info({ stage, refused: moved.reason }, 'stage not recorded');
            await job.updateProgress({ stage, at: new Date().toISOString() });
          },
          deferCleanup: (cleanup) => {
            const pending: Promise<void> = cleanup()
              .catch((err: unknown) => log.warn({ err }, 'cleanup failed; the janitor will retry'))
              .finally(() => {
                this.cleanups.delete(pending);
                this.refillWhenIdle();
              });
            this.cleanups.add(pending);
          },
          onFingerprints: (taken) => (fingerprinted = taken),
        },
        signal,
      );
      const completed = await this.finish(record, run, report, log);
      if (completed && fingerprinted && report.status === 'completed') await this.compareSimilarity(record, run, fingerprinted, log);
      return done;
    } catch (err) {
      if (signal.aborted) {
        if (signal.reason === CANCELED) {
          const canceled = await store.lifecycle.cancel(submissionId);
          if (canceled.ok) log.info('canceled');
          else log.info({ refused: canceled.reason }, 'cancel came too late; the record stays as it is');
          return done;
        }
        return { kind: 'hand_back' }; // shutting down: another worker takes it, no attempt used
      }
      if (err instanceof PlatformError && err.code === 'SANDBOX_UNAVAILABLE') {
        log.warn('container engine unavailable; the job waits and retries');
        return { kind: 'delay', delayMs: ENGINE_RETRY_DELAY_MS };
      }
      const retryable = isAssayError(err) ? err.retryable : true;
      const lastAttempt = job.attemptsMade + 1 >= job.maxAttempts;
      if (retryable && !lastAttempt) return { kind: 'retry', error: err };
      log.error({ err }, 'grading failed on the platform side');
      await this.finish(record, run, platformFailureReport(record, run, err, this.deps.config.worker.id), log);
      return done;
    }
  }

  /**
   * Stores the run's report (once: the first one stored wins) and moves the record to its final
   * state with it, unless the record has meanwhile been canceled or moved past this run.
   */
  private async finish(record: SubmissionRecord, run: number, report: Report, log: Logger): Promise<boolean> {
    const { store, queue } = this.deps;
    const stored = await store.saveReport(record.id, run, report);
    const kept = stored ? report : ((await store.getReport(record.id, run)) ?? report);
    const final = await store.lifecycle.complete(record.id, run, kept);
    if (!final.ok) {
      log.info({ refused: final.reason }, 'report stored; the record was not moved by it');
      return false;
    }
    if (final.record.callbackUrl) await queue.enqueueWebhook(record.id);
    return true;
  }

  /** Stores the run's fingerprints and records the pairs they make; never throws (the grade is already stored). */
  private async compareSimilarity(record: SubmissionRecord, run: number, { prints, settings }: Fingerprinted, log: Logger): Promise<void> {
    const t0 = Date.now();
    try {
      const { compared, pairs } = await this.deps.store.similarity.record({ id: record.id, challenge: record.challenge, run, prints, settings });
      log.info({ stage: 'similarity', compared, pairs: pairs.length, durationMs: Date.now() - t0 }, 'similarity compared');
    } catch (err) {
      log.warn({ err, stage: 'similarity' }, 'similarity comparison failed; the report is unaffected');
    }
  }

  /** Resolves once no job runs and every job's cleanup is done, the warm containers' refill started by it included (the bench measures from an idle worker). */
  async idle(): Promise<void> {
    while (this.active.size > 0 || this.cleanups.size > 0) await Promise.race([...this.cleanups, new Promise((r) => setTimeout(r, 20))]);
    await this.deps.warm?.ready();
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
    if (this.consumer) {
      const consumer = this.consumer;
      const grace = this.deps.config.worker.shutdownGraceMs;
      let timer: NodeJS.Timeout | undefined;
      const drained = consumer.close();
      const timedOut = await Promise.race([drained.then(() => false, () => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), grace)))]);
      clearTimeout(timer);
      if (timedOut) {
        this.log.warn({ active: this.active.size }, 'grace period over; handing running jobs back');
        consumer.cancelAll(SHUTDOWN);
      }
      await attempt('consumer', () => drained);
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
