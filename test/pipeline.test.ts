/**
 * The grading pipeline end to end: the real BullMQ queue and worker on a real Redis, git over
 * HTTP on loopback, the real Docker engine and the built-in challenges.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { eventually } from '../runner/devtools/eventually.ts';
import type { Report } from '../runner/report/schema.ts';
import { useGradingStack } from './support/grading.ts';

const grading = useGradingStack();

async function gradeDir(challenge: string, dir: string, name = dir.replace(/[^a-z0-9]+/gi, '-')): Promise<{ report: Report; id: string }> {
  const { repo, final, report } = await grading.grade({ dir }, { challenge, name });
  expect(report, `report of ${dir}`).toBeDefined();
  expect(final.status).toBe(report!.status);
  expect(report!.commit).toBe(repo.commit);
  return { report: report!, id: final.id };
}

function expectConsistentScore(report: Report) {
  const passed = report.tests.filter((t) => t.status === 'passed');
  expect(report.score.points).toBe(passed.reduce((s, t) => s + t.maxPoints, 0));
  expect(report.score.maxPoints).toBe(report.tests.reduce((s, t) => s + t.maxPoints, 0));
}

function expectedRange(file: string): { minPercent: number; maxPercent: number } {
  return JSON.parse(readFileSync(file, 'utf8')) as { minPercent: number; maxPercent: number };
}

describe('simple-api through the queue', () => {
  it.each(['node', 'python'])('scores the %s reference solution 100%%', async (runtime) => {
    const { report } = await gradeDir('simple-api', `challenges/simple-api/reference/${runtime}`);
    expect(report.status).toBe('completed');
    expect(report.runtime).toBe(runtime);
    expect(report.score.percent).toBe(100);
    expect(report.tests.length).toBeGreaterThanOrEqual(25);
    expect(report.flags).toEqual([]);
    expect(report.runner.images.candidate?.tag).toMatch(/^assay-/);
    expect(report.challenge.suiteHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('scores the starter and a partial solution test by test', async () => {
    const starter = (await gradeDir('simple-api', 'challenges/simple-api/starter')).report;
    expectConsistentScore(starter);
    expect(starter.score.percent).toBeLessThan(40);
    expect(starter.tests.find((t) => t.id.includes('health'))?.status).toBe('passed');

    const partial = (await gradeDir('simple-api', 'challenges/simple-api/variants/partial')).report;
    expectConsistentScore(partial);
    const range = expectedRange('challenges/simple-api/variants/partial.expected.json');
    expect(partial.score.percent).toBeGreaterThanOrEqual(range.minPercent);
    expect(partial.score.percent).toBeLessThanOrEqual(range.maxPercent);
    // Its CRUD works, its validation does not.
    expect(partial.categories.find((c) => c.category === 'core')).toMatchObject({ points: 56, maxPoints: 56 });
    expect(partial.tests.filter((t) => t.category === 'validation' && t.status === 'failed').length).toBeGreaterThan(5);
  });

  it.each([
    ['syntax-error', /exited with code 1 before accepting connections/],
    ['ignores-port', /^the service listens on port 3999, not on 8080: read the port from the PORT environment variable \(PORT=8080\)$/],
    ['never-listens', /nothing accepted connections on port 8080/],
  ])('scores %s 0 with the reason in the report', async (fixture, reason) => {
    const { report } = await gradeDir('simple-api', `test/fixtures/simple-api/${fixture}`);
    expect(report.status).toBe('completed');
    expect(report.score.points).toBe(0);
    const start = report.steps.find((s) => s.name === 'start');
    expect(start?.status).toBe('failed');
    expect(start?.reason).toMatch(reason);
    expect(report.tests.every((t) => t.status === 'failed' && t.message?.startsWith('not run:'))).toBe(true);
    if (fixture === 'syntax-error') expect(start?.log?.text).toContain('SyntaxError');
  });

  it('grades the same submission the same way twice', async () => {
    const repo = await grading.git.addRepo(`twice-${Date.now()}`, { dir: 'challenges/simple-api/variants/partial' });
    const a = await grading.stack.submit({ challenge: 'simple-api', repoUrl: repo.url });
    const b = await grading.stack.submit({ challenge: 'simple-api', repoUrl: repo.url });
    const [ra, rb] = await Promise.all([grading.stack.waitForFinal(a.id), grading.stack.waitForFinal(b.id)]);
    expect(ra.score).toEqual(rb.score);
    const [pa, pb] = await Promise.all([grading.stack.store.getReport(a.id), grading.stack.store.getReport(b.id)]);
    expect(pa!.tests.map((t) => t.status)).toEqual(pb!.tests.map((t) => t.status));
  });

  it('grades a job enqueued twice only once', async () => {
    const repo = await grading.git.addRepo(`dup-${Date.now()}`, { dir: 'challenges/simple-api/reference/node' });
    const record = await grading.stack.submit({ challenge: 'simple-api', repoUrl: repo.url });
    await grading.stack.queue.enqueueGrade(record.id, 1);
    await grading.stack.queue.enqueueGrade(record.id, 1);
    const final = await grading.stack.waitForFinal(record.id);
    expect(final.reportRuns).toEqual([1]);
    // The record is final before the job ends (containers are removed after the report is
    // stored); wait for the job to complete and the queue to drain, then check nothing else was graded.
    await eventually(
      async () => {
        const state = await grading.stack.queue.grading.getJobState(record.id);
        const counts = await grading.stack.queue.depth();
        const pending = (counts.waiting ?? 0) + (counts.active ?? 0) + (counts.delayed ?? 0) + (counts.prioritized ?? 0);
        if (state !== 'completed' || pending > 0) throw new Error(`job ${state}, ${pending} jobs pending`);
        return true;
      },
      { timeoutMs: 30_000, message: 'the job to complete and the queue to drain' },
    );
    expect((await grading.stack.store.get(record.id))!.reportRuns).toEqual([1]);
  });

  it('fails a rejected URL before it reaches git', async () => {
    const before = grading.git.requests.length;
    const record = await grading.stack.submit({ challenge: 'simple-api', repoUrl: `${grading.git.url}/../../etc/passwd --upload-pack=touch` });
    const final = await grading.stack.waitForFinal(record.id);
    expect(final.status).toBe('failed');
    expect(final.error?.code).toBe('URL_REJECTED');
    const fileUrl = await grading.stack.submit({ challenge: 'simple-api', repoUrl: 'file:///etc' });
    expect((await grading.stack.waitForFinal(fileUrl.id)).error).toMatchObject({ code: 'URL_REJECTED', fault: 'submission' });
    expect(grading.git.requests.length).toBe(before);
  });
});

describe('debug-app through the queue', () => {
  it('scores the reference 100%, the starter low and a half-fixed version in between', async () => {
    const reference = (await gradeDir('debug-app', 'challenges/debug-app/reference/fixed')).report;
    expect(reference.score.percent).toBe(100);
    const starter = (await gradeDir('debug-app', 'challenges/debug-app/starter')).report;
    expectConsistentScore(starter);
    expect(starter.score.percent).toBeLessThan(40);
    const half = (await gradeDir('debug-app', 'challenges/debug-app/variants/half-fixed')).report;
    const range = expectedRange('challenges/debug-app/variants/half-fixed.expected.json');
    expect(half.score.percent).toBeGreaterThanOrEqual(range.minPercent);
    expect(half.score.percent).toBeLessThanOrEqual(range.maxPercent);
    expect(starter.score.percent).toBeLessThan(half.score.percent);
  });
});
