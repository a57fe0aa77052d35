/**
 * Test stage of a "tests" challenge (Node): the hidden node:test files, placed in the workspace
 * by the pack stage, run inside the candidate's network-less sandbox with Assay's reporter
 * (baked into the image). Only reporter lines carrying this run's nonce count; afterwards the
 * hidden files are hashed again, and any change voids the results.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Challenge } from '../../challenges/repository.ts';
import type { Flag, Step } from '../../report/schema.ts';
import type { RawResult } from '../../report/score.ts';
import { describeVerdict, type SandboxContainer } from '../../sandbox/index.ts';
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
  let results = parseReporterOutput(run.stdout.text, hidden.nonce);
  const flags: Flag[] = [];
  if (run.verdict === 'oom_killed' || run.verdict === 'timeout' || run.verdict === 'output_limit') {
    flags.push({ code: 'resource_limit', message: `the test run was ${describeVerdict(run.verdict, run, { memoryMb: limits.memoryMb, timeoutMs: limits.testTimeoutMs })}` });
  }
  if (run.verdict !== 'timeout' && run.verdict !== 'output_limit' && run.verdict !== 'oom_killed') {
    const changed = await changedHiddenFiles(box, hidden);
    if (changed.length > 0) {
      flags.push({ code: 'tests_tampered', message: `hidden test files changed during the run: ${changed.slice(0, 5).join(', ')}` });
      results = results.map((r) => ({ ...r, status: 'error' as const, message: 'voided: the hidden test files were modified during the run' }));
    }
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

/** Hashes the hidden files inside the sandbox (absolute tool path: the root file system is read-only). */
async function changedHiddenFiles(box: SandboxContainer, hidden: HiddenTests): Promise<string[]> {
  const paths = [...hidden.hashes.keys()];
  const run = await box.exec(['/usr/bin/sha256sum', '--', ...paths], { timeoutMs: 30_000, outputBytes: 256 * 1024 });
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
