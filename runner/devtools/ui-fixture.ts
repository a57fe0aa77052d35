/**
 * Stored submissions with reports for API and UI tests and the screenshot script: written with
 * the real store (create + saveReport + lifecycle.complete, as the worker does), with hostile candidate text
 * (a <script> tag and ANSI escapes) in a test message and a step log.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Insights } from '../report/insights.ts';
import { REPORT_SCHEMA_VERSION, type FlagCode, type Report, type TestStatus } from '../report/schema.ts';
import { newSubmissionRecord, type Candidate, type SubmissionRecord, type SubmissionStore } from '../store/submissions.ts';

export const XSS = '<script>window.__pwned=1</script>';
export const ANSI_RED = '\u001b[31m';

export interface SeedOptions {
  challenge?: string;
  candidate?: Candidate;
  /** Percent of the visible points earned (the hidden test always passes). */
  percent?: number;
  status?: 'completed' | 'queued' | 'running';
  hostile?: boolean;
  callbackUrl?: string;
  /** The report's insights (see ./insights-fixture.ts); none when absent. */
  insights?: Insights;
  /** The challenge version graded. @defaultValue "1.0.0" */
  version?: string;
  /** Status of a fixture test by id (core.health, core.create, core.created-at-iso, validation.missing-title); points follow: all of them when passed, none otherwise. */
  tests?: Record<string, TestStatus>;
  /** The report's flags (a message each); absent: files_dropped when hostile, else none. */
  flags?: FlagCode[];
  /** The grading time (timings.totalMs). @defaultValue 10410 */
  durationMs?: number;
}

export function fixtureReport(id: string, opts: SeedOptions = {}): Report {
  const hostile = opts.hostile ?? true;
  const now = Date.now();
  const visiblePassed = (opts.percent ?? 40) >= 50;
  const declared: Report['tests'] = [
    { id: 'core.health', name: 'GET /health returns 200', category: 'core', status: 'passed', points: 3, maxPoints: 3, durationMs: 12, visibility: 'visible' },
    { id: 'core.create', name: 'POST /tasks returns 201 with the created task', category: 'core', status: visiblePassed ? 'passed' : 'failed', points: visiblePassed ? 5 : 0, maxPoints: 5, durationMs: 20, visibility: 'visible', ...(visiblePassed ? {} : { message: `expected 201, got 500${hostile ? ` ${ANSI_RED}red${'\u001b[0m'} ${XSS}` : ''}` }) },
    { id: 'core.created-at-iso', name: 'createdAt is an ISO-8601 timestamp', category: 'core', status: 'failed', points: 0, maxPoints: 3, durationMs: 9, visibility: 'hidden', message: 'hidden detail: createdAt was "yesterday"' },
    { id: 'validation.missing-title', name: 'Missing title returns 400', category: 'validation', status: 'passed', points: 3, maxPoints: 3, durationMs: 7, visibility: 'visible' },
  ];
  const tests = declared.map((t): Report['tests'][number] => {
    const status = opts.tests?.[t.id];
    return status === undefined ? t : { ...t, status, points: status === 'passed' ? t.maxPoints : 0 };
  });
  const points = tests.reduce((s, t) => s + t.points, 0);
  const categoryPoints = (category: string, field: 'points' | 'maxPoints') => tests.filter((t) => t.category === category).reduce((s, t) => s + t[field], 0);
  const maxPoints = tests.reduce((s, t) => s + t.maxPoints, 0);
  const logText = `> node server.js\nlistening on 8080\n${hostile ? `${ANSI_RED}candidate says ${XSS}\u001b[0m\n` : ''}done\n`;
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    submissionId: id,
    attempt: 1,
    challenge: { id: opts.challenge ?? 'simple-api', version: opts.version ?? '1.0.0', suiteHash: 'ab12'.repeat(16) },
    repoUrl: 'https://93.184.215.14/acme/solution.git',
    ref: 'main',
    commit: randomBytes(20).toString('hex'),
    status: 'completed',
    runtime: 'node',
    score: { points, maxPoints, percent: Math.round((points / maxPoints) * 1000) / 10 },
    categories: [
      { category: 'core', points: categoryPoints('core', 'points'), maxPoints: categoryPoints('core', 'maxPoints') },
      { category: 'validation', points: categoryPoints('validation', 'points'), maxPoints: categoryPoints('validation', 'maxPoints') },
    ],
    tests,
    steps: [
      { name: 'fetch', status: 'passed', durationMs: 310, log: { text: 'cloned', totalBytes: 6, cutBytes: 0 } },
      { name: 'install', status: 'passed', verdict: 'exited', exitCode: 0, durationMs: 4200, log: { text: 'added 0 packages', totalBytes: 90_000, cutBytes: 70_000 } },
      { name: 'start', status: 'passed', durationMs: 800, log: { text: logText, totalBytes: logText.length, cutBytes: 0 } },
      { name: 'test', status: 'passed', durationMs: 5100, log: { text: 'ran 4 tests', totalBytes: 11, cutBytes: 0 } },
    ],
    flags: opts.flags ? opts.flags.map((code) => ({ code, message: `${code}${hostile ? ` ${XSS}` : ''}` })) : hostile ? [{ code: 'files_dropped', message: `dropped .npmrc ${XSS}` }] : [],
    resources: { oomKilled: false, memoryLimitMb: 256, cpus: 1, pidsLimit: 256 },
    timings: { totalMs: opts.durationMs ?? 10_410 },
    runner: { version: '0.1.0', workerId: 'fixture-worker', images: { node: { tag: 'assay-node:783d8af01f766e78', id: 'sha256:220288f58aa8eb96ef064f6b5130afcf530980179746120f03a36fc41ae385b9' } } },
    ...(opts.insights ? { insights: opts.insights } : {}),
    startedAt: new Date(now - 11_000).toISOString(),
    finishedAt: new Date(now).toISOString(),
  };
}

/** Creates a submission record (and, when completed, its report); returns it and its access token. */
export async function seedSubmission(store: SubmissionStore, opts: SeedOptions = {}): Promise<{ record: SubmissionRecord; token: string; report?: Report }> {
  const token = randomBytes(32).toString('base64url');
  const id = randomUUID();
  const record = newSubmissionRecord(
    { challenge: opts.challenge ?? 'simple-api', repoUrl: 'https://93.184.215.14/acme/solution.git', ref: 'main', candidate: opts.candidate, callbackUrl: opts.callbackUrl, accessToken: token },
    id,
  );
  await store.create(record);
  const status = opts.status ?? 'completed';
  if (status === 'running') {
    const r = await store.lifecycle.progress(id, 'testing');
    if (!r.ok) throw new Error(`seed: could not start ${id}: ${r.reason}`);
    return { record: r.record, token };
  }
  if (status === 'queued') return { record, token };
  const report = fixtureReport(id, opts);
  await store.saveReport(id, 1, report);
  const final = await store.lifecycle.complete(id, 1, report);
  if (!final.ok) throw new Error(`seed: could not complete ${id}: ${final.reason}`);
  return { record: final.record, token, report };
}
