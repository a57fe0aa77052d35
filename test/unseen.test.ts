/**
 * Unseen submissions (test/fixtures/unseen/<case>/): repository shapes candidates use that the
 * realistic set does not cover, each submitted through POST /v1/submissions and graded end to
 * end (git, queue, worker, Docker) to the result its case.json states, the reasons checked in
 * the candidate's own view of the report: the score a working one deserves, or for
 * a shape Assay cannot run, the reason a candidate can act on. Most cases take the task-list
 * logic from the challenge's reference solution (`copies` from GENERATED), so each case is only
 * the part that makes it a shape.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitServer, type GitServer } from '../runner/devtools/git-server.ts';
import { startPipIndex, type PipIndex } from '../runner/devtools/pip-index.ts';
import { startRedis, type TestRedis } from '../runner/devtools/redis.ts';
import { startStack, type Stack } from '../runner/devtools/stack.ts';
import { testPackages } from '../runner/devtools/wheels.ts';
import type { Report } from '../runner/report/schema.ts';

const ROOT = 'test/fixtures/unseen';
const SUBMITTER = 'unseen-submitter-key-0123456789';

interface CaseSpec {
  path?: string;
  /** The record's final state. @defaultValue "completed" */
  status?: Report['status'];
  minPercent?: number;
  maxPercent?: number;
  flags?: string[];
  /** A regular expression the report's error (a submission that cannot be graded) must match. */
  errorMatches?: string;
  /** Step name -> a regular expression its reason and log must match. */
  stepMatches?: Record<string, string>;
  /** What the stack needs besides the built-in challenges: a PEP 503 index for pip. */
  needs?: 'pip-index'[];
  /**
   * A node_modules committed with the repository, of this many files (generated: too many to keep
   * here), whose express throws: the installed tree must be the one that runs.
   */
  committedNodeModules?: number;
  /** Files copied into the repository: path in it -> path under ROOT, or one of GENERATED's names. */
  copies?: Record<string, string>;
  why: string;
}

const cases = readdirSync(ROOT, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(path.join(ROOT, d.name, 'case.json')))
  .map((d) => ({ name: d.name, dir: path.join(ROOT, d.name), spec: JSON.parse(readFileSync(path.join(ROOT, d.name, 'case.json'), 'utf8')) as CaseSpec }));

const REFERENCE = 'challenges/simple-api/reference';
/**
 * Files made from the challenge's reference solutions rather than kept here as copies: the
 * Python one as it is, and the Node one as a CommonJS module exporting its server not yet
 * listening, so each case listens its own way.
 */
const GENERATED: Record<string, () => string> = {
  '@reference-python': () => readFileSync(path.join(REFERENCE, 'python/main.py'), 'utf8'),
  '@reference-handler': () => {
    const server = readFileSync(path.join(REFERENCE, 'node/server.js'), 'utf8');
    const listen = server.lastIndexOf('server.listen(');
    if (listen < 0) throw new Error('the simple-api reference no longer ends with server.listen(');
    return `${server.slice(0, listen)}module.exports = { createTaskServer: () => server };\n`;
  },
};

let redis: TestRedis;
let git: GitServer;
let stack: Stack;
let pipIndex: PipIndex | undefined;

beforeAll(async () => {
  [redis, git] = await Promise.all([startRedis(), startGitServer()]);
  // Submitted as an integration would: POST /v1/submissions with a submitter's key.
  const env: Record<string, string> = { ASSAY_WORKER_CONCURRENCY: '2', ASSAY_API_KEYS: `unseen:submitter:${SUBMITTER}`, ASSAY_RATE_LIMIT_PER_MINUTE: '600' };
  if (cases.some((c) => c.spec.needs?.includes('pip-index'))) {
    // PyPI is out of reach: a PEP 503 index on the install network, serving wheels built here.
    pipIndex = await startPipIndex({ wheels: testPackages() });
    env.ASSAY_PIP_INDEX_URL = pipIndex.url;
  }
  stack = await startStack(redis.url, env);
  await stack.startWorker();
}, 600_000);

afterAll(async () => {
  await stack?.close();
  await pipIndex?.close();
  await git?.close();
  await redis?.stop();
});

/** The case's folder without case.json, plus its copies, committed and submitted; its report. */
async function grade(c: (typeof cases)[number]): Promise<{ report: Report; candidateView: string }> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'assay-unseen-'));
  try {
    await cp(c.dir, work, { recursive: true, filter: (src) => path.basename(src) !== 'case.json' });
    for (const [target, source] of Object.entries(c.spec.copies ?? {})) {
      await mkdir(path.dirname(path.join(work, target)), { recursive: true });
      if (Object.hasOwn(GENERATED, source)) await writeFile(path.join(work, target), GENERATED[source]!());
      else await cp(path.join(ROOT, source), path.join(work, target));
    }
    if (c.spec.committedNodeModules) await commitNodeModules(work, c.spec.committedNodeModules);
    const repo = await git.addRepo(`${c.name}-${Math.random().toString(36).slice(2, 8)}`, { dir: work });
    const created = await request(stack.api.app)
      .post('/v1/submissions')
      .set('Authorization', `Bearer ${SUBMITTER}`)
      .send({ challenge: 'simple-api', repoUrl: repo.url, ...(c.spec.path ? { path: c.spec.path } : {}) });
    expect(created.status, JSON.stringify(created.body)).toBe(202);
    const { id, accessToken } = created.body as { id: string; accessToken: string };
    await stack.waitForFinal(id, 480_000);
    // What the candidate reads: their view of the report, with their access token.
    const candidate = await request(stack.api.app).get(`/v1/submissions/${id}/report`).set('Authorization', `Bearer ${accessToken}`);
    expect(candidate.status).toBe(200);
    return { report: (await stack.store.getReport(id))!, candidateView: JSON.stringify(candidate.body) };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function commitNodeModules(dir: string, files: number): Promise<void> {
  const express = path.join(dir, 'node_modules', 'express');
  await mkdir(express, { recursive: true });
  await writeFile(path.join(express, 'package.json'), JSON.stringify({ name: 'express', version: '4.0.0', main: 'index.js' }));
  await writeFile(path.join(express, 'index.js'), "throw new Error('the committed node_modules was used');\n");
  for (let i = 0; i < files; i += 100) {
    const pkg = path.join(dir, 'node_modules', `filler-${i / 100}`);
    await mkdir(pkg, { recursive: true });
    await Promise.all(Array.from({ length: 100 }, (_, j) => writeFile(path.join(pkg, `f${j}.js`), `module.exports = ${i + j};\n`)));
  }
}

function explain(r: Report): string {
  const steps = r.steps.map((s) => `${s.name} ${s.status}${s.reason ? `: ${s.reason}` : ''}${s.status === 'failed' && s.log ? `\n${s.log.text.slice(-1500)}` : ''}`);
  return [...steps, ...(r.error ? [`error: ${r.error.message}`] : []), `flags: ${r.flags.map((f) => `${f.code}: ${f.message}`).join('; ')}`].join('\n');
}

describe.each(cases.map((c) => [c.name, c] as const))('unseen %s', (_name, c) => {
  it(c.spec.why, async () => {
    const { report, candidateView } = await grade(c);
    expect(report.status, explain(report)).toBe(c.spec.status ?? 'completed');
    expect(report.score.percent, explain(report)).toBeGreaterThanOrEqual(c.spec.minPercent ?? 100);
    expect(report.score.percent, explain(report)).toBeLessThanOrEqual(c.spec.maxPercent ?? 100);
    for (const code of c.spec.flags ?? []) expect(report.flags.map((f) => f.code), explain(report)).toContain(code);
    if (c.spec.errorMatches) expect(report.error?.message ?? '', explain(report)).toMatch(new RegExp(c.spec.errorMatches));
    for (const [step, re] of Object.entries(c.spec.stepMatches ?? {})) {
      const s = report.steps.find((x) => x.name === step);
      expect(`${s?.reason ?? ''}\n${s?.log?.text ?? ''}`, explain(report)).toMatch(new RegExp(re));
      // A reason only reviewers read is no help to the candidate.
      if (s?.reason) expect(candidateView).toContain(JSON.stringify(s.reason).slice(1, -1));
    }
    if (report.error) expect(candidateView).toContain(JSON.stringify(report.error.message).slice(1, -1));
  }, 600_000);
});

describe('unseen submissions refused at once', () => {
  it("a repository URL copied from the browser on a folder's page: 422 with the URL, ref and path to submit instead", async () => {
    const res = await request(stack.api.app)
      .post('/v1/submissions')
      .set('Authorization', `Bearer ${SUBMITTER}`)
      .send({ challenge: 'simple-api', repoUrl: 'https://github.com/ada/tasks/tree/main/backend' });
    expect(res.status, JSON.stringify(res.body)).toBe(422);
    expect(JSON.stringify(res.body)).toContain('submit \\"https://github.com/ada/tasks\\" as the repository URL, \\"main\\" as the ref, \\"backend\\" as the path');
  });
});
