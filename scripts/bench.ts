/**
 * `npm run bench` (after scripts/setup.sh; not part of npm test). Measures, in one run on this
 * machine, so the ratios hold on a noisy machine:
 *   1. end-to-end latency of a small passing simple-api submission (no dependencies), submit to
 *      stored report, over N submissions one at a time, each from an idle worker on a quiet
 *      machine (untilQuiet): p50/p95, with a per-stage breakdown;
 *      1b. the same for the tasks-api-postgres reference (its own Postgres, restarts), and its
 *      p50 over simple-api's;
 *   2. the floor: plain `docker run` of the same images doing the least the pipeline must do
 *      (start the candidate's server, answer one request from the grader), and e2e / floor;
 *   3. throughput: 50 submissions enqueued at once, worker concurrency 1 then 2;
 *   4. dependency install of a small Express app: cold, then warm (same lockfile); 4b. a
 *      TypeScript + Express submission with a build step, cold and warm, end to end;
 *   5. API: GET /v1/submissions/:id under load (autocannon, 10 connections at a steady total
 *      rate): p50/p99;
 *   6. a hostile submission's cost: worker time of a service that spins forever after /health;
 *   7. the candidate's own tests: debug-app's reference (11 tests with coverage, 6 mutants) with
 *      own tests on and off, and the fetch of a 250-commit repository with and without history;
 *   8. insights: the simple-api reference's e2e p50 with the analyses against a worker without
 *      them (alternating), and the analysis time of a 5,000-line repository.
 *   9. similarity: with 500 stored fingerprint sets of a challenge in Redis, the time to record a
 *      new submission (store, compare with all, the shared fragments of the pair it makes): p50/max.
 * Takes: --runs N (default 20), --throughput N (default 50), --rate R (default 500), --own-runs N
 * (default 5, section 7), --similarity-runs N (default 20, section 9), --only 1,2 (the sections to run, e.g. `1,2` for e2e against the floor;
 * a partial run merges its results into docs/benchmarks.json and lists them under `sections`).
 * Uses the local Redis from .assay/env (own key prefix), the Docker engine, git over HTTP on
 * loopback. Prints a table; writes docs/benchmarks.json.
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { loadImages } from '../runner/sandbox/index.ts';
import type { SubmissionPrints } from '../runner/similarity/compare.ts';
import { fetchHistory, fetchRepository } from '../runner/stages/fetch/index.ts';
import { startGitServer } from '../runner/devtools/git-server.ts';
import { startStack, type Stack } from '../runner/devtools/stack.ts';
import type { Report } from '../runner/report/schema.ts';
import type { SubmissionRecord } from '../runner/store/submissions.ts';
import { localEnv } from './lib/local-env.ts';
import { ROOT, startProcess, stopProcess, waitForHttp } from '../runner/devtools/processes.ts';

const run = promisify(execFile);
const { values: opts } = parseArgs({ options: { runs: { type: 'string', default: '20' }, throughput: { type: 'string', default: '50' }, rate: { type: 'string', default: '500' }, 'own-runs': { type: 'string', default: '5' }, 'similarity-runs': { type: 'string', default: '20' }, only: { type: 'string' } } });
const RUNS = Number(opts.runs);
const THROUGHPUT_N = Number(opts.throughput);
const RATE = Number(opts.rate);
/** `--only 1,2`: the sections to run (all when absent); a partial run merges its results into docs/benchmarks.json. */
const ONLY = opts.only?.split(',').map((s) => s.trim());
const want = (section: string) => !ONLY || ONLY.includes(section);

const env = localEnv();
Object.assign(process.env, env); // runner/devtools/stack.ts builds its config from process.env
const redisUrl = env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const images = loadImages(path.join(ROOT, '.assay/images.json'));

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
};
const ms = (n: number) => `${Math.round(n)} ms`;
const results: Record<string, unknown> & { floor?: { p50: number; p95: number; cpuPerRunS: number } } = { date: new Date().toISOString(), host: { cpus: os.cpus().length, memGiB: Math.round(os.totalmem() / 2 ** 30) } };

/** The whole machine's busy CPU time so far, from /proc/stat. */
function cpuBusySeconds(): number {
  return cpuTicks().busy / 100; // USER_HZ = 100 on Linux
}

/** The whole machine's busy and total CPU time so far (USER_HZ ticks), from /proc/stat: busy is all but idle and iowait. */
function cpuTicks(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - fields[3]! - fields[4]!, total };
}

/** e2e p50 of section 1, which 1b and 4b compare with. */
let e2eP50: number | undefined;

const git = await startGitServer();
const good = await git.addRepo('bench-good', { dir: path.join(ROOT, 'challenges/simple-api/reference/node') });

async function withStack<T>(overrides: Record<string, string>, fn: (stack: Stack) => Promise<T>): Promise<T> {
  const stack = await startStack(redisUrl, { ASSAY_LOG_LEVEL: 'error', ASSAY_REDIS_PASSWORD: env.ASSAY_REDIS_PASSWORD ?? '', ...overrides });
  try {
    return await fn(stack);
  } finally {
    await stack.close();
  }
}

/**
 * Submits `repoUrl` and waits until it is final (polled every 10 ms, so the time is what a
 * submitter sees), then reads its report; throws unless it scored 100%, naming the failed tests.
 */
async function gradeTimed(stack: Stack, challenge: string, repoUrl: string, timeoutMs: number): Promise<{ totalMs: number; final: SubmissionRecord; report: Report }> {
  const t0 = Date.now();
  const rec = await stack.submit({ challenge, repoUrl });
  const final = await stack.waitForFinal(rec.id, timeoutMs, 10);
  const totalMs = Date.now() - t0;
  const report = (await stack.store.getReport(rec.id))!;
  if (report.score.percent !== 100) {
    const failed = report.tests.filter((t) => t.status !== 'passed').map((t) => `${t.id}: ${t.message ?? t.status}`);
    const restarts = report.restarts?.length ? ` (restarts ${JSON.stringify(report.restarts)})` : '';
    throw new Error(`${challenge} bench submission scored ${report.score.percent}%: ${failed.join('; ')}${restarts}`);
  }
  return { totalMs, final, report };
}

/**
 * Waits (at most 5 s) until the machine is quiet: under 20% of its CPU busy over 200 ms. A
 * submission measured "alone" starts after the last one's aftermath (the engine removing its
 * containers, the kernel writing back its files), not in it.
 */
async function untilQuiet(): Promise<void> {
  for (const end = Date.now() + 5_000; Date.now() < end; ) {
    const a = cpuTicks();
    await new Promise((r) => setTimeout(r, 200));
    const b = cpuTicks();
    if ((b.busy - a.busy) / Math.max(1, b.total - a.total) < 0.2) return;
  }
}

/** Waits (at most 10 s) until the stack's queue has no active job: the previous job's cleanup is done. */
async function untilNoActiveJob(stack: Stack): Promise<void> {
  for (let d = Date.now() + 10_000; Date.now() < d && ((await stack.queue.depth()).active ?? 0) > 0; ) await new Promise((r) => setTimeout(r, 20));
}

if (want('1')) {
  // 1. End-to-end latency, one submission at a time.
  console.log(`1. end-to-end latency over ${RUNS} submissions ...`);
  const e2e = await withStack({ ASSAY_WORKER_CONCURRENCY: '1' }, async (stack) => {
    const worker = await stack.startWorker();
    const rows: Record<string, number>[] = [];
    for (let i = 0; i < RUNS + 1; i++) {
      await untilQuiet();
      const { totalMs: total, final, report } = await gradeTimed(stack, 'simple-api', good.url, 120_000);
      const t = report.timings;
      const started = Date.parse(final.startedAt ?? final.createdAt);
      // Each submission is measured alone: the previous job's containers removed, the warm ones started again.
      await worker.worker.idle();
      if (i === 0) continue; // warm-up: first job pays for module loading
      rows.push({
        total,
        queueWait: started - Date.parse(final.createdAt),
        fetch: t.fetch ?? 0,
        pack: t.pack ?? 0,
        sandbox: t.sandbox ?? 0,
        install: t.install ?? 0,
        start: t.start ?? 0,
        test: t.test ?? 0,
        pipeline: t.totalMs ?? 0,
        store: Math.max(0, Date.parse(final.finishedAt!) - Date.parse(report.finishedAt)) + (total - (started - Date.parse(final.createdAt)) - (t.totalMs ?? 0)),
      });
    }
    return rows;
  });
  const stageNames = Object.keys(e2e[0]!);
  const e2eSummary = Object.fromEntries(stageNames.map((k) => [k, { p50: pct(e2e.map((r) => r[k]!), 50), p95: pct(e2e.map((r) => r[k]!), 95) }]));
  results.e2e = e2eSummary;
  e2eP50 = e2eSummary.total!.p50;
  console.log('\nStage breakdown (ms)        p50      p95');
  for (const k of stageNames) console.log(`  ${k.padEnd(24)} ${String(e2eSummary[k]!.p50).padStart(6)}   ${String(e2eSummary[k]!.p95).padStart(6)}`);
}

if (want('1b')) {
  // 1b. The same for the tasks-api-postgres reference: a Postgres of its own per job (started
  // beside the fetch), pg from the dependency cache after the warm-up, 52 tests and 3 restarts.
  console.log(`1b. end-to-end latency of the tasks-api-postgres reference over ${RUNS} submissions ...`);
  const pgGood = await git.addRepo('bench-postgres', { dir: path.join(ROOT, 'challenges/tasks-api-postgres/reference/node') });
  const e2ePostgres = await withStack({ ASSAY_WORKER_CONCURRENCY: '1' }, async (stack) => {
    const worker = await stack.startWorker();
    const totals: number[] = [];
    const ready: number[] = [];
    const stages: Record<string, number[]> = { services: [], start: [], test: [], restarts: [] };
    for (let i = 0; i < RUNS + 1; i++) {
      await untilQuiet();
      const { totalMs: total, report } = await gradeTimed(stack, 'tasks-api-postgres', pgGood.url, 180_000);
      // Measured alone, as section 1: the previous job's containers removed, the warm ones started again.
      await worker.worker.idle();
      if (i === 0) continue; // warm-up: module loading, and the first install fills the dependency cache
      totals.push(total);
      ready.push(report.services?.[0]?.readyMs ?? NaN);
      stages.services!.push(report.timings.services ?? 0);
      stages.start!.push(report.timings.start ?? 0);
      stages.test!.push(report.timings.test ?? 0);
      stages.restarts!.push((report.restarts ?? []).reduce((sum, r) => sum + (r.durationMs ?? 0), 0));
    }
    const breakdown = Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, pct(v, 50)]));
    return { p50: pct(totals, 50), p95: pct(totals, 95), postgresReadyP50: pct(ready, 50), stagesP50: breakdown };
  });
  results.e2ePostgres = { ...e2ePostgres, overSimpleApi: e2eP50 === undefined ? undefined : e2ePostgres.p50 / e2eP50 };
  console.log(`1b.  tasks-api-postgres e2e p50 ${ms(e2ePostgres.p50)}, p95 ${ms(e2ePostgres.p95)} (Postgres ready in ${ms(e2ePostgres.postgresReadyP50)} p50); / simple-api p50 = ${e2eP50 === undefined ? '-' : (e2ePostgres.p50 / e2eP50).toFixed(2)} (target <= 2)`);
  console.log(`     p50 ms: services ${e2ePostgres.stagesP50.services}, start ${e2ePostgres.stagesP50.start}, test ${e2ePostgres.stagesP50.test} (of which the suite's restarts ${e2ePostgres.stagesP50.restarts})`);
}

if (want('2')) {
  // 2. The floor: docker run of the same images, one request.
  console.log(`2. floor: plain docker run x ${RUNS} ...`);
  const server = "require('node:http').createServer((q,s)=>s.end('ok')).listen(8080,'0.0.0.0')";
  const client = "const net=require('node:net');(function t(){const s=net.connect(8080,'127.0.0.1');s.on('connect',()=>{s.destroy();fetch('http://127.0.0.1:8080/').then(r=>r.text()).then(x=>{console.log(x);process.exit(0)})});s.on('error',()=>setTimeout(t,10))})()";
  const floor: number[] = [];
  let floorCpu0 = 0;
  for (let i = 0; i < RUNS + 1; i++) {
    if (i === 1) floorCpu0 = cpuBusySeconds();
    const t0 = Date.now();
    const { stdout: id } = await run('docker', ['run', '-d', '--network', 'none', '--entrypoint', 'node', images.node.tag, '-e', server]);
    const { stdout } = await run('docker', ['run', '--rm', '--network', `container:${id.trim()}`, '--entrypoint', 'node', images.grader.tag, '-e', client]);
    await run('docker', ['rm', '-f', id.trim()]);
    if (stdout.trim() !== 'ok') throw new Error('floor request failed');
    if (i > 0) floor.push(Date.now() - t0);
  }
  // The whole machine's busy CPU while only the floor runs: its containers, runc, containerd, dockerd.
  const floorCpuPerRunS = (cpuBusySeconds() - floorCpu0) / RUNS;
  results.floor = { p50: pct(floor, 50), p95: pct(floor, 95), cpuPerRunS: floorCpuPerRunS };
  if (e2eP50 !== undefined) {
    const e2e = results.e2e as Record<string, { p50: number; p95: number }>;
    results.ratios = { e2eOverFloor: e2eP50 / results.floor.p50 };
    console.log(`1+2. e2e p50 ${ms(e2eP50)}, p95 ${ms(e2e.total!.p95)}; floor p50 ${ms(results.floor.p50)}; e2e/floor = ${(e2eP50 / results.floor.p50).toFixed(2)} (target <= 1.5, e2e p50 < 3000 ms)`);
  }
  console.log(`     floor CPU ${floorCpuPerRunS.toFixed(2)} CPU-s per run (two containers and one request)`);
}

if (want('3')) {
  // 3. Throughput: N at once, concurrency 1 then 2. CPU time is read from /proc/stat (cpuBusySeconds),
  // so a throughput ratio below 2 can be put down to the machine's cores (or not).
  const throughput: Record<string, number> = {};
  const cpu: Record<string, { perSubmissionS: number; utilisation: number }> = {};
  for (const concurrency of [1, 2]) {
    console.log(`3. throughput: ${THROUGHPUT_N} submissions, concurrency ${concurrency} ...`);
    throughput[`c${concurrency}`] = await withStack({ ASSAY_WORKER_CONCURRENCY: String(concurrency) }, async (stack) => {
      const records = await Promise.all(Array.from({ length: THROUGHPUT_N }, () => stack.submit({ challenge: 'simple-api', repoUrl: good.url })));
      const t0 = Date.now();
      const cpu0 = cpuBusySeconds();
      await stack.startWorker();
      // Slow polling, so the benchmark's own reads do not eat the CPU it measures; the rate
      // comes from the records' own timestamps.
      const finals = await Promise.all(records.map((r) => stack.waitForFinal(r.id, 600_000, 1000)));
      const cpu1 = cpuBusySeconds();
      const last = Math.max(...finals.map((f) => Date.parse(f.finishedAt!)));
      const wallS = (last - t0) / 1000;
      cpu[`c${concurrency}`] = { perSubmissionS: (cpu1 - cpu0) / THROUGHPUT_N, utilisation: (cpu1 - cpu0) / ((Date.now() - t0) / 1000) / os.cpus().length };
      return (THROUGHPUT_N / wallS) * 60;
    });
  }
  results.throughput = { perMinuteC1: throughput.c1, perMinuteC2: throughput.c2, ratio: throughput.c2! / throughput.c1!, cpu };
  console.log(`3.   throughput c1 ${throughput.c1!.toFixed(1)}/min, c2 ${throughput.c2!.toFixed(1)}/min, ratio ${(throughput.c2! / throughput.c1!).toFixed(2)} (target >= 1.6)`);
  for (const [k, v] of Object.entries(cpu)) console.log(`       ${k}: ${v.perSubmissionS.toFixed(2)} CPU-s per submission, machine ${(v.utilisation * 100).toFixed(0)}% busy (${os.cpus().length} cores)`);
}

if (want('4')) {
  // 4. Dependency install, cold then warm.
  console.log('4. dependency install: cold, then warm ...');
  const express = await git.addRepo('bench-express', { dir: path.join(ROOT, 'test/fixtures/simple-api/express') });
  const install = await withStack({ ASSAY_DEPS_CACHE_DIR: mkdtempSync(path.join(os.tmpdir(), 'assay-bench-cache-')), ASSAY_WORKER_CONCURRENCY: '1' }, async (stack) => {
    await stack.startWorker();
    const out: number[] = [];
    for (let i = 0; i < 2; i++) {
      const rec = await stack.submit({ challenge: 'simple-api', repoUrl: express.url });
      await stack.waitForFinal(rec.id, 300_000);
      const report = (await stack.store.getReport(rec.id))!;
      const step = report.steps.find((s) => s.name === 'install')!;
      if (step.status !== 'passed' || report.score.percent !== 100) throw new Error(`install bench failed: ${step.reason}`);
      out.push(step.durationMs + (report.timings.pack ?? 0) + (report.timings.sandbox ?? 0));
    }
    return { coldMs: out[0]!, warmMs: out[1]!, ratio: out[1]! / out[0]! };
  });
  results.install = install;
  console.log(`4.   install cold ${ms(install.coldMs)}, warm ${ms(install.warmMs)}, warm/cold ${(install.ratio * 100).toFixed(0)}% (target <= 25%)`);
}

if (want('4b')) {
  // 4b. A TypeScript + Express submission with a build step (tsc into dist/), end to end: cold
  // (registry install) and warm (dependency cache), beside the no-dependency e2e p50 above.
  console.log('4b. TypeScript + Express with a build: cold, then warm ...');
  const WARM_TS_RUNS = Math.min(5, RUNS);
  const tsBuild = await git.addRepo('bench-ts-build', { dir: path.join(ROOT, 'test/fixtures/realistic/typescript-build') });
  const typescript = await withStack({ ASSAY_DEPS_CACHE_DIR: mkdtempSync(path.join(os.tmpdir(), 'assay-bench-cache-')), ASSAY_WORKER_CONCURRENCY: '1' }, async (stack) => {
    const worker = await stack.startWorker();
    const out: { totalMs: number; timings: Record<string, number> }[] = [];
    // The cold run, then warm ones (p50), each measured alone as in section 1.
    for (let i = 0; i < 1 + WARM_TS_RUNS; i++) {
      await untilQuiet();
      const { totalMs, report } = await gradeTimed(stack, 'simple-api', tsBuild.url, 300_000);
      out.push({ totalMs, timings: report.timings });
      await worker.worker.idle();
    }
    const warm = out.slice(1);
    const warmMs = pct(warm.map((r) => r.totalMs), 50);
    // The warm runs' stages (report timings), p50 each: where the time over section 1 goes.
    const stagesP50 = Object.fromEntries(['fetch', 'pack', 'sandbox', 'install', 'build', 'start', 'test', 'analysis', 'totalMs'].map((k) => [k, pct(warm.map((r) => r.timings[k] ?? 0), 50)]));
    return { coldMs: out[0]!.totalMs, warmMs, buildMs: stagesP50.build!, installMs: stagesP50.install!, stagesP50, warmOverE2e: e2eP50 === undefined ? undefined : warmMs / e2eP50 };
  });
  results.typescriptBuild = typescript;
  console.log(`4b.  TypeScript + Express with a build: cold ${ms(typescript.coldMs)}, warm p50 of ${WARM_TS_RUNS} ${ms(typescript.warmMs)} (install ${ms(typescript.installMs)}, build ${ms(typescript.buildMs)}); warm / no-dependency e2e p50 = ${typescript.warmOverE2e?.toFixed(2) ?? '-'} (target <= 2)`);
  console.log(`     warm p50 ms: ${Object.entries(typescript.stagesP50).map(([k, v]) => `${k} ${v}`).join(', ')}`);
}

if (want('8')) {
  // 8. Insights: the analyses (lint, size, hygiene, diff against the starter) run beside the
  // hidden suite, so the simple-api reference's e2e should barely grow: a worker with the analysis
  // image against one without it, submissions alternating between the two; then the analysis time
  // of a 5,000-line repository (JavaScript, TypeScript and Python, so every analyser loads).
  console.log(`8. insights: simple-api e2e with and without the analyses (${RUNS} each, alternating), then a 5,000-line repository ...`);
  const { analysis: _analysisImage, ...imagesWithoutAnalysis } = images;
  const bigRepo = await git.addRepo('bench-5000-lines', { dir: writeLinesRepo(5000) });
  // Two stacks (each its own queue), one worker each: only the images differ.
  const insightsBench = await withStack({ ASSAY_WORKER_CONCURRENCY: '1' }, (withAnalysis) =>
    withStack({ ASSAY_WORKER_CONCURRENCY: '1' }, async (withoutAnalysis) => {
      await withAnalysis.startWorker();
      await withoutAnalysis.startWorker({}, { images: imagesWithoutAnalysis });
      const rows = { with: [] as number[], without: [] as number[] };
      for (let i = 0; i < RUNS + 1; i++) {
        for (const [mode, stack] of [['with', withAnalysis], ['without', withoutAnalysis]] as const) {
          const { totalMs: total, report } = await gradeTimed(stack, 'simple-api', good.url, 120_000);
          if ((mode === 'with') !== (report.insights?.lint !== undefined)) throw new Error(`insights bench: lint ${mode === 'with' ? 'missing' : 'present'} (${JSON.stringify(report.insights?.notes)})`);
          await untilNoActiveJob(stack);
          if (i > 0) rows[mode].push(total); // the first of each: warm-up
        }
      }
      const analysis: number[] = [];
      const cpu: number[] = [];
      let lines = 0;
      for (let i = 0; i < 3; i++) {
        const rec = await withAnalysis.submit({ challenge: 'simple-api', repoUrl: bigRepo.url });
        await withAnalysis.waitForFinal(rec.id, 120_000, 10);
        const report = (await withAnalysis.store.getReport(rec.id))!;
        if (!report.insights?.lint || !report.insights.size) throw new Error(`5,000-line bench: no lint or size (${JSON.stringify(report.insights?.notes)})`);
        lines = report.insights.size.lines;
        analysis.push(report.timings.analysis ?? NaN);
        cpu.push(report.timings.analyserCpu ?? NaN);
      }
      return { withP50: pct(rows.with, 50), withoutP50: pct(rows.without, 50), growth: pct(rows.with, 50) / pct(rows.without, 50) - 1, bigRepo: { lines, analysisP50: pct(analysis, 50), analysisMax: Math.max(...analysis), analyserCpuP50: pct(cpu, 50) }, loadAverage: os.loadavg()[0] ?? NaN };
    }),
  );
  results.insights = insightsBench;
  console.log(`8.   insights: simple-api e2e p50 ${ms(insightsBench.withP50)} with the analyses, ${ms(insightsBench.withoutP50)} without: ${(insightsBench.growth * 100).toFixed(0)}% (target <= 30%); a ${insightsBench.bigRepo.lines}-line repository analysed in ${ms(insightsBench.bigRepo.analysisP50)} p50, ${ms(insightsBench.bigRepo.analysisMax)} max (target < 10 s), the analyser's CPU ${ms(insightsBench.bigRepo.analyserCpuP50)} (load average ${(insightsBench.loadAverage ?? 0).toFixed(1)})`);
}

/** A repository of about `total` lines: the simple-api reference plus generated modules in JavaScript, TypeScript and Python. */
function writeLinesRepo(total: number): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'assay-bench-lines-'));
  cpSync(path.join(ROOT, 'challenges/simple-api/reference/node'), dir, { recursive: true });
  let lines = readFileSync(path.join(dir, 'server.js'), 'utf8').split('\n').length;
  const js = (n: number) => [`export function rule${n}(order, limits = {}) {`, '  let total = 0;', '  for (const item of order.items ?? []) {', '    if (item.quantity > (limits.max ?? 10)) throw new Error(`too many: ${item.sku}`);', '    total += item.price * item.quantity;', '  }', `  return order.coupon === 'VIP${n}' ? total * 0.9 : total;`, '}', ''];
  const ts = (n: number) => [`export interface Order${n} { items: { sku: string; price: number; quantity: number }[]; coupon?: string }`, `export function score${n}(order: Order${n}): number {`, '  const weights = order.items.map((i) => (i.quantity > 3 ? 2 : 1));', '  return weights.reduce((a, b) => a + b, 0);', '}', ''];
  const py = (n: number) => [`def rule_${n}(order, limit=10):`, '    total = 0', '    for item in order.get("items", []):', '        if item["quantity"] > limit:', '            raise ValueError(item["sku"])', '        total += item["price"] * item["quantity"]', '    return total', '', ''];
  for (let file = 0; lines < total; file++) {
    const [ext, make] = file % 4 === 3 ? ['py', py] : file % 4 === 2 ? ['ts', ts] : ['js', js];
    const body: string[] = [];
    for (let n = 0; body.length < 200; n++) body.push(...(make as (n: number) => string[])(file * 100 + n));
    writeFileSync(path.join(dir, `module${file}.${ext as string}`), body.join('\n'));
    lines += body.length;
  }
  return dir;
}

if (want('6')) {
  // 6. A hostile submission's cost: a service that answers /health, then spins forever. Its
  // worker time (record startedAt to finishedAt) should stay within about 20 s of its limits.
  console.log('6. hostile: worker time of a busy-loop submission ...');
  const busy = await git.addRepo('bench-busy', { dir: path.join(ROOT, 'test/attacks/grader/busy-loop') });
  const hostile = await withStack({ ASSAY_WORKER_CONCURRENCY: '1' }, async (stack) => {
    await stack.startWorker();
    const rec = await stack.submit({ challenge: 'simple-api', repoUrl: busy.url });
    const final = await stack.waitForFinal(rec.id, 300_000);
    const report = (await stack.store.getReport(rec.id))!;
    const workerMs = Date.parse(final.finishedAt!) - Date.parse(final.startedAt ?? final.createdAt);
    return { workerMs, percent: report.score.percent, flags: report.flags.map((f) => f.code) };
  });
  results.hostile = { busyLoop: hostile };
  console.log(`6.   busy-loop submission: ${ms(hostile.workerMs)} of worker time, ${hostile.percent}%, flags ${hostile.flags.join(', ') || 'none'}`);
}

if (want('7')) {
  // 7. The candidate's own tests: debug-app's reference runs its 11 tests (with coverage), then its
  // tests once per mutant (6), each in a fresh sandbox, beside and after the hidden suite. Then the
  // history: a 250-commit repository's commit fetched alone, then with 200 commits of history fetched beside it.
  const OWN_RUNS = Number(opts['own-runs']);
  console.log(`7. own tests and mutants on debug-app, ${OWN_RUNS} submissions with own tests on, then off ...`);
  const debugRef = await git.addRepo('bench-debug', { dir: path.join(ROOT, 'challenges/debug-app/reference/fixed') });
  const debugRuns = (ownTests: boolean) =>
    withStack({ ASSAY_WORKER_CONCURRENCY: '1', ASSAY_OWN_TESTS: String(ownTests) }, async (stack) => {
      await stack.startWorker();
      const rows: { total: number; ownTests: number; ownRun: number; mutants: number; caught: number }[] = [];
      for (let i = 0; i < OWN_RUNS + 1; i++) {
        const { totalMs: total, report } = await gradeTimed(stack, 'debug-app', debugRef.url, 300_000);
        await untilNoActiveJob(stack);
        if (i === 0) continue; // warm-up
        const own = report.insights?.ownTests;
        rows.push({ total, ownTests: report.timings.ownTests ?? 0, ownRun: own?.durationMs ?? 0, mutants: own?.bugsCaught?.durationMs ?? 0, caught: own?.bugsCaught?.caught ?? 0 });
      }
      return rows;
    });
  const ownOn = await debugRuns(true);
  const ownOff = await debugRuns(false);
  const p50Of = (rows: Record<string, number>[], k: string) => pct(rows.map((r) => r[k]!), 50);
  const ownTestsResult = {
    on: { e2eP50: p50Of(ownOn, 'total'), e2eP95: pct(ownOn.map((r) => r.total), 95), ownTestsP50: p50Of(ownOn, 'ownTests'), ownRunP50: p50Of(ownOn, 'ownRun'), mutantsP50: p50Of(ownOn, 'mutants'), caught: ownOn[0]?.caught ?? 0 },
    off: { e2eP50: p50Of(ownOff, 'total'), e2eP95: pct(ownOff.map((r) => r.total), 95) },
  };
  const historyRepo = await git.addRepo('bench-history', { dir: path.join(ROOT, 'challenges/debug-app/reference/fixed') });
  for (let i = 1; i < 250; i++) await git.commit('bench-history', { [`notes/${i % 25}.md`]: `note ${i}\n`.repeat(1 + (i % 7)) });
  const fetchTimes = async (maxCommits: number) => {
    const out: { fetchMs: number; historyMs: number }[] = [];
    for (let i = 0; i < OWN_RUNS; i++) {
      const destDir = mkdtempSync(path.join(os.tmpdir(), 'assay-bench-history-'));
      const common = { repoUrl: historyRepo.url, policy: { allowHttp: true, allowPrivate: true, allowedHosts: [] }, timeoutMs: 60_000, maxBytes: 100 * 1024 * 1024, lowSpeedBytesPerSecond: 1024, lowSpeedSeconds: 20, tokens: {} };
      // As the grading does: the commit, and its history beside it.
      const fetched = fetchRepository({ ...common, destDir });
      const history = maxCommits ? fetchHistory({ ...common, maxCommits, commit: fetched.then((f) => f.commit) }) : undefined;
      const r = await fetched;
      const h = await history;
      await run('rm', ['-rf', destDir]);
      out.push({ fetchMs: r.durationMs, historyMs: h?.durationMs ?? 0 });
    }
    return { fetchP50: pct(out.map((o) => o.fetchMs), 50), historyP50: pct(out.map((o) => o.historyMs), 50) };
  };
  const historyResult = { tipOnly: await fetchTimes(0), with200: await fetchTimes(200) };
  results.ownTests = { ...ownTestsResult, history: historyResult };
  console.log(
    `7.   debug-app e2e p50 ${ms(ownTestsResult.on.e2eP50)} with own tests, ${ms(ownTestsResult.off.e2eP50)} without (${((ownTestsResult.on.e2eP50 / ownTestsResult.off.e2eP50 - 1) * 100).toFixed(0)}% more); own run ${ms(ownTestsResult.on.ownRunP50)}, ${ownTestsResult.on.caught} of 6 mutants in ${ms(ownTestsResult.on.mutantsP50)}, own tests in all ${ms(ownTestsResult.on.ownTestsP50)} p50`,
  );
  console.log(`     history: a 250-commit repository's commit fetched in ${ms(historyResult.tipOnly.fetchP50)} alone, ${ms(historyResult.with200.fetchP50)} with 200 commits of history fetched beside it in ${ms(historyResult.with200.historyP50)} p50`);
}

if (want('5')) {
  // 5. API read latency under load.
  console.log(`5. API: GET /v1/submissions/:id at ${RATE} req/s ...`);
  const port = String(20000 + Math.floor(Math.random() * 20000));
  const prefix = `bench${randomBytes(3).toString('hex')}`;
  const key = `bench-reviewer-${randomBytes(8).toString('hex')}`;
  const apiEnv = { ...env, ASSAY_API_PORT: port, ASSAY_KEY_PREFIX: prefix, ASSAY_API_KEYS: `bench:admin:${key}`, ASSAY_FETCH_ALLOW_HTTP: 'true', ASSAY_FETCH_ALLOW_PRIVATE: 'true', ASSAY_LOG_LEVEL: 'error', ASSAY_RATE_LIMIT_PER_MINUTE: '1000', ASSAY_QUIET_CHILDREN: '1' };
  const api = startProcess('api/main.ts', apiEnv, 'api');
  let apiResult: { p50: number; p99: number; rps: number; errors: number; non2xx: number };
  try {
    await waitForHttp(`http://127.0.0.1:${port}/healthz`, 60_000);
    const created = await fetch(`http://127.0.0.1:${port}/v1/submissions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, 'idempotency-key': randomUUID() }, body: JSON.stringify({ challenge: 'simple-api', repoUrl: good.url }) });
    const { id } = (await created.json()) as { id: string };
    // Warm-up (JIT, lazy module loading), not measured.
    await autocannon({ url: `http://127.0.0.1:${port}/v1/submissions/${id}`, headers: { authorization: `Bearer ${key}` }, connections: 10, connectionRate: RATE / 10, duration: 3 });
    // A steady rate: 10 connections, each sending RATE/10 requests per second.
    const r = await autocannon({ url: `http://127.0.0.1:${port}/v1/submissions/${id}`, headers: { authorization: `Bearer ${key}` }, connections: 10, connectionRate: RATE / 10, duration: 10 });
    apiResult = { p50: r.latency.p50, p99: r.latency.p99, rps: r.requests.average, errors: r.errors, non2xx: r.non2xx };
  } finally {
    await stopProcess(api);
  }
  results.api = apiResult;
  console.log(`5.   GET p50 ${apiResult.p50} ms, p99 ${apiResult.p99} ms at ${apiResult.rps.toFixed(0)} req/s, errors ${apiResult.errors}, non-2xx ${apiResult.non2xx} (target p99 < 20 ms at ${RATE} req/s)`);
}
if (want('9')) {
  // 9. Similarity: 500 stored fingerprint sets of one challenge (each ~1,000 lines: ~3,000
  // fingerprints over 8 files, a fifth of them idioms every submission draws from one pool, and
  // the lines kept), then a new submission recorded against them: store, compare with all 500,
  // and the shared fragments of the one it copies 70% of. The comparison is the worker's own
  // (runner/store/similarity.ts) on the local Redis.
  const STORED = 500;
  const SIM_RUNS = Number(opts['similarity-runs']);
  console.log(`9. similarity: a new submission against ${STORED} stored ones, ${SIM_RUNS} runs ...`);
  const { similarityResult } = await withStack({}, async (stack) => {
    const challenge = `bench-similarity-${randomBytes(3).toString('hex')}`;
    const settings = { threshold: 0.5, minFragmentLines: 3 };
    const idioms = Array.from({ length: 5000 }, () => Math.floor(Math.random() * 2 ** 26) + 2 ** 26);
    const line = (i: number) => `    const value${i} = compute(items[${i}], options.${['limit', 'offset', 'sort'][i % 3]}) ?? fallback;`;
    const fingerprints = (copyOf?: SubmissionPrints) => {
      const files = Array.from({ length: 8 }, (_, f) => ({ path: `src/module${f}.js`, language: 'javascript', lines: Array.from({ length: 125 }, (_, i) => line(i)) }));
      const prints: SubmissionPrints['prints'] = [];
      for (let f = 0; f < files.length; f++) {
        for (let o = 0; o < 375; o++) {
          const copied = copyOf && Math.random() < 0.7 ? copyOf.prints[f * 375 + o] : undefined;
          const hash = copied ? copied[0] : Math.random() < 0.2 ? idioms[Math.floor(Math.random() ** 2 * idioms.length)]! : Math.floor(Math.random() * 2 ** 26) + 2 ** 26;
          const startLine = 1 + Math.floor(o / 3);
          prints.push([hash, f, o, startLine, startLine + (o % 2)]);
        }
      }
      return { files, prints, starterPrints: 0, notes: [] } as SubmissionPrints;
    };
    const sets = Array.from({ length: STORED }, () => fingerprints());
    const t0 = Date.now();
    for (let i = 0; i < STORED; i++) await stack.store.similarity.save({ id: `stored-${i}`, challenge, run: 1, prints: sets[i]!, settings });
    const seedMs = Date.now() - t0;
    const fresh = fingerprints(sets[137]);
    const times: number[] = [];
    let pairs = 0;
    let fragments = 0;
    for (let r = 0; r < SIM_RUNS + 1; r++) {
      const t = performance.now();
      const recorded = await stack.store.similarity.record({ id: 'new', challenge, run: r + 1, prints: fresh, settings });
      if (r > 0) times.push(performance.now() - t); // the first is a warm-up
      pairs = recorded.pairs.length;
      fragments = recorded.pairs[0]?.fragments.length ?? 0;
    }
    for (let i = 0; i < STORED; i++) await stack.store.similarity.remove(`stored-${i}`);
    await stack.store.similarity.remove('new');
    return { similarityResult: { stored: STORED, seedMs, p50: pct(times, 50), max: Math.max(...times), pairs, fragments, targetMs: 2000 } };
  });
  results.similarity = similarityResult;
  console.log(`9.   a new submission recorded against ${STORED} stored: p50 ${ms(similarityResult.p50)}, max ${ms(similarityResult.max)} (target < 2 s); ${similarityResult.pairs} pair(s), ${similarityResult.fragments} fragments; seeding took ${ms(similarityResult.seedMs)}`);
}
await git.close();

// A partial run (--only) keeps the other sections' last results in docs/benchmarks.json.
const jsonPath = path.join(ROOT, 'docs/benchmarks.json');
const previous = ONLY ? (JSON.parse(readFileSync(jsonPath, 'utf8')) as Record<string, unknown>) : {};
const ratios = { ...(previous.ratios as object | undefined), ...(results.ratios as object | undefined) } as Record<string, unknown>;
const throughputResult = results.throughput as { ratio: number } | undefined;
const installResult = results.install as { ratio: number } | undefined;
if (throughputResult) ratios.throughput = throughputResult.ratio;
if (installResult) ratios.warmOverCold = installResult.ratio;
writeFileSync(jsonPath, `${JSON.stringify({ ...previous, ...results, ...(ONLY ? { sections: ONLY } : {}), ratios }, null, 2)}\n`);
console.log(`\nwritten to docs/benchmarks.json${ONLY ? ` (sections ${ONLY.join(', ')}; the others kept from ${String(previous.date)})` : ''}`);
process.exit(0);
