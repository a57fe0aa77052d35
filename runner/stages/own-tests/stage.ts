/**
 * Own-tests stage (`insights.ownTests`): the candidate's own test command (./plan.ts), run beside
 * the hidden suite in sandboxes of its own, then once per challenge mutant to see which planted
 * bugs those tests catch. Insights only: nothing here changes the score, and nothing here fails
 * the run (an error becomes the insight's status and a note).
 * - Every run gets a fresh sandbox started from the candidate's files as their container got them
 *   (installed dependencies and workspace, runner/stages/install/stage.ts): no network, the
 *   challenge's memory, pids and time limits, at most one CPU. So their tests cannot disturb the
 *   service under test, and one run cannot prepare the next (a test that fails on its second run
 *   would otherwise "catch" every mutant).
 * - A mutant is the challenge's known-bad file put in place of the candidate's (a tar overlay
 *   unpacked after the workspace). It is caught when the tests do not pass with it (a failure, a
 *   crash, a hang until its time limit) while they pass on the candidate's own code; a submission
 *   without one of the mutant's files cannot be judged against it (not_applicable).
 * - Cost: one run, then up to MUTANT_CONCURRENCY mutant runs at a time within one more
 *   `limits.testTimeoutMs` for all of them; what is left when it runs out is not_run.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Mutant } from '../../challenges/manifest.ts';
import type { BugsCaught, MutantResult, OwnTests, OwnTestsStatus } from '../../report/insights-tests.ts';
import { redactSecrets } from '../../report/redact.ts';
import { describeVerdict, SandboxContainer, type StepRun } from '../../sandbox/index.ts';
import type { CandidateFiles } from '../install/stage.ts';
import type { Job } from '../job.ts';
import { resolveServiceDir } from '../pack/subdir.ts';
import { createTar } from '../pack/tar.ts';
import { isRegularFile } from '../plan/files.ts';
import type { RuntimePlan } from '../plan/index.ts';
import { parseTestOutput, type ParsedTests } from './parse.ts';
import { planOwnTests, type OwnTestsPlan } from './plan.ts';

export interface OwnTestsInput {
  /** The fetched repository on the worker, and the submission's `path` in it (the graded folder). */
  repoDir: string;
  subPath?: string;
  plan: RuntimePlan;
  files: CandidateFiles;
}

/** Mutant runs at a time (2 cores here: the hidden suite is usually done by then). */
export const MUTANT_CONCURRENCY = 2;
/** Output kept of the candidate's own run (head and tail), for reviewers. */
const OUTPUT_BYTES = 32 * 1024;
/** A mutant run gets 3× the own run's time plus this, at least MIN_MUTANT_TIMEOUT_MS: a mutant that hangs is caught without waiting long. */
const MUTANT_SLACK_MS = 5_000;
const MIN_MUTANT_TIMEOUT_MS = 10_000;
/** Less than this left of the mutants' budget: the remaining ones are not started. */
const MIN_MUTANT_BUDGET_MS = 2_000;
/** Summary lines kept from the stdout stream, so a summary cut from the capped output is still read. */
const SUMMARY_LINE = /^(?:#|ℹ)\s|^\s*not ok |^\s*✖ |Tests:|^\s*Tests\s|^\s+\d+ (?:passing|failing|pending)|^All files|^(?:Statements|Branches|Functions|Lines)\s*:|^TOTAL\s|^Ran \d+ tests?|^(?:OK|FAILED)\b|^=+ .* in [\d.]+s|^assay-own-tests:/;

/** Starts the own tests beside the hidden suite; the score stage waits for them (ReportBuilder.insightsSettled). */
export function startOwnTests(job: Job, input: OwnTestsInput): void {
  job.report.analysing('ownTests', ownTestsStage(job, input), (err) => job.log.error({ err }, 'the own-tests analysis failed unexpectedly'));
}

/** Runs the own tests and the mutants and sets `insights.ownTests`; never throws. */
export async function ownTestsStage(job: Job, input: OwnTestsInput): Promise<void> {
  const t0 = Date.now();
  try {
    job.report.insight('ownTests', await measure(job, input));
  } catch (err) {
    if (job.signal?.aborted) return;
    job.log.warn({ err }, 'own tests could not be run');
    job.report.insight('ownTests', { status: 'error', reason: 'Assay could not run the tests (its own failure, not the candidate’s)' });
    job.report.insightNote({ analysis: 'ownTests', code: 'failed', message: 'the own tests could not be run: a sandbox failed to start or stopped unexpectedly' });
  } finally {
    job.report.timing('ownTests', Date.now() - t0);
  }
}

async function measure(job: Job, input: OwnTestsInput): Promise<OwnTests> {
  const { mutants } = job.challenge.manifest;
  if (!job.config.ownTests.enabled) return { status: 'none', reason: 'own tests are turned off on this worker (ASSAY_OWN_TESTS=false)' };
  const dir = await resolveServiceDir(input.repoDir, input.subPath);
  const plan = await planOwnTests(dir, input.plan);
  if (plan.kind === 'none') {
    return { status: 'none', reason: plan.reason, ...(mutants.length ? { bugsCaught: await notRun(dir, mutants, 'the submission has no tests of its own') } : {}) };
  }
  const { limits } = job.challenge.manifest;
  const own = await runTests(job, input.files, plan, plan.argv, [], limits.testTimeoutMs, OUTPUT_BYTES);
  const judged = judge(own, limits);
  const notes = [...plan.notes];
  if (judged.status === 'passed' && own.parsed.total === undefined) notes.push('the test command passed but printed no summary Assay can read, so there are no counts');
  if (input.plan.build) notes.push('the tests ran on the committed files with the installed dependencies, without the build step');
  const result: OwnTests = {
    status: judged.status,
    ...(judged.reason ? { reason: judged.reason } : {}),
    command: plan.command,
    runner: own.parsed.runner,
    ...counts(own.parsed),
    durationMs: own.run.durationMs,
    verdict: own.run.verdict,
    ...(own.parsed.coverage ? { coverage: own.parsed.coverage } : {}),
    ...(notes.length ? { notes } : {}),
    log: { ...own.run.output, text: redactSecrets(own.run.output.text) },
  };
  if (!mutants.length) return result;
  if (judged.status !== 'passed') {
    return { ...result, bugsCaught: await notRun(dir, mutants, 'the tests do not pass on the candidate’s own code, so a failure with a mutant would prove nothing') };
  }
  return { ...result, bugsCaught: await catchMutants(job, { dir, files: input.files, plan, mutants, ownMs: own.run.durationMs }) };
}

interface TestRun {
  run: StepRun;
  parsed: ParsedTests;
}

/** One run of the test command in a fresh sandbox (the files, then `overlay`), removed afterwards. */
async function runTests(job: Job, files: CandidateFiles, plan: Extract<OwnTestsPlan, { kind: 'run' }>, argv: string[], overlay: Buffer[], timeoutMs: number, outputBytes: number): Promise<TestRun> {
  const { limits } = job.challenge.manifest;
  const started = job.containers.track(
    SandboxContainer.start(
      job.docker,
      {
        ...job.specBase,
        image: files.image.tag,
        role: 'own-tests',
        network: { mode: 'none' },
        limits: { memoryMb: limits.memoryMb, cpus: Math.min(limits.cpus, 1), pids: limits.pids, workspaceMb: limits.workspaceMb },
      },
      files.open(...overlay),
      { outputBytes, log: job.log },
    ),
  );
  try {
    const box = await started;
    const summary = new SummaryLines();
    const run = await box.exec(argv, { timeoutMs, outputBytes, stdoutBytes: outputBytes, env: plan.env, signal: job.signal, onStdout: (chunk) => summary.push(chunk) });
    return { run, parsed: parseTestOutput(`${summary.text()}\n${run.output.text}`, { ...(plan.runner ? { runner: plan.runner } : {}), ...(plan.coverage ? { coverage: plan.coverage } : {}) }) };
  } finally {
    await job.containers.discard(started);
  }
}

/**
 * The one place a run becomes a status. Limits hit are `error` (Assay cannot say whether the
 * tests pass); no tests is never a pass; a failing exit with no failed test is still a failure.
 */
export function judge({ run, parsed }: TestRun, limits: { memoryMb: number; testTimeoutMs: number }): { status: OwnTestsStatus; reason?: string } {
  const how = () => describeVerdict(run.verdict, run, { memoryMb: limits.memoryMb, timeoutMs: limits.testTimeoutMs });
  if (run.verdict === 'timeout' || run.verdict === 'oom_killed' || run.verdict === 'output_limit') return { status: 'error', reason: `the test command was ${how()}` };
  if (parsed.total === 0) return { status: 'error', reason: 'no tests ran' };
  if ((parsed.failed ?? 0) > 0) return { status: 'failed' };
  if (run.verdict !== 'ok') {
    return { status: 'failed', reason: parsed.total === undefined ? `the test command ${how()}, with no test summary in its output` : `the test command ${how()} although no test failed` };
  }
  return { status: 'passed' };
}

interface MutantsInput {
  dir: string;
  files: CandidateFiles;
  plan: Extract<OwnTestsPlan, { kind: 'run' }>;
  mutants: Mutant[];
  ownMs: number;
}

async function catchMutants(job: Job, input: MutantsInput): Promise<BugsCaught> {
  const started = Date.now();
  const { limits } = job.challenge.manifest;
  const budgetEnds = started + limits.testTimeoutMs;
  const perRunMs = Math.max(MIN_MUTANT_TIMEOUT_MS, 3 * input.ownMs + MUTANT_SLACK_MS);
  const details: MutantResult[] = new Array(input.mutants.length);
  const queue = input.mutants.map((mutant, index) => ({ mutant, index }));

  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const { mutant, index } = next;
      const base = { id: mutant.id, description: mutant.description };
      const missing = await missingTargets(input.dir, mutant);
      if (missing.length) {
        details[index] = { ...base, outcome: 'not_applicable', reason: `the submission has no ${missing.join(', ')}` };
        continue;
      }
      const left = budgetEnds - Date.now();
      if (left < MIN_MUTANT_BUDGET_MS) {
        details[index] = { ...base, outcome: 'not_run', reason: `the mutants' time budget of ${Math.round(limits.testTimeoutMs / 1000)} s ran out` };
        continue;
      }
      details[index] = await runMutant(job, input, mutant, Math.min(perRunMs, left));
    }
  };
  await Promise.all(Array.from({ length: Math.min(MUTANT_CONCURRENCY, queue.length) }, worker));
  return tally(details, Date.now() - started);
}

async function runMutant(job: Job, input: MutantsInput, mutant: Mutant, timeoutMs: number): Promise<MutantResult> {
  const base = { id: mutant.id, description: mutant.description };
  let overlay: Buffer;
  try {
    const entries = await Promise.all(Object.entries(mutant.files).map(async ([target, source]) => ({ type: 'file' as const, path: target, content: await readFile(path.join(job.challenge.dir, source)) })));
    overlay = await createTar(entries);
  } catch (err) {
    job.log.warn({ err, mutant: mutant.id }, 'mutant files could not be read');
    return { ...base, outcome: 'not_run', reason: 'the challenge’s mutant files could not be read' };
  }
  try {
    const { run, parsed } = await runTests(job, input.files, input.plan, input.plan.bareArgv, [overlay], timeoutMs, 8 * 1024);
    const caught = judge({ run, parsed }, { memoryMb: job.challenge.manifest.limits.memoryMb, testTimeoutMs: timeoutMs }).status !== 'passed';
    return {
      ...base,
      outcome: caught ? 'caught' : 'missed',
      durationMs: run.durationMs,
      verdict: run.verdict,
      ...(parsed.failed !== undefined ? { failed: parsed.failed } : {}),
      ...(caught && parsed.failedTests.length ? { failedTests: parsed.failedTests } : {}),
      ...(run.verdict === 'timeout' ? { reason: `the tests did not finish within ${Math.round(timeoutMs / 1000)} s with the mutant` } : {}),
    };
  } catch (err) {
    if (job.signal?.aborted) throw err;
    job.log.warn({ err, mutant: mutant.id }, 'mutant run failed');
    return { ...base, outcome: 'not_run', reason: 'its sandbox could not be run (Assay’s failure)' };
  }
}

/** Every mutant recorded as not run (or not applicable), with the reason. */
async function notRun(dir: string, mutants: Mutant[], reason: string): Promise<BugsCaught> {
  const details = await Promise.all(
    mutants.map(async (m): Promise<MutantResult> => {
      const missing = await missingTargets(dir, m);
      return missing.length ? { id: m.id, description: m.description, outcome: 'not_applicable', reason: `the submission has no ${missing.join(', ')}` } : { id: m.id, description: m.description, outcome: 'not_run' };
    }),
  );
  return { ...tally(details, 0), status: 'not_run', reason };
}

function tally(details: MutantResult[], durationMs: number): BugsCaught {
  return {
    status: 'measured',
    caught: details.filter((d) => d.outcome === 'caught').length,
    of: details.filter((d) => d.outcome !== 'not_applicable').length,
    durationMs,
    details,
  };
}

/** The mutant's target paths that are not regular files of the submission (lstat: a symlink does not count). */
async function missingTargets(dir: string, mutant: Mutant): Promise<string[]> {
  const missing: string[] = [];
  for (const target of Object.keys(mutant.files)) if (!(await isRegularFile(path.join(dir, target)))) missing.push(target);
  return missing;
}

function counts(p: ParsedTests): Pick<OwnTests, 'passed' | 'failed' | 'skipped' | 'total'> {
  return p.total === undefined ? {} : { passed: p.passed ?? 0, failed: p.failed ?? 0, skipped: p.skipped ?? 0, total: p.total };
}

/** Keeps the summary-looking lines of a stdout stream (bounded), whatever the capped output cuts. */
class SummaryLines {
  private readonly lines: string[] = [];
  private partial = '';
  private static readonly MAX_LINES = 400;
  private static readonly MAX_LINE = 300;

  push(chunk: Buffer): void {
    const text = this.partial + chunk.toString('utf8');
    const parts = text.split('\n');
    this.partial = (parts.pop() ?? '').slice(-SummaryLines.MAX_LINE);
    for (const line of parts) this.keep(line);
  }

  text(): string {
    if (this.partial) this.keep(this.partial);
    this.partial = '';
    return this.lines.join('\n');
  }

  private keep(line: string): void {
    const plain = line.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r$/, '');
    if (!SUMMARY_LINE.test(plain)) return;
    if (this.lines.length >= SummaryLines.MAX_LINES) this.lines.shift();
    this.lines.push(plain.slice(0, SummaryLines.MAX_LINE));
  }
}
