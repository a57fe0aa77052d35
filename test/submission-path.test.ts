/**
 * A submission's `path` (the subdirectory where the service lives) through the API, end to end:
 * - a spelling that cannot be a subdirectory is refused with 422 PATH_INVALID, and nothing is
 *   stored or queued;
 * - a good one is kept in its one spelling, shown back, and only that folder is graded;
 * - one the commit does not have as a real folder (missing, a file, a symbolic link) fails the
 *   grading with PATH_INVALID, the submission's fault, with the reason in words.
 * And what the candidate sees of a build that fails: the cause and the redacted end of the
 * compiler's output, in the candidate view of the report, through their access token.
 * Real Docker, Redis and git over HTTP on loopback.
 */
import { cp, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../runner/devtools/eventually.ts';
import { realisticRepo } from '../runner/devtools/realistic.ts';
import { useGradingStack } from './support/grading.ts';

const SUBMITTER = 'path-submitter-key-0123456789';
const REVIEWER = 'path-reviewer-key-0123456789';

let monorepo: string;
let brokenBuild: string;
const temps: string[] = [];

const grading = useGradingStack({ env: { ASSAY_API_KEYS: `sub:submitter:${SUBMITTER},rev:reviewer:${REVIEWER}` } });

beforeAll(async () => {
  // backend/ holds the reference solution; link is a symbolic link to it; README.md is a file.
  const dir = await mkdtemp(path.join(os.tmpdir(), 'assay-path-'));
  temps.push(dir);
  await cp('challenges/simple-api/reference/node', path.join(dir, 'backend'), { recursive: true });
  await writeFile(path.join(dir, 'README.md'), '# monorepo\n');
  await symlink('backend', path.join(dir, 'link'));
  monorepo = (await grading.git.addRepo('monorepo.git', { dir })).url;
  const broken = await realisticRepo('typescript-type-error');
  temps.push(broken);
  brokenBuild = (await grading.git.addRepo('broken-build.git', { dir: broken })).url;
}, 300_000);

afterAll(async () => {
  for (const t of temps) await rm(t, { recursive: true, force: true });
});

function submit(body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return request(grading.stack.api.app).post('/v1/submissions').set({ Authorization: `Bearer ${SUBMITTER}`, ...headers }).send({ challenge: 'simple-api', ...body });
}

/** Follows a submission as its candidate would, until it is final. */
async function final(id: string, token: string): Promise<Record<string, unknown>> {
  return eventually(
    async () => {
      const res = await request(grading.stack.api.app).get(`/v1/submissions/${id}`).set('Authorization', `Bearer ${token}`);
      expect(res.status).toBe(200);
      return ['completed', 'failed', 'canceled'].includes(res.body.status) ? (res.body as Record<string, unknown>) : undefined;
    },
    { timeoutMs: 240_000, intervalMs: 250, message: `submission ${id} final` },
  );
}

describe('submission path', () => {
  it.each([
    ['../elsewhere', /contains "\.\."/],
    ['backend/../../x', /contains "\.\."/],
    ['/srv/app', /absolute/],
    ['backend\\src', /backslash/],
    ['.git/hooks', /\.git/],
    ['x'.repeat(201), /longer than 200/],
  ])('refuses %j with 422 PATH_INVALID and stores nothing', async (bad, why) => {
    const stored = async () => (await grading.stack.store.list({ sort: 'createdAt', order: 'desc', limit: 100 })).items.length;
    const before = await stored();
    const res = await submit({ repoUrl: monorepo, path: bad });
    expect(res.status, JSON.stringify(res.body)).toBe(422);
    expect(res.body.error.code).toBe('PATH_INVALID');
    expect(res.body.error.message).toMatch(why);
    expect(await stored()).toBe(before);
  });

  it('grades only the folder a good path names, kept in its one spelling', async () => {
    const res = await submit({ repoUrl: monorepo, path: './backend/' });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const done = await final(res.body.id, res.body.accessToken);
    expect(done, JSON.stringify(done)).toMatchObject({ status: 'completed', path: 'backend', score: { percent: 100 } });
    const report = await request(grading.stack.api.app).get(`/v1/submissions/${res.body.id}/report`).set('Authorization', `Bearer ${REVIEWER}`);
    expect(report.body.path).toBe('backend');
    // Only backend/ was packed: its two files, not the README or the link beside it.
    expect(report.body.steps.find((s: { name: string }) => s.name === 'pack').reason).toMatch(/^2 files,/);
    // The same request again (same Idempotency-Key) is the same submission; another path is not.
    const key = `path-${Date.now()}`;
    const a = await submit({ repoUrl: monorepo, path: 'backend' }, { 'Idempotency-Key': key });
    const b = await submit({ repoUrl: monorepo, path: 'backend/' }, { 'Idempotency-Key': key });
    expect([a.status, b.status]).toEqual([202, 200]);
    expect(b.body.id).toBe(a.body.id);
    expect((await submit({ repoUrl: monorepo, path: 'link' }, { 'Idempotency-Key': key })).status).toBe(409);
  }, 300_000);

  it.each([
    ['missing', /does not exist in the repository/],
    ['README.md', /is not a folder/],
    ['link', /symbolic link/],
  ])('fails the grading of %j with PATH_INVALID, the submission\'s fault', async (sub, why) => {
    const res = await submit({ repoUrl: monorepo, path: sub });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const done = await final(res.body.id, res.body.accessToken);
    expect(done).toMatchObject({ status: 'failed', error: { code: 'PATH_INVALID', fault: 'submission' } });
    expect((done.error as { message: string }).message).toMatch(why);
  }, 300_000);
});

describe('what a candidate sees of a failed build', () => {
  it('the build step with its cause and the redacted end of the compiler output; no start, no test', async () => {
    const res = await submit({ repoUrl: brokenBuild });
    expect(res.status).toBe(202);
    const { id, accessToken } = res.body as { id: string; accessToken: string };
    expect(await final(id, accessToken)).toMatchObject({ status: 'completed', score: { percent: 0 } });

    const cand = await request(grading.stack.api.app).get(`/v1/submissions/${id}/report`).set('Authorization', `Bearer ${accessToken}`);
    expect(cand.status).toBe(200);
    const steps = cand.body.steps as { name: string; status: string; reason?: string; logTail?: string }[];
    expect(steps.map((s) => s.name)).toEqual(['fetch', 'pack', 'install', 'build']);
    const build = steps.find((s) => s.name === 'build')!;
    expect(build).toMatchObject({ status: 'failed', reason: 'the build script exited with code 2' });
    expect(build.logTail).toMatch(/src\/index\.ts\(3,7\): error TS2322/);
    expect(build.logTail).toContain('API_TOKEN=[redacted]');
    expect(cand.text).not.toContain('sk-live-0123456789');
    expect(cand.body.runtimeVersion).toMatch(/^26\./);
    // Steps that passed show no log to the candidate.
    expect(steps.filter((s) => s.name !== 'build').every((s) => s.logTail === undefined)).toBe(true);

    // The reviewer's report keeps the whole (capped) log, redacted too. (Reviewers may still read
    // the value where the candidate committed it, in their source: that is their code, not a log.)
    const full = await request(grading.stack.api.app).get(`/v1/submissions/${id}/report`).set('Authorization', `Bearer ${REVIEWER}`);
    const buildLog = full.body.steps.find((s: { name: string }) => s.name === 'build').log.text as string;
    expect(buildLog).toContain('error TS2322');
    expect(buildLog).toContain('API_TOKEN=[redacted]');
    expect(buildLog).not.toContain('sk-live-0123456789');

    // The candidate's page shows the same.
    const page = await request(grading.stack.api.app).get(`/v1/submissions/${id}/report.html`).set('Authorization', `Bearer ${accessToken}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('error TS2322');
    expect(page.text).not.toContain('sk-live-0123456789');
  }, 300_000);
});
