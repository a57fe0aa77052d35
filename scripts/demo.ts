/**
 * `npm run demo` (after scripts/setup.sh): runs the whole service on sample submissions.
 * Takes: --serve to keep the service running afterwards (Ctrl-C to stop); ASSAY_API_PORT.
 * Does: serves the sample repositories (one of them Postgres-backed) over git smart HTTP on
 *   127.0.0.1, starts the API and a worker (with http:// and loopback repositories allowed for
 *   this demo only), submits the samples through the public API like an integration would, and
 *   waits for their reports.
 * Prints: each submission's status as it changes, then a table of scores and report links, the
 *   simple-api cohort (statistics and similar pairs, as a reviewer reads them), and the demo admin
 *   key for the reviewer UI. Exits 0 when the reference solutions scored 100%.
 */
import { randomBytes } from 'node:crypto';
import { startGitServer } from '../runner/devtools/git-server.ts';
import { localEnv } from './lib/local-env.ts';
import { ROOT, startProcess, stopProcess, waitForHttp } from '../runner/devtools/processes.ts';

const serve = process.argv.includes('--serve');
const port = process.env.ASSAY_API_PORT ?? '3000';
const adminKey = `demo-admin-${randomBytes(12).toString('hex')}`;
const base = `http://127.0.0.1:${port}`;
const env = localEnv({
  ASSAY_API_PORT: port,
  ASSAY_API_KEYS: `demo:admin:${adminKey}`,
  ASSAY_SESSION_SECRET: randomBytes(24).toString('hex'),
  ASSAY_FETCH_ALLOW_HTTP: 'true',
  ASSAY_FETCH_ALLOW_PRIVATE: 'true',
  ASSAY_LOG_LEVEL: process.env.ASSAY_LOG_LEVEL ?? 'warn',
});

const samples = [
  { name: 'Ada (reference, Node)', challenge: 'simple-api', dir: 'challenges/simple-api/reference/node', mustPass: true },
  { name: 'Grace (reference, Python)', challenge: 'simple-api', dir: 'challenges/simple-api/reference/python', mustPass: true },
  { name: 'Linus (starter)', challenge: 'simple-api', dir: 'challenges/simple-api/starter', mustPass: false },
  // Ada's code again under another name: the cohort's similarity check pairs the two.
  { name: 'Alan (a copy of Ada)', challenge: 'simple-api', dir: 'challenges/simple-api/reference/node', mustPass: true },
  { name: 'Barbara (debug-app, half fixed)', challenge: 'debug-app', dir: 'challenges/debug-app/variants/half-fixed', mustPass: false },
  // Graded with a Postgres of its own beside it (challenge.json `services`), restarted mid-suite.
  { name: 'Edgar (Postgres reference)', challenge: 'tasks-api-postgres', dir: 'challenges/tasks-api-postgres/reference/node', mustPass: true },
];

const git = await startGitServer();
const api = startProcess('api/main.ts', env, 'api');
const worker = startProcess('runner/worker/main.ts', env, 'worker');
let exitCode = 0;
try {
  await waitForHttp(`${base}/readyz`, 60_000);
  console.log(`Assay is up at ${base} (reviewer UI: ${base}/ui, admin key: ${adminKey})`);
  const submitted: { sample: (typeof samples)[number]; id: string; candidateUrl: string }[] = [];
  for (const [i, sample] of samples.entries()) {
    const repo = await git.addRepo(`sample-${i}`, { dir: `${ROOT}/${sample.dir}` });
    const res = await fetch(`${base}/v1/submissions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminKey}` },
      body: JSON.stringify({ challenge: sample.challenge, repoUrl: repo.url, ref: 'main', candidate: { name: sample.name } }),
    });
    const body = (await res.json()) as { id: string; candidateUrl: string; error?: unknown };
    if (res.status !== 202) throw new Error(`submission refused: ${res.status} ${JSON.stringify(body)}`);
    console.log(`submitted ${sample.name}: ${body.id}`);
    submitted.push({ sample, id: body.id, candidateUrl: body.candidateUrl });
  }
  const deadline = Date.now() + 180_000;
  const seen = new Map<string, string>();
  const finals = new Map<string, { status: string; score?: { percent: number; points: number; maxPoints: number }; error?: { message: string } }>();
  while (finals.size < submitted.length && Date.now() < deadline) {
    for (const s of submitted) {
      if (finals.has(s.id)) continue;
      const res = await fetch(`${base}/v1/submissions/${s.id}`, { headers: { authorization: `Bearer ${adminKey}` } });
      const body = (await res.json()) as { status: string; stage: string; score?: { percent: number; points: number; maxPoints: number }; error?: { message: string } };
      const state = `${body.status}/${body.stage}`;
      if (seen.get(s.id) !== state) console.log(`  ${s.sample.name.padEnd(32)} ${state}`);
      seen.set(s.id, state);
      if (['completed', 'failed', 'canceled'].includes(body.status)) finals.set(s.id, body);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  console.log('\nResults');
  for (const s of submitted) {
    const f = finals.get(s.id);
    const score = f?.score ? `${f.score.points}/${f.score.maxPoints} (${f.score.percent}%)` : (f?.error?.message ?? 'not finished');
    console.log(`  ${s.sample.name.padEnd(32)} ${s.sample.challenge.padEnd(18)} ${(f?.status ?? 'pending').padEnd(10)} ${score}`);
    // The candidate's link as the API gives it: the token after #, which no server ever sees.
    console.log(`    report: ${s.candidateUrl}`);
    if (s.sample.mustPass && f?.score?.percent !== 100) exitCode = 1;
  }
  await printCohort('simple-api');
  if (serve) {
    console.log(`\nServing at ${base} until Ctrl-C (UI login key: ${adminKey}).`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
  }
} catch (err) {
  console.error(`demo failed: ${(err as Error).message}`);
  exitCode = 1;
} finally {
  await Promise.all([stopProcess(api), stopProcess(worker)]);
  await git.close();
}
process.exit(exitCode);

/** The cohort view of a challenge through the reviewer API: its statistics and its similar pairs. */
async function printCohort(challenge: string): Promise<void> {
  const get = async (path: string) => {
    const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${adminKey}` } });
    if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<Record<string, unknown>>;
  };
  const stats = (await get(`/v1/challenges/${challenge}/stats`)) as { count: number; score: { p50: number; min: number; max: number } | null; tests: { id: string; uniform: string | null }[] };
  // The worker compares a submission with the cohort just after storing its report: wait for Ada and Alan's pair.
  type Similar = { pairs: { submissionId: string; otherSubmissionId: string; score: number; fragments: unknown[] }[] };
  let similar = (await get(`/v1/challenges/${challenge}/similarity`)) as Similar;
  for (let i = 0; i < 30 && similar.pairs.length === 0; i++) {
    await new Promise((r) => setTimeout(r, 500));
    similar = (await get(`/v1/challenges/${challenge}/similarity`)) as Similar;
  }
  if (similar.pairs.length === 0) throw new Error('the two identical simple-api submissions were not paired by the similarity check');
  console.log(`
Cohort of ${challenge} (GET /v1/challenges/${challenge}/stats and /similarity)`);
  if (stats.score) console.log(`  ${stats.count} graded, median ${stats.score.p50}%, range ${stats.score.min}–${stats.score.max}%; ${stats.tests.filter((t) => t.uniform).length} of ${stats.tests.length} tests tell nobody apart`);
  for (const p of similar.pairs) console.log(`  similar: ${p.submissionId} and ${p.otherSubmissionId}, score ${p.score}, ${p.fragments.length} shared fragment(s) (evidence for a reviewer, not a verdict)`);
  console.log(`  charts: ${base}/ui/challenges/${challenge}/stats, pairs side by side: ${base}/ui/challenges/${challenge}/similarity`);
}
