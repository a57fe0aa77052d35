/**
 * insights.ownTests (the candidate's own tests, and the challenge's mutants they catch) and
 * insights.history end to end: the real pipeline (gradeSubmission), the real Docker engine and
 * the locally built images, the built-in challenges, and git over HTTP on loopback for history.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { ChallengeRepository } from '../runner/challenges/repository.ts';
import { loadConfig } from '../runner/config.ts';
import { docker, images, uniqueId } from '../runner/devtools/env.ts';
import { createLogger } from '../runner/log.ts';
import { gradeSubmission, type GradeInput } from '../runner/pipeline/grade.ts';
import type { OwnTests } from '../runner/report/insights-tests.ts';
import type { Report } from '../runner/report/schema.ts';
import { countManaged } from '../runner/sandbox/index.ts';
import { fetchHistory, fetchRepository } from '../runner/stages/fetch/index.ts';
import { summariseHistory } from '../runner/stages/history/history.ts';
import { planOwnTests } from '../runner/stages/own-tests/plan.ts';
import { planRuntime } from '../runner/stages/plan/index.ts';
import { useGitServer } from './support/grading.ts';
import { useScratch } from './support/scratch.ts';

const run = promisify(execFile);
const log = createLogger('warn');
const config = loadConfig({ ASSAY_FETCH_ALLOW_HTTP: 'true', ASSAY_FETCH_ALLOW_PRIVATE: 'true' });
const builtIn = new ChallengeRepository('challenges', config.maxima);
const DEBUG = 'challenges/debug-app';

const git = useGitServer();
const scratch = useScratch('assay-own-tests-');

async function grade(challengeId: string, source: Pick<GradeInput, 'localPath' | 'repoUrl'>, challenges = builtIn, cfg = config): Promise<Report> {
  const submissionId = uniqueId('own-tests');
  const report = await gradeSubmission({ submissionId, attempt: 1, challengeId, ...source }, { config: cfg, docker, images, challenges, log });
  expect(report.status, JSON.stringify(report.error)).toBe('completed');
  // Every sandbox of the run, own tests and mutants included, is gone when the grading returns.
  expect(await countManaged(docker, submissionId)).toBe(0);
  return report;
}

function ownTests(report: Report): OwnTests {
  const own = report.insights?.ownTests;
  expect(own, 'insights.ownTests').toBeDefined();
  return own!;
}

function outcomes(own: OwnTests): Record<string, string> {
  return Object.fromEntries((own.bugsCaught?.details ?? []).map((d) => [d.id, d.outcome]));
}

interface Commit {
  files: Record<string, string>;
  author: string;
  email: string;
  date: string;
  message: string;
}

/** A repository on the loopback server with the given commits, oldest first (authors and dates as given). */
async function historyRepo(name: string, base: string, commits: Commit[]): Promise<string> {
  const work = path.join(scratch.dir, `${name}-work`);
  await cp(base, work, { recursive: true });
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: scratch.dir, GIT_CONFIG_NOSYSTEM: '1', GIT_COMMITTER_NAME: 'ci', GIT_COMMITTER_EMAIL: 'ci@assay.invalid' };
  const gitIn = (cwd: string, args: string[], extra: Record<string, string> = {}) => run('git', ['-c', 'commit.gpgsign=false', ...args], { cwd, env: { ...env, ...extra } });
  await gitIn(work, ['init', '-q', '-b', 'main']);
  for (const c of commits) {
    for (const [rel, content] of Object.entries(c.files)) {
      await mkdir(path.dirname(path.join(work, rel)), { recursive: true });
      await writeFile(path.join(work, rel), content);
    }
    await gitIn(work, ['add', '-A']);
    await gitIn(work, ['commit', '-q', '--allow-empty', '-m', c.message], { GIT_AUTHOR_NAME: c.author, GIT_AUTHOR_EMAIL: c.email, GIT_AUTHOR_DATE: c.date });
  }
  const bare = path.join(git.server.root, `${name}.git`);
  await gitIn(git.server.root, ['init', '-q', '--bare', bare]);
  await gitIn(work, ['push', '-q', bare, 'main:refs/heads/main']);
  await gitIn(bare, ['symbolic-ref', 'HEAD', 'refs/heads/main']);
  return `${git.server.url}/${name}.git`;
}

describe('debug-app: the candidate’s own tests and the planted bugs they catch', () => {
  it('the reference’s tests pass, with coverage, and catch all six mutants; its history is "none" from a local folder', async () => {
    const report = await grade('debug-app', { localPath: `${DEBUG}/reference/fixed` });
    expect(report.score.percent).toBe(100);
    const own = ownTests(report);
    expect(own).toMatchObject({ status: 'passed', command: 'node --test test/*.test.js', runner: 'node-test', passed: 11, failed: 0, skipped: 0, total: 11, verdict: 'ok' });
    expect(own.coverage).toMatchObject({ tool: 'node' });
    expect(own.coverage!.lines).toBeGreaterThan(80);
    expect(own.log?.text).toContain('# pass 11');
    expect(own.bugsCaught).toMatchObject({ status: 'measured', caught: 6, of: 6 });
    for (const d of own.bugsCaught!.details) {
      expect(d.outcome, d.id).toBe('caught');
      expect(d.failedTests?.length, d.id).toBeGreaterThan(0);
    }
    expect(own.bugsCaught!.details.find((d) => d.id === 'float-cents')?.failedTests).toEqual(['decimal prices convert to exact cents']);
    expect(report.insights?.history).toMatchObject({ status: 'none', reason: 'graded from a local folder: no history', commits: 0 });
    expect(report.timings.ownTests).toBeGreaterThan(0);
  });

  it('the starter’s tests pass and catch none; the half-fixed variant’s catch the three bugs it fixed', async () => {
    const starter = ownTests(await grade('debug-app', { localPath: `${DEBUG}/starter` }));
    expect(starter).toMatchObject({ status: 'passed', passed: 5, failed: 0, total: 5 });
    expect(starter.bugsCaught).toMatchObject({ status: 'measured', caught: 0, of: 6 });
    expect(new Set(Object.values(outcomes(starter)))).toEqual(new Set(['missed']));

    const half = ownTests(await grade('debug-app', { localPath: `${DEBUG}/variants/half-fixed` }));
    expect(half).toMatchObject({ status: 'passed', passed: 8, failed: 0, total: 8 });
    expect(half.bugsCaught).toMatchObject({ caught: 3, of: 6 });
    expect(outcomes(half)).toEqual({
      'last-units': 'caught',
      'float-cents': 'missed',
      'unknown-order-500': 'caught',
      'quantity-validation': 'caught',
      'oversell-race': 'missed',
      'receipt-traversal': 'missed',
    });
  });

  it('a submission whose own tests fail gets counts and failing names, and no mutant verdicts', async () => {
    const dir = await scratch.variantOf(`${DEBUG}/reference/fixed`, 'failing-own-test', {
      'test/wrong.test.js': "import { test } from 'node:test';\nimport assert from 'node:assert/strict';\ntest('expects the wrong total', () => assert.equal(1 + 1, 3));\n",
    });
    const report = await grade('debug-app', { localPath: dir });
    expect(report.score.percent).toBe(100);
    const own = ownTests(report);
    expect(own).toMatchObject({ status: 'failed', passed: 11, failed: 1, total: 12 });
    expect(own.bugsCaught).toMatchObject({ status: 'not_run', caught: 0, of: 6 });
    expect(own.bugsCaught!.reason).toMatch(/do not pass on the candidate’s own code/);
  });
});

describe('submissions with other test set-ups', () => {
  it('simple-api’s reference, starter and variant have no tests of their own', async () => {
    const report = await grade('simple-api', { localPath: 'challenges/simple-api/reference/node' });
    expect(report.score.percent).toBe(100);
    expect(ownTests(report)).toEqual({ status: 'none', reason: 'package.json has no test script' });
    for (const dir of ['starter', 'variants/partial', 'reference/python']) {
      const full = path.join('challenges/simple-api', dir);
      const runtime = await planRuntime(full, { allowed: ['node', 'python'], npmRegistry: config.install.npmRegistry });
      expect('runtime' in runtime, dir).toBe(true);
      if (!('runtime' in runtime)) continue;
      expect(await planOwnTests(full, runtime), dir).toMatchObject({ kind: 'none', reason: dir === 'reference/python' ? 'no Python test files (test_*.py, *_test.py)' : 'package.json has no test script' });
    }
  });

  it('debug-app-python’s unittest tests are counted (pytest is not installed, so unittest runs them)', async () => {
    const own = ownTests(await grade('debug-app-python', { localPath: 'challenges/debug-app-python/starter' }));
    expect(own).toMatchObject({ status: 'passed', runner: 'unittest', passed: 3, failed: 0, skipped: 0, total: 3 });
    expect(own.coverage).toBeUndefined();
    expect(own.log?.text).toMatch(/Ran 3 tests/);
  });
});

describe('hostile own tests are capped and never fail the grade', () => {
  let challenges: ChallengeRepository;

  beforeAll(async () => {
    // debug-app with a 20 s test limit, so a test that never ends is stopped quickly.
    const root = path.join(scratch.dir, 'challenges');
    await cp(DEBUG, path.join(root, 'debug-app'), { recursive: true });
    const file = path.join(root, 'debug-app', 'challenge.json');
    const manifest = JSON.parse(await readFile(file, 'utf8')) as { limits: Record<string, number> };
    manifest.limits.testTimeoutMs = 20_000;
    await writeFile(file, JSON.stringify(manifest));
    challenges = new ChallengeRepository(root, config.maxima);
  });

  it('an endless loop, a fork bomb and tests that reach for the network', async () => {
    const spin = await scratch.variantOf(`${DEBUG}/reference/fixed`, 'spin', {
      'test/spin.test.js': "import { test } from 'node:test';\ntest('never ends', () => { for (;;) {} });\n",
    });
    const hostile = await scratch.variantOf(`${DEBUG}/reference/fixed`, 'fork-and-network', {
      'test/hostile.test.js': [
        "import { test } from 'node:test';",
        "import { execFileSync } from 'node:child_process';",
        "test('reaches the internet', async () => { await fetch('http://1.1.1.1/', { signal: AbortSignal.timeout(3000) }); });",
        "test('reaches the Docker host', async () => { await fetch('http://172.17.0.1:3000/', { signal: AbortSignal.timeout(3000) }); });",
        "test('forks without end', () => { execFileSync('sh', ['-c', 'f() { f | f & }; f >/dev/null 2>&1; sleep 3'], { stdio: 'ignore' }); });",
        '',
      ].join('\n'),
    });
    const started = Date.now();
    const [spun, forked] = await Promise.all([grade('debug-app', { localPath: spin }, challenges), grade('debug-app', { localPath: hostile }, challenges)]);

    // The hidden suite ran beside them and scored as usual.
    expect(spun.score.percent).toBe(100);
    expect(forked.score.percent).toBe(100);

    const loop = ownTests(spun);
    expect(loop).toMatchObject({ status: 'error', verdict: 'timeout' });
    expect(loop.reason).toMatch(/time limit of 20000 ms/);
    expect(loop.bugsCaught).toMatchObject({ status: 'not_run', caught: 0 });

    // No network: both fetches fail. The fork bomb hits the pids limit, which may then keep node
    // from starting the next test file, so the run fails, or is stopped at its time limit.
    const net = ownTests(forked);
    expect(['failed', 'error']).toContain(net.status);
    expect(net.durationMs).toBeLessThanOrEqual(21_000);
    const log = net.log?.text ?? '';
    expect(log).toMatch(/not ok \d+ - reaches the internet/);
    expect(log).toMatch(/not ok \d+ - reaches the Docker host/);
    // Both ran within the 20 s limit plus their sandboxes' start and removal.
    expect(Date.now() - started).toBeLessThan(90_000);
  });
});

describe('history', () => {
  const day = (d: number, h: number, tz = '+00:00') => `2026-03-0${d}T${String(h).padStart(2, '0')}:00:00${tz}`;

  it('reads a repository’s commits, authors, days and test commits, and grades it as usual', async () => {
    const starter = `${DEBUG}/starter`;
    const fixed = `${DEBUG}/reference/fixed`;
    const read = (rel: string) => readFile(path.join(fixed, rel), 'utf8');
    const url = await historyRepo('debug-history', starter, [
      { files: {}, author: 'Ada Lovelace', email: 'ada@example.com', date: day(1, 10), message: 'Start from the starter' },
      { files: { 'src/money.js': await read('src/money.js'), 'src/inventory.js': await read('src/inventory.js') }, author: 'Ada Lovelace', email: 'ada@example.com', date: day(1, 15), message: 'Fix rounding and the last units' },
      { files: { 'test/regressions.test.js': await read('test/regressions.test.js') }, author: 'Ada Lovelace', email: 'ADA@example.com', date: day(2, 23, '-05:00'), message: 'Add regression tests' },
      {
        files: { 'src/app.js': await read('src/app.js'), 'src/orders.js': await read('src/orders.js'), 'src/files.js': await read('src/files.js') },
        author: 'Grace Hopper',
        email: 'grace@example.com',
        date: day(4, 9),
        message: 'Fix 404, quantities, the race and receipts',
      },
    ]);
    const report = await grade('debug-app', { repoUrl: url });
    expect(report.score.percent).toBe(100);
    const history = report.insights?.history;
    expect(history).toMatchObject({ status: 'read', commits: 4, maxCommits: 200, truncated: false, authors: 2, activeDays: 3, testCommits: 2, firstAt: day(1, 10), lastAt: day(4, 9) });
    expect(history!.timeline.map((c) => c.subject)).toEqual(['Fix 404, quantities, the race and receipts', 'Add regression tests', 'Fix rounding and the last units', 'Start from the starter']);
    expect(history!.timeline.map((c) => c.author)).toEqual(['Grace Hopper', 'Ada Lovelace', 'Ada Lovelace', 'Ada Lovelace']);
    expect(history!.timeline[0]!.sha).toBe(report.commit);
    expect(history!.timeline[1]).toMatchObject({ touchesTests: true, files: 1, removed: 0 });
    expect(history!.timeline.map((c) => c.touchesTests)).toEqual([false, true, false, true]); // the starter brings its test/ folder
    expect(history!.timeline[1]!.added).toBeGreaterThan(40);
    expect(history!.largestCommitShare).toBeGreaterThan(0.5); // the first commit brings the whole starter
    expect(report.timings.history).toBeGreaterThanOrEqual(0);
    expect(JSON.stringify(report)).not.toContain('@example.com'); // authors are counted by e-mail, never stored
    // The own tests ran from the fetched commit too.
    expect(ownTests(report).bugsCaught).toMatchObject({ caught: 6, of: 6 });
  });

  /** Fetches the commit as the grading does, and its history beside it. */
  async function fetchBoth(url: string, maxCommits: number, maxBytes = 10 * 1024 * 1024) {
    const common = { repoUrl: url, policy: config.fetch.policy, timeoutMs: 20_000, maxBytes, lowSpeedBytesPerSecond: 1024, lowSpeedSeconds: 10, tokens: {} };
    const fetched = fetchRepository({ ...common, destDir: await mkdtemp(path.join(scratch.dir, 'fetch-')) });
    const history = fetchHistory({ ...common, maxCommits, commit: fetched.then((f) => f.commit) });
    return { fetched: await fetched, history: summariseHistory(await history, maxCommits) };
  }

  it('stops at the operator’s cap, and says so; 0 turns it off', async () => {
    const commits = Array.from({ length: 7 }, (_, i) => ({ files: { [`notes/${i}.md`]: `note ${i}\n` }, author: 'Ada', email: 'ada@example.com', date: day(1 + (i % 3), 8 + i), message: `note ${i}` }));
    const url = await historyRepo('capped-history', `${DEBUG}/starter`, commits);
    expect((await fetchBoth(url, 3)).history).toMatchObject({ status: 'read', commits: 3, truncated: true, linesAdded: 3 });
    expect((await fetchBoth(url, 7)).history).toMatchObject({ status: 'read', commits: 7, truncated: false });
    const all = await fetchBoth(url, 200);
    expect(all.history).toMatchObject({ status: 'read', commits: 7, truncated: false });
    expect(all.history.timeline[0]!.sha).toBe(all.fetched.commit);

    const off = await grade('simple-api', { repoUrl: await historyRepo('history-off', 'challenges/simple-api/reference/node', commits.slice(0, 2)) }, builtIn, loadConfig({ ASSAY_FETCH_ALLOW_HTTP: 'true', ASSAY_FETCH_ALLOW_PRIVATE: 'true', ASSAY_HISTORY_MAX_COMMITS: '0' }));
    expect(off.insights?.history).toMatchObject({ status: 'none', reason: 'history is turned off (ASSAY_HISTORY_MAX_COMMITS=0)' });
  });

  it('a history past the fetch size limit costs the history, not the fetch', async () => {
    // A big blob in an old commit, removed since: the submitted commit itself is small.
    const big = randomBytes(600 * 1024).toString('base64'); // incompressible
    const url = await historyRepo('big-history', `${DEBUG}/starter`, [
      { files: { 'data/dump.txt': big }, author: 'Ada', email: 'ada@example.com', date: day(1, 9), message: 'add a dump' },
      { files: { 'data/dump.txt': 'gone\n' }, author: 'Ada', email: 'ada@example.com', date: day(1, 10), message: 'drop the dump' },
    ]);
    const { fetched, history } = await fetchBoth(url, 200, 400 * 1024);
    expect(fetched.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(history.status).toBe('none');
    expect(history.reason).toMatch(/history could not be read: .*larger than the limit of 400 KB/);
  });

  it('stops at once when the commit itself cannot be fetched, and never outlives the grading', async () => {
    const url = await historyRepo('stopped-history', `${DEBUG}/starter`, [{ files: {}, author: 'Ada', email: 'ada@example.com', date: day(1, 9), message: 'one' }]);
    const common = { repoUrl: url, policy: config.fetch.policy, timeoutMs: 20_000, maxBytes: 1024 * 1024, lowSpeedBytesPerSecond: 1024, lowSpeedSeconds: 10, tokens: {}, maxCommits: 200 };
    const failed = await fetchHistory({ ...common, commit: Promise.reject(new Error('no such ref')) });
    expect(failed).toMatchObject({ ok: false, reason: 'the history could not be read: the commit itself could not be fetched' });
    const stop = new AbortController();
    const pending = fetchHistory({ ...common, commit: new Promise<string>(() => {}) }, stop.signal);
    stop.abort();
    expect(await pending).toMatchObject({ ok: false, reason: 'the history could not be read: the grading was stopped' });
  });
});
