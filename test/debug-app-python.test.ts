/**
 * debug-app-python end to end: its reference, starter and half-fixed variant submitted as git
 * repositories through the real queue and worker (Redis, git over HTTP on loopback, Docker),
 * graded black-box over HTTP by the grader against `python3 main.py`.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Report } from '../runner/report/schema.ts';
import { useGradingStack } from './support/grading.ts';

const CHALLENGE = 'debug-app-python';
const DIR = `challenges/${CHALLENGE}`;

const grading = useGradingStack();

async function grade(dir: string): Promise<Report> {
  const { repo, final, report } = await grading.grade({ dir }, { challenge: CHALLENGE, name: dir.replace(/[^a-z0-9]+/gi, '-') });
  expect(report, `report of ${dir}`).toBeDefined();
  expect(final.status).toBe('completed');
  expect(report!.runtime).toBe('python');
  expect(report!.commit).toBe(repo.commit);
  return report!;
}

function failedIds(report: Report): string[] {
  return report.tests.filter((t) => t.status !== 'passed').map((t) => t.id).sort();
}

const manifest = JSON.parse(readFileSync(`${DIR}/challenge.json`, 'utf8')) as {
  tests: { id: string; category: string }[];
  starter: { maxPercent: number };
};
const plantedBugs = manifest.tests.filter((t) => t.category !== 'regression').map((t) => t.id).sort();

describe('debug-app-python through the queue', () => {
  it('scores the reference 100%, the starter low and the half-fixed variant in its range', async () => {
    const reference = await grade(`${DIR}/reference/fixed`);
    expect(failedIds(reference)).toEqual([]);
    expect(reference.score.percent).toBe(100);
    expect(reference.flags).toEqual([]);

    // The starter fails exactly one test per planted bug, the race included, and keeps every
    // regression test.
    const starter = await grade(`${DIR}/starter`);
    expect(failedIds(starter)).toEqual(plantedBugs);
    expect(starter.score.percent).toBeLessThan(manifest.starter.maxPercent);

    const half = await grade(`${DIR}/variants/half-fixed`);
    const range = JSON.parse(readFileSync(`${DIR}/variants/half-fixed.expected.json`, 'utf8')) as { minPercent: number; maxPercent: number };
    expect(half.score.percent).toBeGreaterThanOrEqual(range.minPercent);
    expect(half.score.percent).toBeLessThanOrEqual(range.maxPercent);
    // Its lock guards the store but not the reading of the next number: still racy.
    expect(failedIds(half)).toEqual(['concurrency.invoice-numbers', 'money.exact-totals', 'security.document-path-traversal', 'time.due-with-offset']);
  });
});
