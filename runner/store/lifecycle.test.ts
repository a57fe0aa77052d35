import { describe, expect, it } from 'vitest';
import { REPORT_SCHEMA_VERSION, type Report } from '../report/schema.ts';
import { decide, type Decision, type TransitionRequest } from './lifecycle.ts';
import { newSubmissionRecord, type SubmissionRecord } from './record.ts';
import type { SubmissionStatus } from './states.ts';

const AT = '2030-01-01T00:00:00.000Z';

function report(status: 'completed' | 'failed', run = 1, percent = 75): Report {
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    submissionId: 'sub-1',
    attempt: run,
    challenge: { id: 'simple-api', version: '1.0.0', suiteHash: 'x' },
    repoUrl: 'https://example.com/a.git',
    ref: 'main',
    commit: 'c'.repeat(40),
    status,
    runtime: 'node',
    score: { points: percent, maxPoints: 100, percent },
    categories: [],
    tests: [],
    steps: [],
    flags: [],
    ...(status === 'failed' ? { error: { code: 'REPO_NOT_FOUND', message: 'no repo', fault: 'submission' as const } } : {}),
    resources: { oomKilled: false, memoryLimitMb: 256, cpus: 1, pidsLimit: 256 },
    timings: { totalMs: 1234 },
    runner: { version: '0', workerId: 'w', images: {} },
    startedAt: '2030-01-01T00:00:01.000Z',
    finishedAt: '2030-01-01T00:00:02.000Z',
  };
}

function ok(d: Decision): SubmissionRecord {
  if (!d.ok) throw new Error(`refused: ${d.reason}`);
  return d.record;
}

/** A record in each state, reached through the table itself. */
function recordIn(status: SubmissionStatus): SubmissionRecord {
  const queued = newSubmissionRecord({ challenge: 'simple-api', repoUrl: 'https://example.com/a.git', ref: 'main', accessToken: 't' }, 'sub-1');
  const running = () => ok(decide(queued, { kind: 'progress', stage: 'fetching' }, AT));
  switch (status) {
    case 'queued':
      return queued;
    case 'running':
      return running();
    case 'completed':
      return ok(decide(running(), { kind: 'complete', run: 1, report: report('completed') }, AT));
    case 'failed':
      return ok(decide(running(), { kind: 'complete', run: 1, report: report('failed') }, AT));
    case 'canceled':
      return ok(decide(running(), { kind: 'cancel' }, AT));
  }
}

const REQUESTS: Record<string, TransitionRequest> = {
  progress: { kind: 'progress', stage: 'testing' },
  complete: { kind: 'complete', run: 1, report: report('completed') },
  fail: { kind: 'fail', error: { code: 'INTERNAL', message: 'x', fault: 'platform' } },
  cancel: { kind: 'cancel' },
  rerun: { kind: 'rerun' },
};

// The table in lifecycle.ts's header, row by row: the status reached, or the refusal.
const TABLE: Record<SubmissionStatus, Record<keyof typeof REQUESTS, string>> = {
  queued: { progress: 'running', complete: 'completed', fail: 'failed', cancel: 'canceled', rerun: 'refused:not_final' },
  running: { progress: 'running', complete: 'completed', fail: 'failed', cancel: 'canceled', rerun: 'refused:not_final' },
  completed: { progress: 'refused:final', complete: 'refused:final', fail: 'refused:final', cancel: 'refused:final', rerun: 'queued' },
  failed: { progress: 'refused:final', complete: 'refused:final', fail: 'refused:final', cancel: 'refused:final', rerun: 'queued' },
  canceled: { progress: 'refused:final', complete: 'refused:final', fail: 'refused:final', cancel: 'refused:final', rerun: 'queued' },
};

describe('the transition table', () => {
  for (const [from, row] of Object.entries(TABLE) as [SubmissionStatus, Record<string, string>][]) {
    for (const [asked, expected] of Object.entries(row)) {
      it(`${from} + ${asked} -> ${expected}`, () => {
        const before = recordIn(from);
        const snapshot = structuredClone(before);
        const d = decide(before, REQUESTS[asked]!, AT);
        expect(d.ok ? d.record.status : `refused:${d.reason}`).toBe(expected);
        expect(before).toEqual(snapshot); // the input is never modified
      });
    }
  }
});

describe('what each transition writes', () => {
  it('progress appends the stage and sets startedAt once', () => {
    const first = ok(decide(recordIn('queued'), { kind: 'progress', stage: 'fetching' }, AT));
    const second = ok(decide(first, { kind: 'progress', stage: 'packing' }, '2030-01-01T00:00:05.000Z'));
    expect(second).toMatchObject({ status: 'running', stage: 'packing', startedAt: AT });
    expect(second.stages.map((s) => s.stage)).toEqual(['queued', 'fetching', 'packing']);
  });

  it('completion takes the report: score, commit (pinned once), duration, report run; lists the score and leaves the candidate set', () => {
    const d = decide(recordIn('running'), { kind: 'complete', run: 1, report: report('completed', 1, 80) }, AT);
    expect(d.ok && d.indexes).toEqual({ candidate: 'remove', score: { add: 80 } });
    const r = ok(d);
    expect(r).toMatchObject({ status: 'completed', stage: 'completed', score: { percent: 80 }, commit: 'c'.repeat(40), pinnedCommit: 'c'.repeat(40), durationMs: 1234, reportRuns: [1], finishedAt: '2030-01-01T00:00:02.000Z' });
    expect(r.error).toBeUndefined();
  });

  it('a failed report keeps its error and is not listed by score', () => {
    const d = decide(recordIn('running'), { kind: 'complete', run: 1, report: report('failed') }, AT);
    expect(d.ok && d.indexes).toEqual({ candidate: 'remove' });
    expect(ok(d)).toMatchObject({ status: 'failed', error: { code: 'REPO_NOT_FOUND', fault: 'submission' } });
  });

  it('refuses a report for another run than the current one', () => {
    const rerun = ok(decide(recordIn('completed'), { kind: 'rerun' }, AT));
    expect(decide(rerun, { kind: 'complete', run: 1, report: report('completed') }, AT)).toEqual({ ok: false, reason: 'stale_run' });
    expect(ok(decide(rerun, { kind: 'complete', run: 2, report: report('completed', 2) }, AT)).reportRuns).toEqual([1, 2]);
  });

  it('cancel and fail end the run with an error the candidate is not blamed for', () => {
    expect(ok(decide(recordIn('queued'), REQUESTS.cancel!, AT))).toMatchObject({ status: 'canceled', stage: 'failed', finishedAt: AT, error: { code: 'CANCELED', fault: 'platform' } });
    expect(ok(decide(recordIn('running'), REQUESTS.fail!, AT))).toMatchObject({ status: 'failed', stage: 'failed', finishedAt: AT, error: { code: 'INTERNAL', fault: 'platform' } });
  });

  it('rerun starts a new run on the pinned commit, or on a new ref without the pin', () => {
    const same = decide(recordIn('completed'), { kind: 'rerun' }, AT);
    expect(same.ok && same.indexes).toEqual({ candidate: 'add', score: 'remove' });
    const r = ok(same);
    expect(r).toMatchObject({ status: 'queued', stage: 'queued', runs: 2, reportRuns: [1], ref: 'main', pinnedCommit: 'c'.repeat(40) });
    for (const gone of ['startedAt', 'finishedAt', 'score', 'error', 'durationMs'] as const) expect(r[gone]).toBeUndefined();

    const moved = ok(decide(recordIn('failed'), { kind: 'rerun', ref: 'feature/x' }, AT));
    expect(moved).toMatchObject({ ref: 'feature/x', runs: 2 });
    expect(moved.pinnedCommit).toBeUndefined();
    expect(moved.commit).toBeUndefined();
    const fromCanceled = decide(recordIn('canceled'), { kind: 'rerun' }, AT);
    expect(fromCanceled.ok && fromCanceled.indexes).toEqual({ candidate: 'add' }); // it was never listed by score
  });
});
