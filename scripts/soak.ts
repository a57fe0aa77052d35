/**
 * Soak test: `npm run soak -- [N]` (default 200), or SOAK_N=50 npm run soak.
 * Takes: the local Docker engine and built images (scripts/setup.sh), nothing else; it starts
 * its own Redis (testcontainers, append-only) and git server on loopback.
 * Does: submits N mixed submissions (good, partial, broken, hostile fixtures from
 * test/attacks, rejected URLs) to worker child processes (`node --import tsx
 * runner/worker/main.ts`), SIGKILLs a worker and starts a fresh one several times while the
 * queue drains, then waits for every submission to reach a final state.
 * Prints: a summary table (outcome per kind, kills, duration) and exits 1 when any submission
 * is lost, not final by the deadline, or graded more than once (reportRuns not exactly [1]).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startGitServer } from '../runner/devtools/git-server.ts';
import { startRedis } from '../runner/devtools/redis.ts';
import { startStack, testEnv } from '../runner/devtools/stack.ts';
import type { SubmissionRecord } from '../runner/store/submissions.ts';

const N = Number(process.argv[2] ?? process.env.SOAK_N ?? 200);
const KILLS = Number(process.env.SOAK_KILLS ?? 4);
const DEADLINE_MS = Number(process.env.SOAK_DEADLINE_MS ?? 60 * 60_000);

process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
const started = Date.now();
const redis = await startRedis({ appendOnly: true });
const git = await startGitServer();
const prefix = `soak${randomUUID().slice(0, 6)}`;
const stack = await startStack(redis.url, { ASSAY_KEY_PREFIX: prefix });
const workers: ChildProcess[] = [];
let kills = 0;

function startWorker(): ChildProcess {
  const env = testEnv(redis.url, { ASSAY_KEY_PREFIX: prefix, ASSAY_WORKER_ID: `soak-${randomUUID().slice(0, 8)}`, ASSAY_JANITOR_INTERVAL_MS: '5000', ASSAY_WORKER_LOCK_MS: '10000', ASSAY_WORKER_CONCURRENCY: '2' });
  const child = spawn(process.execPath, ['--import', 'tsx', 'runner/worker/main.ts'], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  workers.push(child);
  return child;
}

/** The kinds of submission mixed in, each a repo URL (built once) and what counts as expected. */
async function buildKinds(): Promise<{ kind: string; challenge: string; repoUrl: string; expect: (r: SubmissionRecord) => boolean }[]> {
  const dirRepo = async (name: string, dir: string) => (await git.addRepo(name, { dir })).url;
  const slowDir = await mkdtemp(path.join(os.tmpdir(), 'assay-soak-'));
  await cp('challenges/simple-api/reference/node', slowDir, { recursive: true });
  await writeFile(path.join(slowDir, 'slow.js'), "setTimeout(() => require('./server.js'), 3000);\n");
  await writeFile(path.join(slowDir, 'package.json'), JSON.stringify({ name: 'slow', private: true, scripts: { start: 'node slow.js' } }));
  const kinds = [
    { kind: 'good', challenge: 'simple-api', repoUrl: await dirRepo('good', 'challenges/simple-api/reference/node'), expect: (r: SubmissionRecord) => r.status === 'completed' && r.score?.percent === 100 },
    { kind: 'slow-good', challenge: 'simple-api', repoUrl: await dirRepo('slow', slowDir), expect: (r: SubmissionRecord) => r.status === 'completed' && r.score?.percent === 100 },
    { kind: 'partial', challenge: 'simple-api', repoUrl: await dirRepo('partial', 'challenges/simple-api/variants/partial'), expect: (r: SubmissionRecord) => r.status === 'completed' && (r.score?.percent ?? 0) < 100 },
    { kind: 'syntax-error', challenge: 'simple-api', repoUrl: await dirRepo('syntax', 'test/fixtures/simple-api/syntax-error'), expect: (r: SubmissionRecord) => r.status === 'completed' && r.score?.points === 0 },
    { kind: 'hostile-memory', challenge: 'simple-api', repoUrl: await dirRepo('memory', 'test/attacks/runtime/memory-bomb'), expect: (r: SubmissionRecord) => r.status === 'completed' && (r.score?.percent ?? 100) <= 15 },
    { kind: 'hostile-fork', challenge: 'simple-api', repoUrl: await dirRepo('fork', 'test/attacks/runtime/fork-bomb'), expect: (r: SubmissionRecord) => r.status === 'completed' && (r.score?.percent ?? 100) <= 15 },
    { kind: 'debug-fixed', challenge: 'debug-app', repoUrl: await dirRepo('debug', 'challenges/debug-app/reference/fixed'), expect: (r: SubmissionRecord) => r.status === 'completed' && r.score?.percent === 100 },
    { kind: 'rejected-url', challenge: 'simple-api', repoUrl: 'ext::sh -c id', expect: (r: SubmissionRecord) => r.status === 'failed' && r.error?.code === 'URL_REJECTED' },
  ];
  await rm(slowDir, { recursive: true, force: true });
  return kinds;
}

let exitCode = 1;
try {
  const kinds = await buildKinds();
  startWorker();
  startWorker();
  const submitted: { id: string; kind: (typeof kinds)[number] }[] = [];
  for (let i = 0; i < N; i++) {
    const kind = kinds[i % kinds.length]!;
    const r = await stack.submit({ challenge: kind.challenge, repoUrl: kind.repoUrl });
    submitted.push({ id: r.id, kind });
  }

  // Kill a running worker and start a fresh one every so often while work remains.
  const pending = async () => (await Promise.all(submitted.map((s) => stack.store.get(s.id)))).filter((r) => !r || !['completed', 'failed', 'canceled'].includes(r.status)).length;
  const deadline = Date.now() + DEADLINE_MS;
  let nextKill = Date.now() + 20_000;
  let left = await pending();
  while (left > 0 && Date.now() < deadline) {
    if (kills < KILLS && Date.now() >= nextKill) {
      const victim = workers.find((w) => w.exitCode === null && w.signalCode === null);
      if (victim) {
        victim.kill('SIGKILL');
        kills++;
        startWorker();
        console.log(`[soak] SIGKILLed a worker (${kills}/${KILLS}); ${left} submissions not final`);
      }
      nextKill = Date.now() + 30_000;
    }
    await new Promise((r) => setTimeout(r, 1000));
    left = await pending();
  }

  const rows = new Map<string, { total: number; asExpected: number; notFinal: number; lost: number; gradedTwice: number }>();
  let failures = 0;
  for (const s of submitted) {
    const row = rows.get(s.kind.kind) ?? { total: 0, asExpected: 0, notFinal: 0, lost: 0, gradedTwice: 0 };
    rows.set(s.kind.kind, row);
    row.total++;
    const r = await stack.store.get(s.id);
    if (!r) {
      row.lost++;
      failures++;
      continue;
    }
    if (!['completed', 'failed', 'canceled'].includes(r.status)) {
      row.notFinal++;
      failures++;
      continue;
    }
    if (r.reportRuns.length !== 1 || r.reportRuns[0] !== 1) {
      row.gradedTwice++;
      failures++;
    }
    if (s.kind.expect(r)) row.asExpected++;
  }
  console.log(`\nsoak: ${N} submissions, ${kills} worker SIGKILLs, ${Math.round((Date.now() - started) / 1000)} s`);
  console.table([...rows.entries()].map(([kind, r]) => ({ kind, ...r })));
  const unexpected = [...rows.values()].reduce((n, r) => n + (r.total - r.asExpected - r.notFinal - r.lost), 0);
  console.log(`final: ${N - failures}/${N}; lost: ${[...rows.values()].reduce((n, r) => n + r.lost, 0)}; graded twice: ${[...rows.values()].reduce((n, r) => n + r.gradedTwice, 0)}; final but not the expected outcome: ${unexpected}`);
  exitCode = failures === 0 ? 0 : 1;
} finally {
  for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGTERM');
  await Promise.all(workers.map((w) => (w.exitCode === null && w.signalCode === null ? new Promise((r) => w.once('exit', r)) : undefined)));
  await stack.close();
  await git.close();
  await redis.stop();
}
process.exit(exitCode);
