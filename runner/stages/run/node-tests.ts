/**
 * Test stage of a "tests" challenge (Node): the hidden node:test files, placed in the workspace
 * by the pack stage, run inside the candidate's network-less sandbox with Assay's reporter
 * (baked into the image). Only reporter lines carrying this run's nonce count; afterwards the
 * hidden files are hashed again, and any change voids the results.
 *
 * These verdicts are computed in the candidate's own process, where the candidate's code can
 * patch node:test, node:assert or process.exit and forge them (docs/security.md). Nothing here
 * can make them trustworthy, so every report is flagged `in_process_results`, and the stage fails
 * closed on whatever it can see go wrong: a run that did not end normally, a cut in the result
 * channel, a hash check that did not run, or a test reported twice voids every result
 * (`results_voided`). Challenges that score candidates use kind "service", whose suite runs in
 * the grader (with the driver for unit-level checks).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Challenge } from '../../challenges/repository.ts';
import type { Flag, Step } from '../../report/schema.ts';
import type { RawResult } from '../../report/score.ts';
import { describeVerdict, type SandboxContainer, type StepRun } from '../../sandbox/index.ts';
import type { Job } from '../job.ts';
import type { TestOutcome } from './outcome.ts';
import { TEST_STATUSES, type TestStatus } from '../../report/schema.ts';

export const NONCE_PATH = '.assay/nonce';
const REPORTER = '/opt/assay/node-test-reporter.mjs';

export interface HiddenTests {
  /** Files to add to the workspace (suite files and the nonce). */
  files: { path: string; content: Buffer }[];
  /** Workspace paths of the test files to run. */
  testPaths: string[];
  nonce: string;
  /** sha256 per workspace path of every suite file. */
  hashes: Map<string, string>;
}

export function prepareHiddenTests(challenge: Challenge): HiddenTests {
  const base = challenge.manifest.suite.workspacePath.replace(/\/+$/, '');
  const nonce = randomBytes(24).toString('hex');
  const files = challenge.suiteFiles.map((f) => ({ path: `${base}/${f.path}`, content: f.content }));
  const hashes = new Map(files.map((f) => [f.path, createHash('sha256').update(f.content).digest('hex')]));
  const testPaths = files.map((f) => f.path).filter((p) => /\.test\.(mjs|cjs|js)$/.test(p));
  return { files: [...files, { path: NONCE_PATH, content: Buffer.from(nonce) }], testPaths, nonce, hashes };
}

export function parseReporterOutput(stdout: string, nonce: string): RawResult[] {
  const results: RawResult[] = [];
  const prefix = `ASSAY_TEST ${nonce} `;
  for (const line of stdout.split('\n')) {
    if (!line.startsWith(prefix)) continue;
    try {
      const data = JSON.parse(line.slice(prefix.length)) as { name?: unknown; status?: unknown; message?: unknown; durationMs?: unknown };
      if (typeof data.name !== 'string' || !TEST_STATUSES.includes(data.status as TestStatus)) continue;
      results.push({
        id: data.name,
        status: data.status as TestStatus,
        ...(typeof data.message === 'string' && data.message ? { message: data.message } : {}),
        ...(typeof data.durationMs === 'number' ? { durationMs: data.durationMs } : {}),
      });
    } catch {
      // A malformed line is ignored; its test then counts as not reported.
    }
  }
  return results;
}

export interface NodeTestsResult {
  test: Step;
  results: RawResult[];
  notRunReason?: string;
  flags: Flag[];
}

export async function runNodeTests(box: SandboxContainer, challenge: Challenge, hidden: HiddenTests, signal?: AbortSignal): Promise<NodeTestsResult> {
  const { limits } = challenge.manifest;
  const run = await box.exec(
    ['node', '--test', `--test-reporter=${REPORTER}`, `--test-timeout=${limits.perTestTimeoutMs}`, ...hidden.testPaths],
    { timeoutMs: limits.testTimeoutMs, outputBytes: limits.outputBytes, stdoutBytes: 2 * 1024 * 1024, env: { NODE_ENV: 'test' }, signal },
  );
  const reported = parseReporterOutput(run.stdout.text, hidden.nonce);
  const flags: Flag[] = [{ code: 'in_process_results', message: IN_PROCESS_WARNING }];
  if (run.verdict === 'oom_killed' || run.verdict === 'timeout' || run.verdict === 'output_limit') {
    flags.push({ code: 'resource_limit', message: `the test run was ${describeVerdict(run.verdict, run, { memoryMb: limits.memoryMb, timeoutMs: limits.testTimeoutMs })}` });
  }
  const hashed = run.verdict === 'ok' || run.verdict === 'nonzero_exit' ? await changedHiddenFiles(box, hidden) : undefined;
  const untrusted = whyUntrusted(run, reported, hashed);
  let results = reported;
  if (hashed && hashed.length > 0) {
    flags.push({ code: 'tests_tampered', message: `hidden test files changed during the run: ${hashed.slice(0, 5).join(', ')}` });
    results = reported.map((r) => ({ ...r, status: 'error' as const, message: 'voided: the hidden test files were modified during the run' }));
  } else if (untrusted) {
    flags.push({ code: 'results_voided', message: `every result was voided: ${untrusted}` });
    results = reported.map((r) => ({ ...r, status: 'error' as const, message: `voided: ${untrusted}` }));
  }
  const log = { ...run.output };
  return {
    test: {
      name: 'test',
      status: results.length > 0 && run.verdict !== 'timeout' ? 'passed' : 'failed',
      verdict: run.verdict,
      exitCode: run.exitCode,
      durationMs: run.durationMs,
      ...(results.length === 0 ? { reason: `the tests ${describeVerdict(run.verdict, run, { timeoutMs: limits.testTimeoutMs })} without reporting results` } : {}),
      log,
    },
    results,
    notRunReason: run.verdict === 'timeout' ? 'not run: the test step ran out of time' : 'the test did not report a result (it may have crashed while loading the code under test)',
    flags,
  };
}

const IN_PROCESS_WARNING =
  "the hidden tests ran in the candidate's own process, where the candidate's code can forge their results: treat this score as evidence, not proof (use a service challenge with the driver to score)";

/**
 * Why the results of a run cannot be taken as they are, or undefined when nothing visible went
 * wrong. node --test exits 0 when every test passed and 1 when some failed; anything else means
 * the run did not end as a test run does. `changed` is undefined when the hash check did not run.
 * Pure.
 */
export function whyUntrusted(run: Pick<StepRun, 'verdict' | 'exitCode' | 'stdout'>, reported: RawResult[], changed: string[] | undefined): string | undefined {
  const someFailed = reported.some((r) => r.status !== 'passed' && r.status !== 'skipped');
  if (run.verdict === 'nonzero_exit' && !(run.exitCode === 1 && someFailed)) {
    return `the test run exited with code ${run.exitCode ?? 'unknown'}${run.exitCode === 1 ? ' although no test reported a failure' : ''}`;
  }
  if (run.verdict !== 'ok' && run.verdict !== 'nonzero_exit') return `the test run did not end normally (${run.verdict})`;
  if (run.stdout.cutBytes > 0) return `the result channel was cut (${run.stdout.cutBytes} bytes of the test run's stdout were not read)`;
  if (changed === undefined) return 'the hidden test files could not be checked after the run';
  const seen = new Set<string>();
  const twice = reported.find((r) => (seen.has(r.id) ? true : (seen.add(r.id), false)));
  if (twice) return `test ${twice.id} was reported more than once`;
  return undefined;
}

/**
 * Hashes the hidden files inside the sandbox (absolute tool path: the root file system is
 * read-only) and lists those that changed; undefined when the check itself could not run.
 */
async function changedHiddenFiles(box: SandboxContainer, hidden: HiddenTests): Promise<string[] | undefined> {
  const paths = [...hidden.hashes.keys()];
  let run: StepRun;
  try {
    run = await box.exec(['/usr/bin/sha256sum', '--', ...paths], { timeoutMs: 30_000, outputBytes: 256 * 1024 });
  } catch {
    // The caller voids the results of a run it could not check: failing closed is the handling.
    return undefined;
  }
  // sha256sum exits 1 for a missing file (a deletion, which the comparison below reports).
  if (run.verdict !== 'ok' && run.verdict !== 'nonzero_exit') return undefined;
  const seen = new Map<string, string>();
  for (const line of run.stdout.text.split('\n')) {
    const m = /^([0-9a-f]{64}) {2}(.+)$/.exec(line);
    if (m) seen.set(m[2]!, m[1]!);
  }
  return paths.filter((p) => seen.get(p) !== hidden.hashes.get(p));
}

/** The test step of a "tests" challenge, as a stage. */
export async function nodeTestsStage(job: Job, candidate: SandboxContainer, hidden: HiddenTests): Promise<TestOutcome> {
  await job.progress('testing');
  const out = await job.report.timed('test', () => runNodeTests(candidate, job.challenge, hidden, job.signal));
  job.report.step(out.test);
  job.report.flag(...out.flags);
  return { results: out.results, ...(out.notRunReason ? { notRunReason: out.notRunReason } : {}) };
}
