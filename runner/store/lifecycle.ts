/**
 * The one module that moves submission records between states. Callers (the API, the worker)
 * ask for a transition; they never write a record's fields. Each transition is atomic per record
 * (runner/store/swap.ts: one Lua compare-and-swap that also updates the side indexes), and a move
 * the table does not allow is refused with a reason, never thrown.
 *
 *   from \ asked   progress(stage)  complete(run, report)    fail(error)  cancel       rerun(ref?)
 *   ------------   ---------------  -----------------------  -----------  -----------  ---------------
 *   queued         running          completed | failed (1)   failed       canceled     not_final
 *   running        running          completed | failed (1)   failed       canceled     not_final
 *   completed      final            final                    final        final (2)    queued (3)
 *   failed         final            final                    final        final (2)    queued (3)
 *   canceled       final            final (4)                final        final (2)    queued (3)
 *
 *   (1) as the report says; refused as stale_run unless `run` is the record's current run
 *   (2) a no-op: nothing is written
 *   (3) runs + 1, the previous run's outcome cleared; a new ref replaces the ref and clears the
 *       pinned commit (reports of earlier runs are kept)
 *   (4) a report that arrives after a cancel does not bring the record back; it stays canceled
 *
 * Side indexes, in the same atomic step: reaching a final state removes the record from its
 * candidate's set of unfinished submissions and rerun adds it back; completion adds it to its
 * challenge's score ZSET and rerun removes it (the score it was listed with is gone).
 */
import type { Report, ReportError } from '../report/schema.ts';
import type { SubmissionRecord } from './record.ts';
import { isFinalStatus, type RunningStage } from './states.ts';
import type { IndexChanges, RecordSwap } from './swap.ts';

/** A transition a caller asks for. */
export type TransitionRequest =
  | { kind: 'progress'; stage: RunningStage }
  | { kind: 'complete'; run: number; report: Report }
  | { kind: 'fail'; error: ReportError }
  | { kind: 'cancel' }
  | { kind: 'rerun'; ref?: string };

/** Why a transition was refused: `missing` (no such record), `final` (it has finished; only rerun applies), `not_final` (rerun of an unfinished record), `stale_run` (a report for another run than the current one). */
export type Refusal = 'missing' | 'final' | 'not_final' | 'stale_run';

/** The outcome of a transition: the record as written, or the refusal with the record as it is. */
export type TransitionResult =
  | { ok: true; record: SubmissionRecord }
  | { ok: false; reason: 'missing' }
  | { ok: false; reason: Exclude<Refusal, 'missing'>; record: SubmissionRecord };

/** The outcome of the pure decision: the next record and its index changes, or a refusal. */
export type Decision = { ok: true; record: SubmissionRecord; indexes: IndexChanges } | { ok: false; reason: Exclude<Refusal, 'missing'> };

const CANCELED_ERROR: ReportError = { code: 'CANCELED', message: 'the submission was canceled', fault: 'platform' };

/** The transition table as a pure function (`at` is the time of the move, an ISO string). */
export function decide(current: SubmissionRecord, request: TransitionRequest, at: string): Decision {
  const r = structuredClone(current);
  if (request.kind === 'rerun') {
    if (!isFinalStatus(r.status)) return { ok: false, reason: 'not_final' };
    const wasListed = r.status === 'completed';
    r.runs += 1;
    r.status = 'queued';
    r.stage = 'queued';
    r.stages.push({ stage: 'queued', at });
    delete r.startedAt;
    delete r.finishedAt;
    delete r.score;
    delete r.error;
    delete r.durationMs;
    if (request.ref !== undefined) {
      r.ref = request.ref;
      delete r.pinnedCommit;
      delete r.commit;
    }
    return { ok: true, record: r, indexes: { candidate: 'add', ...(wasListed ? { score: 'remove' } : {}) } };
  }

  if (isFinalStatus(r.status)) return { ok: false, reason: 'final' };
  switch (request.kind) {
    case 'progress':
      r.status = 'running';
      r.stage = request.stage;
      r.stages.push({ stage: request.stage, at });
      r.startedAt ??= at;
      return { ok: true, record: r, indexes: {} };

    case 'complete': {
      if (request.run !== r.runs) return { ok: false, reason: 'stale_run' };
      const { report } = request;
      r.status = report.status;
      r.stage = report.status;
      r.stages.push({ stage: report.status, at: report.finishedAt });
      r.startedAt ??= report.startedAt;
      r.finishedAt = report.finishedAt;
      r.score = report.score;
      if (report.timings.totalMs !== undefined) r.durationMs = report.timings.totalMs;
      else delete r.durationMs;
      if (report.commit) {
        r.commit = report.commit;
        r.pinnedCommit ??= report.commit;
      }
      if (report.error) r.error = report.error;
      else delete r.error;
      r.reportRuns = [...new Set([...r.reportRuns, request.run])];
      return { ok: true, record: r, indexes: { candidate: 'remove', ...(report.status === 'completed' ? { score: { add: report.score.percent } } : {}) } };
    }

    case 'fail':
    case 'cancel':
      r.status = request.kind === 'fail' ? 'failed' : 'canceled';
      r.stage = 'failed';
      r.stages.push({ stage: 'failed', at });
      r.finishedAt = at;
      r.error = request.kind === 'fail' ? request.error : CANCELED_ERROR;
      return { ok: true, record: r, indexes: { candidate: 'remove' } };
  }
}

/** What else the store keeps in step with a transition, run after the transition was written. */
export interface LifecycleHooks {
  /** A run completed with this report (the cohort row; runner/store/cohort.ts). It must not throw. */
  completed?: (record: SubmissionRecord, run: number, report: Report) => Promise<void>;
}

/** Asks for transitions of stored records (reached as `SubmissionStore.lifecycle`). */
export class SubmissionLifecycle {
  constructor(private readonly records: RecordSwap, private readonly hooks: LifecycleHooks = {}) {}

  /** queued | running -> running at `stage`. */
  progress(id: string, stage: RunningStage): Promise<TransitionResult> {
    return this.apply(id, { kind: 'progress', stage });
  }

  /**
   * queued | running -> the report's status (completed or failed), for the record's current run.
   * Store the report first (SubmissionStore.saveReport): the record then names a report that exists.
   */
  async complete(id: string, run: number, report: Report): Promise<TransitionResult> {
    const result = await this.apply(id, { kind: 'complete', run, report });
    if (result.ok && this.hooks.completed) await this.hooks.completed(result.record, run, report);
    return result;
  }

  /** queued | running -> failed without a report (the platform could not even start the run). */
  fail(id: string, error: ReportError): Promise<TransitionResult> {
    return this.apply(id, { kind: 'fail', error });
  }

  /** queued | running -> canceled; a final record is left as it is (refused as `final`). */
  cancel(id: string): Promise<TransitionResult> {
    return this.apply(id, { kind: 'cancel' });
  }

  /** final -> queued as a new run; a new ref replaces the ref and clears the pinned commit. */
  rerun(id: string, opts: { ref?: string } = {}): Promise<TransitionResult> {
    return this.apply(id, { kind: 'rerun', ...(opts.ref !== undefined ? { ref: opts.ref } : {}) });
  }

  private async apply(id: string, request: TransitionRequest): Promise<TransitionResult> {
    const result = await this.records.change<TransitionResult>(id, (current) => {
      const d = decide(current, request, new Date().toISOString());
      return d.ok ? { next: d.record, indexes: d.indexes, value: { ok: true, record: d.record } } : { value: { ok: false, reason: d.reason, record: current } };
    });
    return result.found ? result.value : { ok: false, reason: 'missing' };
  }
}
