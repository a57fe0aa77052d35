/**
 * The hostile-submission suite: every folder under test/attacks/<family>/<case>/ is a submission
 * (its files, plus an optional `base` folder it overlays, `*.append` files appended to the base's
 * file of the same name, and `setup` entries the test creates because git or the project tree
 * cannot hold them as files) and an `expected.json` describing the outcome. Each case goes
 * through the real queue and worker on a real Redis (with a password), git over HTTP on
 * loopback and the real Docker engine, and must:
 *   - reach a final state within its budget with the expected status, error, steps and flags;
 *   - leak nothing: no canary secret of the worker's configuration or environment, and not the
 *     content of a canary file on the host, appears in the stored report or record;
 *   - leave the host alone: the canary file unchanged, the case's marker path never created;
 *   - leave no container behind.
 * After the hostile batch, the reference solution must still score 100%.
 * Placeholders: in expected.json `{git}` `{gitPort}` `{name}` `{repo}` `{marker}`; in files
 * `{{REDIS_PORT}}` `{{GIT_PORT}}` `{{HOST_IPS}}` `{{CANARY_PATH}}` `{{MARKER}}`.
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { appendFile, cp, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderSummary } from '../runner/cli/summary.ts';
import type { Report } from '../runner/report/schema.ts';
import { countManaged, LABEL_JOB, LABEL_ROLE } from '../runner/sandbox/index.ts';
import { newSubmissionRecord, type SubmissionRecord } from '../runner/store/submissions.ts';
import { docker, images } from '../runner/devtools/env.ts';
import { eventually } from '../runner/devtools/eventually.ts';
import { startGitServer, type GitServer } from '../runner/devtools/git-server.ts';
import { startStack, type Stack } from '../runner/devtools/stack.ts';

const run = promisify(execFile);
const ATTACKS = path.resolve('test/attacks');
/** A string only the hidden simple-api suite contains: it must never reach a candidate's log. */
const SUITE_MARKER = 'assertTask';

interface Expected {
  challenge: string;
  stack?: 'default' | 'strict' | 'limits';
  base?: string;
  repoUrl?: string;
  ref?: string;
  setup?: {
    route?: 'redirect' | 'trickle';
    symlinks?: Record<string, string>;
    files?: Record<string, string>;
    gitlinks?: Record<string, string>;
    manyFiles?: number;
    randomBytes?: number;
    zeroBytes?: number;
  };
  status: 'completed' | 'failed';
  errorCode?: string;
  fault?: 'submission' | 'platform';
  minPercent?: number;
  maxPercent?: number;
  stepFailed?: string;
  stepPassed?: string;
  reasonMatches?: string;
  flags?: string[];
  notFlags?: string[];
  logMatches?: string[];
  /** Tests that must not be passed (e.g. those a forged result line claims). */
  testsNotPassed?: string[];
  reportNotContains?: string[];
  noGitRequests?: boolean;
  targetNotRequested?: boolean;
  suiteNotInReport?: boolean;
  summaryClean?: boolean;
  timeoutMs?: number;
  /** The rule the score bounds enforce, in words: the message of the minPercent/maxPercent assertions. */
  rule?: string;
}

interface Case {
  family: string;
  name: string;
  dir: string;
  expected: Expected;
}

interface Submitted {
  record: SubmissionRecord;
  stack: Stack;
  repoName: string;
  marker: string;
  /** The text of the submission's own files (what the insights may quote back). */
  files: string;
  outcome: Promise<{ final?: SubmissionRecord; error?: unknown }>;
}

const cases: Case[] = readdirSync(ATTACKS, { withFileTypes: true })
  .filter((f) => f.isDirectory())
  .flatMap((family) =>
    readdirSync(path.join(ATTACKS, family.name), { withFileTypes: true })
      .filter((c) => c.isDirectory())
      .map((c) => {
        const dir = path.join(ATTACKS, family.name, c.name);
        return { family: family.name, name: c.name, dir, expected: JSON.parse(readFileSync(path.join(dir, 'expected.json'), 'utf8')) as Expected };
      }),
  );

const canary = {
  redisPassword: `canary-redis-${randomUUID()}`,
  webhookSecret: `canary-webhook-${randomUUID()}`,
  sessionSecret: `canary-session-${randomUUID()}`,
  gitToken: `canary-token-${randomUUID()}`,
  apiKey: `canary-apikey-${randomUUID()}`,
  env: `canary-env-${randomUUID()}`,
  file: `canary-file-${randomUUID()}`,
};
const canaryPath = path.join(os.tmpdir(), `assay-canary-${randomUUID()}`);
const secrets = [canary.redisPassword, canary.webhookSecret, canary.sessionSecret, canary.gitToken, Buffer.from(`x-access-token:${canary.gitToken}`).toString('base64'), canary.apiKey, canary.env, canary.file];

let redis: StartedTestContainer;
let redisPort: number;
let git: GitServer;
let stacks: Record<'default' | 'strict' | 'limits', Stack>;
let hostIps: string[];
const submitted = new Map<string, Submitted>();

const gitEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: os.tmpdir(), GIT_CONFIG_NOSYSTEM: '1', LC_ALL: 'C' };
const gitRun = (cwd: string, ...args: string[]) =>
  run('git', ['-c', 'user.name=Attacker', '-c', 'user.email=attacker@assay.invalid', '-c', 'commit.gpgsign=false', '-c', 'core.symlinks=true', ...args], { cwd, env: gitEnv, maxBuffer: 64 * 1024 * 1024 }).then((r) => r.stdout.trim());

/** Commits `dir` as it is (symlinks verbatim, any file name) and serves it as `<git.url>/<name>`. */
async function publish(name: string, dir: string, gitlinks: Record<string, string> = {}): Promise<{ url: string; commit: string }> {
  await gitRun(dir, 'init', '-q', '-b', 'main');
  await gitRun(dir, 'add', '-A');
  for (const [rel, sha] of Object.entries(gitlinks)) await gitRun(dir, 'update-index', '--add', '--cacheinfo', `160000,${sha},${rel}`);
  await gitRun(dir, 'commit', '-q', '--allow-empty', '-m', 'attack');
  const bare = path.join(git.root, name);
  await gitRun(git.root, 'init', '-q', '--bare', bare);
  await gitRun(bare, 'config', 'uploadpack.allowAnySHA1InWant', 'true');
  await gitRun(dir, 'push', '-q', bare, 'refs/heads/main:refs/heads/main');
  await gitRun(bare, 'symbolic-ref', 'HEAD', 'refs/heads/main');
  return { url: `${git.url}/${name}`, commit: await gitRun(dir, 'rev-parse', 'HEAD') };
}

function fill(text: string, marker: string): string {
  return text
    .replaceAll('{{REDIS_PORT}}', String(redisPort))
    .replaceAll('{{GIT_PORT}}', new URL(git.url).port)
    .replaceAll('{{HOST_IPS}}', JSON.stringify(hostIps))
    .replaceAll('{{CANARY_PATH}}', canaryPath)
    .replaceAll('{{MARKER}}', marker);
}

/** Builds the submission's work tree in a temp dir: base, the case's files (templated), setup. */
async function buildTree(c: Case, marker: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'assay-attack-'));
  if (c.expected.base) await cp(path.resolve(c.expected.base), dir, { recursive: true });
  const walk = async (rel: string): Promise<void> => {
    for (const e of await readdir(path.join(c.dir, rel), { withFileTypes: true })) {
      const r = path.join(rel, e.name);
      if (r === 'expected.json') continue;
      if (e.isDirectory()) {
        await mkdir(path.join(dir, r), { recursive: true });
        await walk(r);
        continue;
      }
      const content = fill(await readFile(path.join(c.dir, r), 'utf8'), marker);
      if (r.endsWith('.append')) await appendFile(path.join(dir, r.slice(0, -'.append'.length)), content);
      else await writeFile(path.join(dir, r), content);
    }
  };
  await walk('');
  const setup = c.expected.setup ?? {};
  for (const [rel, content] of Object.entries(setup.files ?? {})) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), content);
  }
  for (const [rel, target] of Object.entries(setup.symlinks ?? {})) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await symlink(fill(target, marker), path.join(dir, rel));
  }
  for (let i = 0; i < (setup.manyFiles ?? 0); i++) await writeFile(path.join(dir, `f${i}.txt`), `${i}\n`);
  if (setup.randomBytes) await writeFile(path.join(dir, 'random.bin'), randomBytes(setup.randomBytes));
  if (setup.zeroBytes) await writeFile(path.join(dir, 'zeros.bin'), Buffer.alloc(setup.zeroBytes));
  return dir;
}

function needsRepo(e: Expected): boolean {
  return e.repoUrl === undefined || e.repoUrl.includes('{repo}') || e.setup?.route === 'redirect';
}

async function submitCase(c: Case): Promise<void> {
  const e = c.expected;
  const id = randomUUID().slice(0, 8);
  const repoName = `${c.family}-${c.name}-${id}`;
  const marker = path.join(os.tmpdir(), `assay-attack-marker-${id}`);
  let repoUrl = `${git.url}/${repoName}`;
  let files = '';
  if (needsRepo(e)) {
    const dir = await buildTree(c, marker);
    try {
      files = await treeText(dir);
      await publish(repoName, dir, e.setup?.gitlinks);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  if (e.setup?.route === 'redirect') {
    const prefix = `/redirect-${id}`;
    git.route(prefix, (req, res) => {
      res.writeHead(302, { location: `${git.url}/${repoName}${(req.url ?? '').slice(prefix.length + '/repo'.length)}` });
      res.end();
    });
    repoUrl = `${git.url}${prefix}/repo`;
  } else if (e.setup?.route === 'trickle') {
    const prefix = `/trickle-${id}`;
    git.route(prefix, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-git-upload-pack-advertisement' });
      // The pause is the attack: a byte every 2 s keeps the connection alive below the speed limit.
      const timer = setInterval(() => res.write('0'), 2000);
      res.on('close', () => clearInterval(timer));
    });
    repoUrl = `${git.url}${prefix}/repo`;
  } else if (e.repoUrl !== undefined) {
    repoUrl = e.repoUrl
      .replaceAll('{repo}', repoUrl)
      .replaceAll('{git}', git.url)
      .replaceAll('{gitPort}', new URL(git.url).port)
      .replaceAll('{name}', repoName)
      .replaceAll('{marker}', marker);
  }
  const ref = e.ref?.replaceAll('{marker}', marker);
  const stack = stacks[e.stack ?? 'default'];
  const record = await stack.submit({ challenge: e.challenge, repoUrl, ...(ref ? { ref } : {}) });
  const outcome = stack.waitForFinal(record.id, e.timeoutMs ?? 150_000).then(
    (final) => ({ final }),
    (error: unknown) => ({ error }),
  );
  submitted.set(`${c.family}/${c.name}`, { record, stack, repoName, marker, files, outcome });
}

/** Every regular file's text under dir (the first MB of each), for looking words up. */
async function treeText(dir: string): Promise<string> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    out.push((await readFile(file)).subarray(0, 1024 * 1024).toString('utf8'));
  }
  return out.join('\n');
}

async function startPasswordRedis(): Promise<StartedTestContainer> {
  const tag = (images as unknown as { redis?: { tag: string } }).redis?.tag;
  if (!tag) throw new Error('no redis test image: run scripts/build-images.sh');
  return new GenericContainer(tag)
    .withCommand(['redis-server', '--bind', '0.0.0.0', '--protected-mode', 'no', '--requirepass', canary.redisPassword, '--save', '', '--appendonly', 'no', '--dir', '/tmp'])
    .withExposedPorts(6379)
    .withLabels({ 'dev.assay.test': 'redis' })
    .withWaitStrategy(Wait.forLogMessage(/Ready to accept connections/))
    .start();
}

beforeAll(async () => {
  await writeFile(canaryPath, canary.file);
  // docker0's gateway is always probed: Node lists no address for an interface that is down.
  hostIps = [
    ...new Set([
      '172.17.0.1',
      ...Object.values(os.networkInterfaces())
        .flat()
        .filter((i) => i && i.family === 'IPv4')
        .map((i) => i!.address),
    ]),
  ];
  [redis, git] = await Promise.all([startPasswordRedis(), startGitServer()]);
  redisPort = redis.getMappedPort(6379);
  const url = `redis://${redis.getHost()}:${redisPort}`;
  // Secrets the worker holds; none may reach a container, a log in the report or the record.
  process.env.ASSAY_CANARY_ENV = canary.env;
  const secretEnv = {
    ASSAY_REDIS_PASSWORD: canary.redisPassword,
    ASSAY_WEBHOOK_SECRET: canary.webhookSecret,
    ASSAY_SESSION_SECRET: canary.sessionSecret,
    ASSAY_GIT_TOKENS: JSON.stringify({ '127.0.0.1': canary.gitToken }),
    ASSAY_API_KEYS: `ci:admin:${canary.apiKey}`,
    ASSAY_WORKER_CONCURRENCY: '3',
  };
  const [def, strict, limits] = await Promise.all([
    startStack(url, secretEnv),
    startStack(url, { ...secretEnv, ASSAY_FETCH_ALLOW_PRIVATE: 'false' }),
    startStack(url, {
      ...secretEnv,
      ASSAY_FETCH_MAX_BYTES: String(1024 * 1024),
      ASSAY_PACK_MAX_FILES: '50',
      ASSAY_FETCH_LOW_SPEED_BYTES_PER_S: '1024',
      ASSAY_FETCH_LOW_SPEED_SECONDS: '3',
      ASSAY_FETCH_TIMEOUT_MS: '20000',
    }),
  ]);
  stacks = { default: def, strict: strict, limits: limits };
  await Promise.all(Object.values(stacks).map((s) => s.startWorker()));
  for (const c of cases) await submitCase(c);
}, 300_000);

afterAll(async () => {
  for (const s of Object.values(stacks ?? {})) await s.close();
  await git?.close();
  await redis?.stop({ timeout: 1000 });
  await rm(canaryPath, { force: true });
  delete process.env.ASSAY_CANARY_ENV;
});

/**
 * Waits, for a few seconds, until none of the job's containers is left on the engine: a removal
 * the engine reports as already in progress (409) may finish just after the record turns final.
 */
async function expectNoContainersLeft(jobId: string): Promise<void> {
  await eventually(
    async () => {
      const left = await docker.listContainers({ all: true, filters: { label: [`${LABEL_JOB}=${jobId}`] } });
      if (left.length > 0) throw new Error(`left: ${left.map((c) => `${c.Labels[LABEL_ROLE]} ${c.State} ${c.Status}`).join(', ')}`);
      return true;
    },
    { timeoutMs: 5000, intervalMs: 200, message: `no container of job ${jobId} left` },
  );
}

/** Every text a report shows about why: error, step reasons, flags, test messages. */
function reasons(report: Report): string {
  return [report.error?.message, ...report.steps.map((s) => s.reason), ...report.flags.map((f) => f.message), ...report.tests.map((t) => t.message)].filter(Boolean).join('\n');
}

function logs(report: Report): string {
  return report.steps.map((s) => s.log?.text ?? '').join('\n');
}

describe.each([...new Set(cases.map((c) => c.family))])('attack family %s', (family) => {
  it.each(cases.filter((c) => c.family === family).map((c) => [c.name, c] as const))('%s', (_name, c) => checkCase(c), 200_000);
});

async function checkCase(c: Case): Promise<void> {
  {
    const e = c.expected;
    const sub = submitted.get(`${c.family}/${c.name}`)!;
    const { final, error } = await sub.outcome;
    if (error) throw error;
    const report = await sub.stack.store.getReport(sub.record.id);
    expect(report, 'a report is stored').toBeDefined();
    const r = report!;
    const json = JSON.stringify(r);
    // For investigating a case: ATTACK_REPORTS_DIR=/tmp/x keeps every report.
    const dumpDir = process.env.ATTACK_REPORTS_DIR;
    if (dumpDir) {
      await mkdir(dumpDir, { recursive: true });
      await writeFile(path.join(dumpDir, `${c.family}-${c.name}.json`), JSON.stringify(r, null, 2));
    }

    // Outcome. A failed check names what the report says, so a CI log alone explains the failure.
    const why = `\n--- the report's reasons ---\n${reasons(r).slice(0, 4000)}\n--- the end of its logs ---\n${logs(r).slice(-3000)}`;
    expect(final!.status, why).toBe(e.status);
    expect(r.status, why).toBe(e.status);
    expect(final!.reportRuns).toEqual([1]);
    expect(r.timings.totalMs ?? 0).toBeLessThanOrEqual(e.timeoutMs ?? 150_000);
    if (e.errorCode) expect(r.error).toMatchObject({ code: e.errorCode, fault: e.fault ?? 'submission' });
    else expect(r.error).toBeUndefined();
    if (e.minPercent !== undefined) expect(r.score.percent, (e.rule ?? `scores at least ${e.minPercent}%`) + why).toBeGreaterThanOrEqual(e.minPercent);
    if (e.maxPercent !== undefined) expect(r.score.percent, (e.rule ?? `scores at most ${e.maxPercent}%`) + why).toBeLessThanOrEqual(e.maxPercent);
    if (e.stepFailed) expect(r.steps.find((s) => s.name === e.stepFailed)?.status, `step ${e.stepFailed}`).toBe('failed');
    if (e.stepPassed) expect(r.steps.find((s) => s.name === e.stepPassed)?.status, `step ${e.stepPassed}`).toBe('passed');
    if (e.reasonMatches) expect(reasons(r)).toMatch(new RegExp(e.reasonMatches));
    for (const f of e.flags ?? []) expect(r.flags.map((x) => x.code)).toContain(f);
    for (const f of e.notFlags ?? []) expect(r.flags.map((x) => x.code)).not.toContain(f);
    for (const re of e.logMatches ?? []) expect(logs(r)).toMatch(new RegExp(re));
    for (const id of e.testsNotPassed ?? []) expect(r.tests.find((t) => t.id === id)?.status, id).not.toBe('passed');
    // The insights quote the candidate's own files back to the reviewer (the diff, lint findings),
    // so a word the submission itself contains is looked for everywhere but there.
    const withoutOwnSource = JSON.stringify({ ...r, insights: undefined });
    for (const s of e.reportNotContains ?? []) expect(sub.files.includes(s) ? withoutOwnSource : json, `the report contains ${s}`).not.toContain(s);
    if (e.suiteNotInReport) expect(json).not.toContain(SUITE_MARKER);
    if (e.summaryClean) expect(renderSummary(r)).not.toMatch(/[\u001b\u0007\u009b]/);

    // Nothing leaked, the host untouched, nothing left running.
    const recordJson = JSON.stringify(final);
    for (const s of secrets) {
      expect(json, 'a canary secret in the report').not.toContain(s);
      expect(recordJson, 'a canary secret in the record').not.toContain(s);
    }
    expect(await readFile(canaryPath, 'utf8')).toBe(canary.file);
    expect(existsSync(sub.marker), `marker ${sub.marker} created on the host`).toBe(false);
    await expectNoContainersLeft(sub.record.id);
    if (e.noGitRequests) expect(git.requests.filter((q) => q.url.includes(sub.repoName))).toEqual([]);
    if (e.targetNotRequested) expect(git.requests.filter((q) => q.url.startsWith(`/${sub.repoName}`))).toEqual([]);
  }
}

describe('pinned commits', () => {
  it('grades the submitted SHA after a force-push, and a branch at the commit it pointed to when fetched', async () => {
    const name = `force-push-${randomUUID().slice(0, 8)}`;
    const first = await git.addRepo(name, { dir: 'challenges/simple-api/reference/node' });
    const starter = await readFile('challenges/simple-api/starter/server.js', 'utf8');
    const second = await git.commit(name, { 'server.js': starter }, { amend: true });
    expect(second).not.toBe(first.commit);
    const stack = stacks.default;
    const bySha = await stack.submit({ challenge: 'simple-api', repoUrl: first.url, ref: first.commit });
    const byBranch = await stack.submit({ challenge: 'simple-api', repoUrl: first.url, ref: 'main' });
    const [a, b] = await Promise.all([stack.waitForFinal(bySha.id), stack.waitForFinal(byBranch.id)]);
    expect(a.commit).toBe(first.commit);
    expect(a.score?.percent).toBe(100);
    expect(b.commit).toBe(second);
    expect(b.pinnedCommit).toBe(second);
    expect(b.score?.percent).toBeLessThan(100);
  }, 200_000);
});

describe('against the queue', () => {
  async function createRecord(stack: Stack, repoUrl: string): Promise<SubmissionRecord> {
    const record = newSubmissionRecord({ challenge: 'simple-api', repoUrl, accessToken: randomUUID() });
    await stack.store.create(record);
    return record;
  }

  async function waitForJobState(stack: Stack, jobId: string, states: string[], timeoutMs = 30_000): Promise<string> {
    return eventually(
      async () => {
        const state = await stack.queue.grading.getJobState(jobId);
        if (!states.includes(state)) throw new Error(`job ${jobId} is ${state}`);
        return state;
      },
      { timeoutMs, message: `job ${jobId} to be ${states.join(' or ')}` },
    );
  }

  it('rejects forged job data: extra fields, a wrong id/data pairing, unknown or malformed ids', async () => {
    const stack = stacks.default;
    const name = `forged-${randomUUID().slice(0, 8)}`;
    const good = await git.addRepo(name, { dir: 'challenges/simple-api/reference/node' });
    const a = await createRecord(stack, good.url);
    const b = await createRecord(stack, good.url);
    const forged: { jobId: string; data: Record<string, unknown>; reason: RegExp; record?: SubmissionRecord }[] = [
      { jobId: a.id, data: { submissionId: a.id, run: 1, repoUrl: 'file:///etc', challenge: 'debug-app', limits: { memoryMb: 65536 } }, reason: /does not match the schema/, record: a },
      { jobId: `${randomUUID()}`, data: { submissionId: b.id, run: 1 }, reason: /id does not match its data/, record: b },
      { jobId: 'no-such-submission', data: { submissionId: 'no-such-submission', run: 1 }, reason: /no such submission/ },
      { jobId: 'traversal', data: { submissionId: '../../../etc/passwd', run: 1 }, reason: /does not match the schema/ },
    ];
    for (const f of forged) await stack.queue.grading.add('grade', f.data as never, { jobId: f.jobId, attempts: 3 });
    for (const f of forged) {
      expect(await waitForJobState(stack, f.jobId, ['failed', 'completed'])).toBe('failed');
      const job = await stack.queue.grading.getJob(f.jobId);
      expect(job?.failedReason).toMatch(f.reason);
      expect(job?.attemptsMade).toBe(1); // unrecoverable: not retried
    }
    for (const r of [a, b]) {
      const now = await stack.store.get(r.id);
      expect(now).toMatchObject({ status: 'queued', reportRuns: [] });
      expect(await stack.store.getReport(r.id, 1)).toBeUndefined();
      expect(await countManaged(docker, r.id)).toBe(0);
    }
    expect(git.requests.filter((q) => q.url.startsWith(`/${name}`))).toEqual([]);
  });

  it('brings a flood of 30 quick submissions to a final state, each graded once', async () => {
    const stack = stacks.default;
    const repo = await git.addRepo(`flood-${randomUUID().slice(0, 8)}`, { 'README.md': 'no runtime here\n' });
    const records = await Promise.all(
      Array.from({ length: 30 }, (_, i) => stack.submit({ challenge: 'simple-api', repoUrl: i % 3 === 0 ? `ext::sh -c id ${i}` : repo.url })),
    );
    const finals = await Promise.all(records.map((r) => stack.waitForFinal(r.id, 120_000)));
    for (const [i, f] of finals.entries()) {
      expect(f.reportRuns).toEqual([1]);
      if (i % 3 === 0) expect(f).toMatchObject({ status: 'failed', error: { code: 'URL_REJECTED' } });
      else expect(f.status).toBe('completed');
    }
  }, 150_000);
});

describe('after the hostile batch', () => {
  it('still scores the reference solution 100%', async () => {
    const stack = stacks.default;
    const repo = await git.addRepo(`good-after-${randomUUID().slice(0, 8)}`, { dir: 'challenges/simple-api/reference/node' });
    const record = await stack.submit({ challenge: 'simple-api', repoUrl: repo.url });
    const final = await stack.waitForFinal(record.id);
    expect(final.status).toBe('completed');
    expect(final.score?.percent).toBe(100);
    await expectNoContainersLeft(record.id);
  }, 200_000);
});
