/**
 * Warm containers (runner/sandbox/warm.ts, runner/pipeline/warm.ts) on the real path: a worker
 * with a real Redis, the Docker engine and git over HTTP on loopback. A warm container serves
 * exactly one job (it is removed with that job's containers, and another is started for the
 * next), it is started with the sandbox's limits like one a job starts itself, one that died
 * while it waited is replaced, a worker that closes leaves none behind, and a worker without
 * them grades the same.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { LABEL_JOB, LABEL_ROLE, LABEL_WORKER, WARM_JOB_ID } from '../runner/sandbox/index.ts';
import { docker, images, uniqueId } from '../runner/devtools/env.ts';
import { launchAnalysis } from '../runner/stages/analysis/stage.ts';
import { parseAnalyserOutput } from '../runner/stages/analysis/result.ts';
import { createTar } from '../runner/stages/pack/tar.ts';
import { ROOT } from '../runner/devtools/processes.ts';
import { startStack, type Stack } from '../runner/devtools/stack.ts';
import type { SubmissionRecord } from '../runner/store/submissions.ts';
import type { WorkerProcess } from '../runner/worker/wire.ts';
import { useGradingStack } from './support/grading.ts';

// Each test starts its own stack and worker on the file's Redis.
const grading = useGradingStack({ stack: false });
let repoUrl: string;

beforeAll(async () => {
  repoUrl = (await grading.git.addRepo('warm-reference', { dir: path.join(ROOT, 'challenges/simple-api/reference/node') })).url;
});

async function containersOf(workerId: string) {
  const list = await docker.listContainers({ all: true, filters: { label: [`${LABEL_WORKER}=${workerId}`] } });
  return list.map((c) => ({ id: c.Id, role: c.Labels[LABEL_ROLE]!, job: c.Labels[LABEL_JOB]! }));
}

/**
 * Grades the reference on `stack` and checks the report: the full score (the grader had this
 * job's suite) and lint (the analysis container had this job's workspace). Returns the final
 * record once `worker` is idle again (its next warm containers up).
 */
async function gradeReference(stack: Stack, worker: WorkerProcess): Promise<SubmissionRecord> {
  const record = await stack.submit({ challenge: 'simple-api', repoUrl });
  const final = await stack.waitForFinal(record.id, 120_000, 20);
  const report = (await stack.store.getReport(record.id))!;
  expect(report.score.percent).toBe(100);
  expect(report.insights?.lint).toBeDefined();
  await worker.worker.idle();
  return final;
}

/** The stack's worker, once it is idle: its warm containers (if it keeps any) are up. */
async function idleWorker(stack: Stack): Promise<WorkerProcess> {
  const worker = await stack.startWorker();
  await worker.worker.idle();
  return worker;
}

describe('warm containers', () => {
  it('serve one job each: taken, given that job’s files, removed with it, and started again for the next', async () => {
    await using stack = await startStack(grading.redis.url, { ASSAY_WORKER_CONCURRENCY: '1' });
    const worker = await idleWorker(stack);
    const workerId = worker.config.worker.id;
    const before = await containersOf(workerId);
    expect(before.map((c) => `${c.role}:${c.job}`).sort()).toEqual([`analysis:${WARM_JOB_ID}`, `grader:${WARM_JOB_ID}`]);
    // Started like the job's own: no network, the grader's limits.
    const grader = await docker.getContainer(before.find((c) => c.role === 'grader')!.id).inspect();
    expect(grader.HostConfig.NetworkMode).toBe('none');
    expect(grader.HostConfig.ReadonlyRootfs).toBe(true);
    expect(grader.HostConfig.Memory).toBeGreaterThan(0);

    for (let i = 0; i < 2; i++) {
      expect((await gradeReference(stack, worker)).status).toBe('completed');
      const after = await containersOf(workerId);
      // The ones this job took are gone; two new ones wait for the next job, and nothing else is left.
      expect(after.map((c) => `${c.role}:${c.job}`).sort()).toEqual([`analysis:${WARM_JOB_ID}`, `grader:${WARM_JOB_ID}`]);
      for (const taken of before) expect(after.map((c) => c.id)).not.toContain(taken.id);
      before.splice(0, before.length, ...after);
    }

    await worker.close();
    expect(await containersOf(workerId)).toEqual([]);
  });

  it('one that died while it waited (an engine restart, a kill) is removed, and the job starts its own', async () => {
    await using stack = await startStack(grading.redis.url, { ASSAY_WORKER_CONCURRENCY: '1' });
    const worker = await idleWorker(stack);
    const workerId = worker.config.worker.id;
    const dead = await containersOf(workerId);
    for (const c of dead) await docker.getContainer(c.id).kill();
    await gradeReference(stack, worker);
    const after = (await containersOf(workerId)).map((c) => c.id);
    for (const c of dead) expect(after).not.toContain(c.id);
    expect(after).toHaveLength(2);
  });

  it('an analysis one loads typescript-eslint and lints once while it waits, says when it is done, then lints a TypeScript workspace', async () => {
    const specBase = { jobId: uniqueId('warm-analysis'), workerId: uniqueId('w'), deployment: 'test' };
    const launched = await launchAnalysis(docker, images.analysis!, specBase, undefined, { warm: true });
    try {
      const t0 = Date.now();
      await launched.settled();
      // The image's "assay:loaded" line, not settled()'s 15 s cap, and the container still waits for its files.
      expect(Date.now() - t0).toBeLessThan(10_000);
      expect(launched.exited).toBe(false);
      const box = await launched.deliver(await createTar([{ type: 'file', path: 'src/total.ts', content: Buffer.from('export interface Item { price: number }\nexport function total(items: Item[]): number {\n  var sum = 0;\n  for (const item of items) sum += item.price;\n  return sum;\n}\n') }]));
      const run = await box.waitForExit(30_000);
      expect(run.exitCode).toBe(0);
      const parsed = parseAnalyserOutput(run.stdout.text);
      if (!parsed.ok) throw new Error(parsed.reason);
      expect(parsed.result.lint?.tools.map((t) => t.name)).toContain('typescript-eslint');
      expect(parsed.result.lint?.byRule.map((r) => r.rule)).toContain('no-var');
    } finally {
      await launched.remove();
    }
  });

  it('are off with ASSAY_WORKER_WARM_CONTAINERS=false, and the job starts its own', async () => {
    await using stack = await startStack(grading.redis.url, { ASSAY_WORKER_CONCURRENCY: '1', ASSAY_WORKER_WARM_CONTAINERS: 'false' });
    const worker = await idleWorker(stack);
    expect(await containersOf(worker.config.worker.id)).toEqual([]);
    await gradeReference(stack, worker);
    expect(await containersOf(worker.config.worker.id)).toEqual([]);
  });
});
