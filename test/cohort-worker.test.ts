/**
 * Cohort rows on the real path: a grading worker (real Docker, git over HTTP on loopback)
 * grades submissions, and the statistics and the report's percentile read the rows the worker's
 * completion wrote; a rerun replaces its row.
 */
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { useGradingStack } from './support/grading.ts';

const ADMIN = 'cohort-worker-admin-key-0123';

const grading = useGradingStack({ env: { ASSAY_API_KEYS: `ops:admin:${ADMIN}` } });

/**
 * The row of this run of a submission: the cohort row is written just after the record turns
 * final (a lifecycle hook, runner/store/lifecycle.ts), so a reader that saw the record final
 * may be a moment ahead of it. Waits at most 10 s; returns the last row read.
 */
async function rowOfRun(id: string, run: number) {
  let row = (await grading.stack.store.cohort.getMany('simple-api', [id]))[0];
  for (const end = Date.now() + 10_000; row?.run !== run && Date.now() < end; ) {
    await new Promise((r) => setTimeout(r, 20));
    row = (await grading.stack.store.cohort.getMany('simple-api', [id]))[0];
  }
  return row;
}

describe('cohort rows from the grading worker', () => {
  it('counts the graded reference and starter in the statistics and the percentile, and a rerun replaces its row', async () => {
    const reference = await grading.git.addRepo('cohort-reference.git', { dir: 'challenges/simple-api/reference/node' });
    const starter = await grading.git.addRepo('cohort-starter.git', { dir: 'challenges/simple-api/starter' });
    const [a, b] = await Promise.all([grading.stack.submit({ challenge: 'simple-api', repoUrl: reference.url, ref: 'main' }), grading.stack.submit({ challenge: 'simple-api', repoUrl: starter.url, ref: 'main' })]);
    const [top, low] = await Promise.all([grading.stack.waitForFinal(a.id, 240_000), grading.stack.waitForFinal(b.id, 240_000)]);
    expect(top.score?.percent).toBe(100);
    expect(low.status).toBe('completed');
    expect(low.score!.percent).toBeLessThan(100);

    await Promise.all([rowOfRun(a.id, 1), rowOfRun(b.id, 1)]);

    const get = (path: string) => request(grading.stack.api.app).get(path).set('Authorization', `Bearer ${ADMIN}`);
    const stats = (await get('/v1/challenges/simple-api/stats?version=1.0.0')).body;
    expect(stats).toMatchObject({ count: 2, failed: 0, score: { min: low.score!.percent, max: 100 } });
    expect(stats.tests.find((t: { id: string }) => t.id === 'core.health')).toMatchObject({ runs: 2 });
    expect(stats.gradingTimeMs.median).toBeGreaterThan(0);
    expect((await get(`/v1/submissions/${a.id}/report`)).body.cohort).toEqual({ percentile: 75, of: 2, version: '1.0.0' });

    // A rerun of the starter: its second run's row replaces the first (still two graded).
    expect((await request(grading.stack.api.app).post(`/v1/submissions/${b.id}/rerun`).set('Authorization', `Bearer ${ADMIN}`)).status).toBe(202);
    const again = await grading.stack.waitForFinal(b.id, 240_000);
    expect(again.reportRuns).toEqual([1, 2]);
    const row = await rowOfRun(b.id, 2);
    expect(row).toMatchObject({ run: 2, percent: again.score!.percent, version: '1.0.0' });
    expect((await get('/v1/challenges/simple-api/stats?version=1.0.0')).body.count).toBe(2);
  });
});
