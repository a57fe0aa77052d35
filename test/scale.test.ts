/**
 * Scale-out: three worker processes against one Redis take 30 submissions between them. Each is
 * graded exactly once, every worker takes some, and none is lost when one worker is stopped
 * (SIGTERM) midway.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually } from '../runner/devtools/eventually.ts';
import { startProcess, stopProcess } from '../runner/devtools/processes.ts';
import { useGradingStack } from './support/grading.ts';

const grading = useGradingStack({ worker: false });
const workers: ChildProcess[] = [];

// Registered after the stack's: the worker processes stop before the stack closes.
afterAll(async () => {
  await Promise.all(workers.map((w) => stopProcess(w)));
});

describe('several workers on one Redis', () => {
  it('shares 30 submissions among three workers, each graded once, none lost when one stops', async () => {
    const repo = await grading.git.addRepo('scale', { dir: 'challenges/simple-api/reference/node' });
    const records = await Promise.all(Array.from({ length: 30 }, () => grading.stack.submit({ challenge: 'simple-api', repoUrl: repo.url })));
    const ids = ['w1', 'w2', 'w3'].map((n) => `${grading.stack.config.redis.prefix}-${n}`);
    for (const id of ids) {
      workers.push(
        startProcess('runner/worker/main.ts', {
          ...(process.env as Record<string, string>),
          REDIS_URL: grading.redis.url,
          ASSAY_REDIS_PASSWORD: '',
          ASSAY_KEY_PREFIX: grading.stack.config.redis.prefix,
          ASSAY_WORKER_ID: id,
          ASSAY_WORKER_CONCURRENCY: '1',
          ASSAY_FETCH_ALLOW_HTTP: 'true',
          ASSAY_FETCH_ALLOW_PRIVATE: 'true',
          ASSAY_LOG_LEVEL: 'warn',
          ASSAY_QUIET_CHILDREN: '1',
        }, id),
      );
    }
    // Stop the first worker (gracefully) once a third of the work is done.
    const deadline = Date.now() + 240_000;
    const untilFinal = (n: number) =>
      eventually(
        async () => {
          const final = (await Promise.all(records.map((r) => grading.stack.store.get(r.id)))).filter((r) => r && ['completed', 'failed', 'canceled'].includes(r.status));
          if (final.length < n) throw new Error(`${final.length}/${records.length} final`);
          return true;
        },
        { timeoutMs: deadline - Date.now(), intervalMs: 200, message: `${n} submissions to be final` },
      );
    await untilFinal(10);
    await stopProcess(workers[0]!);
    expect(workers[0]!.exitCode).toBe(0);
    await untilFinal(records.length);
    const byWorker = new Map<string, number>();
    for (const r of records) {
      const record = (await grading.stack.store.get(r.id))!;
      expect(record.status).toBe('completed');
      expect(record.reportRuns).toEqual([1]);
      const report = (await grading.stack.store.getReport(r.id))!;
      expect(report.score.percent).toBe(100);
      byWorker.set(report.runner.workerId, (byWorker.get(report.runner.workerId) ?? 0) + 1);
    }
    expect([...byWorker.keys()].sort()).toEqual([...ids].sort());
    expect([...byWorker.values()].reduce((a, b) => a + b, 0)).toBe(30);
  }, 260_000);
});
