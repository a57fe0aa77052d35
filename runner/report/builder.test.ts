import { describe, expect, it } from 'vitest';
import { ReportBuilder } from './builder.ts';

const identity = { submissionId: 's', attempt: 1, challengeId: 'c', repoUrl: 'file:/r', ref: 'HEAD', workerId: 'w' };

describe('ReportBuilder.analysing', () => {
  it('turns an analysis that throws into a logged error and a "failed" note, and still settles', async () => {
    const report = new ReportBuilder(identity);
    const logged: unknown[] = [];
    report.analysing('history', Promise.reject(new Error('boom')), (err) => logged.push(err));
    report.analysing('lint', Promise.resolve(), (err) => logged.push(err));
    await report.insightsSettled();
    expect(logged).toEqual([new Error('boom')]);
    const { insights } = report.failed({ code: 'INTERNAL', message: 'x', fault: 'platform' });
    expect(insights?.notes).toEqual([{ analysis: 'history', code: 'failed', message: expect.stringContaining('unexpected error') }]);
  });

  it('stops waiting for an analysis that never settles at the deadline, and notes it as timed out', async () => {
    const report = new ReportBuilder(identity);
    report.analysing('lint', new Promise<void>(() => undefined), () => undefined);
    report.analysing('history', Promise.resolve(), () => undefined);
    const started = Date.now();
    await report.insightsSettled(50);
    expect(Date.now() - started).toBeLessThan(2000);
    await report.insightsSettled(50); // the cleanup waits again: noted once
    const { insights } = report.failed({ code: 'INTERNAL', message: 'x', fault: 'platform' });
    expect(insights?.notes).toEqual([{ analysis: 'lint', code: 'timeout', message: expect.stringContaining('had not finished') }]);
  });
});
