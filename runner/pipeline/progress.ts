/**
 * A job's stage changes, written to its record in order without holding up the stages: each is
 * two Redis round trips (the record, the queue job's progress), five or six per job, which were
 * awaited on the grading's path. A store that is down still fails the run: the first failed
 * update is thrown by the next stage change, and by settled(), which the pipeline awaits before
 * it returns the report (so the record never shows a stage after its final state).
 */
import type { Logger } from '../log.ts';
import type { Stage } from '../store/states.ts';

export interface ProgressLine {
  /** Queues the update behind the earlier ones; throws the first earlier update's failure. */
  record(stage: Stage): void;
  /** Queues the update; a failure is logged, never thrown (progress seen mid-stage, e.g. the tests starting). */
  recordSoon(stage: Stage): void;
  /** Waits for every queued update; throws the first failure. */
  settled(): Promise<void>;
}

export function progressLine(log: Logger, onStage: ((stage: Stage) => void | Promise<void>) | undefined): ProgressLine {
  let last: Promise<void> = Promise.resolve();
  let failure: { err: unknown } | undefined;
  const queue = (stage: Stage, onError: (err: unknown) => void) => {
    log.info({ stage }, 'stage');
    last = last.then(() => onStage?.(stage)).catch(onError);
  };
  const throwIfFailed = () => {
    if (failure) throw failure.err;
  };
  return {
    record(stage) {
      throwIfFailed();
      queue(stage, (err) => (failure ??= { err }));
    },
    recordSoon(stage) {
      queue(stage, (err) => log.warn({ err, stage }, 'progress update failed'));
    },
    async settled() {
      await last;
      throwIfFailed();
    },
  };
}
