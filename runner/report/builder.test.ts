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
});
