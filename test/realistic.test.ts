/**
 * Realistic repositories (test/fixtures/realistic/<case>/, see its README): each is committed
 * to the loopback git server, submitted as an integration would and graded end to end. A
 * grader that gives a working submission 0 is worse than none: every case states the score it
 * must get and why.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitServer, type GitServer } from '../runner/devtools/git-server.ts';
import { startPipIndex } from '../runner/devtools/pip-index.ts';
import { realisticRepo, REALISTIC_ROOT as ROOT } from '../runner/devtools/realistic.ts';
import { startRedis, type TestRedis } from '../runner/devtools/redis.ts';
import { startStack, type Stack } from '../runner/devtools/stack.ts';
import { testPackages } from '../runner/devtools/wheels.ts';
import type { Report } from '../runner/report/schema.ts';


interface CaseSpec {
  challenge?: string;
  path?: string;
  minPercent?: number;
  maxPercent?: number;
  flags?: string[];
  stepMatches?: Record<string, string>;
  needs?: string[];
  /** Files taken from another case instead of a copy kept in step by hand: path in this repository -> path under ROOT. */
  copies?: Record<string, string>;
  why: string;
}

const cases = readdirSync(ROOT, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(path.join(ROOT, d.name, 'case.json')))
  .map((d) => ({ name: d.name, dir: path.join(ROOT, d.name), spec: JSON.parse(readFileSync(path.join(ROOT, d.name, 'case.json'), 'utf8')) as CaseSpec }));

let redis: TestRedis;
let git: GitServer;
let stack: Stack;
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  [redis, git] = await Promise.all([startRedis(), startGitServer()]);
  const env: Record<string, string> = { ASSAY_WORKER_CONCURRENCY: '2' };
  if (cases.some((c) => c.spec.needs?.includes('pip-index'))) {
    // PyPI is out of reach: a PEP 503 index on the install network, serving wheels built here.
    const index = await startPipIndex({ wheels: testPackages() });
    closers.push(() => index.close());
    env.ASSAY_PIP_INDEX_URL = index.url;
  }
  const testChallenges = new Set(cases.map((c) => c.spec.challenge).filter((id): id is string => id !== undefined && existsSync(path.join(TEST_CHALLENGES, `${id}.json`))));
  if (testChallenges.size) env.ASSAY_CHALLENGES_DIR = await challengesWith(testChallenges);
  stack = await startStack(redis.url, env);
  await stack.startWorker();
}, 600_000);

afterAll(async () => {
  await stack?.close();
  for (const close of closers.reverse()) await close().catch(() => undefined);
  await git?.close();
  await redis?.stop();
});

/**
 * Test-only challenges (test/fixtures/challenges/<id>.json: a built-in `base` challenge with
 * some manifest fields replaced) beside the built-in ones, in a temporary challenges folder.
 */
const TEST_CHALLENGES = 'test/fixtures/challenges';
async function challengesWith(ids: Set<string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'assay-challenges-'));
  closers.push(() => rm(dir, { recursive: true, force: true }));
  await cp('challenges', dir, { recursive: true });
  for (const id of ids) {
    const spec = JSON.parse(readFileSync(path.join(TEST_CHALLENGES, `${id}.json`), 'utf8')) as { base: string; manifest: Record<string, unknown> };
    await cp(path.join('challenges', spec.base), path.join(dir, id), { recursive: true });
    const manifest = JSON.parse(readFileSync(path.join(dir, id, 'challenge.json'), 'utf8')) as Record<string, unknown>;
    await writeFile(path.join(dir, id, 'challenge.json'), JSON.stringify({ ...manifest, ...spec.manifest, id }, null, 2));
  }
  return dir;
}

async function grade(c: (typeof cases)[number]): Promise<Report> {
  // The repository is the folder without case.json.
  const work = await realisticRepo(c.name);
  try {
    const repo = await git.addRepo(`${c.name}-${Math.random().toString(36).slice(2, 8)}`, { dir: work });
    const record = await stack.submit({ challenge: c.spec.challenge ?? 'simple-api', repoUrl: repo.url, ...(c.spec.path ? { path: c.spec.path } : {}) });
    await stack.waitForFinal(record.id, 480_000);
    return (await stack.store.getReport(record.id))!;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function explain(r: Report): string {
  return r.steps.map((s) => `${s.name} ${s.status}${s.reason ? `: ${s.reason}` : ''}${s.status === 'failed' && s.log ? `\n${s.log.text.slice(-1500)}` : ''}`).join('\n') + (r.error ? `\nerror: ${r.error.message}` : '') + `\nflags: ${r.flags.map((f) => `${f.code}: ${f.message}`).join('; ')}`;
}

describe.each(cases.map((c) => [c.name, c] as const))('realistic %s', (_name, c) => {
  it(c.spec.why, async () => {
    const report = await grade(c);
    expect(report.status, explain(report)).toBe('completed');
    const min = c.spec.minPercent ?? 100;
    const max = c.spec.maxPercent ?? 100;
    expect(report.score.percent, explain(report)).toBeGreaterThanOrEqual(min);
    expect(report.score.percent, explain(report)).toBeLessThanOrEqual(max);
    for (const code of c.spec.flags ?? []) expect(report.flags.map((f) => f.code), explain(report)).toContain(code);
    for (const [step, re] of Object.entries(c.spec.stepMatches ?? {})) {
      const s = report.steps.find((x) => x.name === step);
      expect(`${s?.reason ?? ''}\n${s?.log?.text ?? ''}`, explain(report)).toMatch(new RegExp(re));
    }
  }, 600_000);
});
