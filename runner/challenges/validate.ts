/**
 * `assay challenge validate`: proves that a challenge's suite tells solutions apart, reliably.
 *
 * Checks, in order: the manifest (schema, unique ids, id matches its folder); the suite (folder
 * present; every test the suite registers is declared and every declared test is registered);
 * then grades every solution in the real sandbox N times: each reference must score 100% every
 * time, the starter must stay strictly below `starter.maxPercent`, each variant must land in its
 * `variants/<name>.expected.json` range. A test whose outcome changes between runs of the same
 * solution is flaky. The result is data (problems, warnings, flaky tests, a failure table) so
 * tests can assert on it; the CLI prints it.
 *
 * The service-suite check imports the suite module in this process (as the harness does in its
 * container), so validate only challenges whose suites you trust: they are authors' code.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { PlatformError } from '../errors.ts';
import type { Report } from '../report/schema.ts';
import type { ChallengeManifest, Limits } from './manifest.ts';
import { clampLimits, parseManifest, readSuite, type OperatorMaxima } from './repository.ts';

export const SOLUTION_ROLES = ['reference', 'starter', 'variant'] as const;
export type SolutionRole = (typeof SOLUTION_ROLES)[number];

export interface Solution {
  /** Shown in progress lines and as a table column: `reference/<name>`, `starter`, `variants/<name>`. */
  label: string;
  role: SolutionRole;
  dir: string;
  /** Variants only: the percent range the variant must score in. */
  expected?: ExpectedRange;
}

const ExpectedRangeSchema = z
  .strictObject({ minPercent: z.number().min(0).max(100), maxPercent: z.number().min(0).max(100) })
  .refine((r) => r.minPercent <= r.maxPercent, 'minPercent must not exceed maxPercent');
export type ExpectedRange = z.infer<typeof ExpectedRangeSchema>;

/** How one grading run ended: `graded` (a score), `not_graded` (a failed report), `error` (the platform or suite failed). */
export type RunOutcome = 'graded' | 'not_graded' | 'error';

export interface GradingRun {
  solution: string;
  role: SolutionRole;
  /** 1-based. */
  run: number;
  outcome: RunOutcome;
  percent: number;
  durationMs: number;
  /** Per declared test: passed or not (graded runs only). */
  passed: Record<string, boolean>;
  /** First line of each failed test's message, by test id. */
  messages: Record<string, string>;
  /** Report flags, as `code: message`. */
  flags: string[];
  /** Why the run was not graded. */
  error?: string;
  /** Mutants the solution's own tests ran against and did not catch (insights.ownTests.bugsCaught). */
  mutantsMissed?: string[];
}

export interface FlakyTest {
  testId: string;
  solution: string;
  passedRuns: number;
  runs: number;
}

export interface FailureCell {
  failedRuns: number;
  runs: number;
}

/** Rows: tests some solution fails; columns: solutions. */
export interface FailureTable {
  columns: string[];
  rows: { testId: string; cells: FailureCell[] }[];
}

export interface ValidationResult {
  challengeId: string;
  dir: string;
  ok: boolean;
  problems: string[];
  warnings: string[];
  flaky: FlakyTest[];
  table: FailureTable;
  /** Declared tests that no run of any solution failed: they tell nothing apart. */
  neverFailed: string[];
  runs: GradingRun[];
}

export interface ValidateOptions {
  rootDir: string;
  id: string;
  /** Grading runs per solution. @defaultValue 3 */
  runs?: number;
  maxima: OperatorMaxima;
  /** Grades a local folder against the challenge through the real pipeline. */
  grade: (input: { challengeId: string; localPath: string }, signal?: AbortSignal) => Promise<Report>;
  /** Called after each grading run, for progress output. */
  onRun?: (run: GradingRun, runsPerSolution: number) => void;
  signal?: AbortSignal;
}

const TEST_FILE = /\.test\.(mjs|cjs|js)$/;

export async function validateChallenge(opts: ValidateOptions): Promise<ValidationResult> {
  const runsPerSolution = opts.runs ?? 3;
  const dir = path.join(path.resolve(opts.rootDir), opts.id);
  const problems: string[] = [];
  const warnings: string[] = [];
  const result = (extra: Partial<ValidationResult> = {}): ValidationResult => ({
    challengeId: opts.id,
    dir,
    ok: problems.length === 0,
    problems,
    warnings,
    flaky: [],
    table: { columns: [], rows: [] },
    neverFailed: [],
    runs: [],
    ...extra,
  });

  // 1. Manifest.
  const manifestFile = path.join(dir, 'challenge.json');
  let bytes: Buffer;
  try {
    bytes = await readFile(manifestFile);
  } catch {
    problems.push(`${manifestFile}: missing (a challenge is a folder with a challenge.json)`);
    return result();
  }
  let manifest: ChallengeManifest;
  try {
    manifest = parseManifest(bytes, manifestFile);
  } catch (err) {
    if (!(err instanceof PlatformError) || err.code !== 'CHALLENGE_INVALID') throw err;
    problems.push(...err.message.split('\n'));
    return result();
  }
  if (manifest.id !== opts.id) problems.push(`${manifestFile}: id: "${manifest.id}" does not match its folder name "${opts.id}"`);
  if (manifest.tests.every((t) => t.points === 0)) problems.push(`${manifestFile}: tests: every test is worth 0 points, so no solution can score`);
  warnings.push(...clampWarnings(manifest.limits, opts.maxima, manifestFile));
  if (manifest.$schema && !/^[a-z]+:/i.test(manifest.$schema) && !(await isFile(path.resolve(dir, manifest.$schema)))) {
    warnings.push(`${manifestFile}: $schema: ${manifest.$schema} does not exist (run scripts/export-challenge-schema.ts or fix the path)`);
  }
  if (!(await isFile(path.join(dir, 'README.md')))) warnings.push(`${dir}: no README.md (the candidate-facing brief)`);
  for (const m of manifest.mutants) {
    for (const [target, source] of Object.entries(m.files)) {
      if (!(await isFile(path.join(dir, source)))) problems.push(`${manifestFile}: mutants: ${m.id}: ${source} (the known-bad ${target}) does not exist`);
    }
  }

  // 2. Suite: present, and registering exactly the declared tests.
  const suiteDir = path.join(dir, manifest.suite.dir);
  if (!(await isDirectory(suiteDir))) {
    problems.push(`${manifestFile}: suite.dir: the folder ${suiteDir} does not exist`);
    return result();
  }
  const declared = manifest.tests.map((t) => t.id);
  if (manifest.kind === 'service') {
    const entry = path.join(suiteDir, manifest.suite.entry);
    if (!(await isFile(entry))) {
      problems.push(`${manifestFile}: suite.entry: the file ${entry} does not exist`);
      return result();
    }
    // Loaded from a copy laid out as the grader gets it, with suite.include's suites in place.
    let registered: Awaited<ReturnType<typeof registeredServiceTests>>;
    try {
      registered = await withSuiteCopy(opts.rootDir, opts.id, manifest, (copy) => registeredServiceTests(path.join(copy, manifest.suite.entry)));
    } catch (err) {
      problems.push(err instanceof Error ? err.message : String(err));
      return result();
    }
    if ('error' in registered) {
      problems.push(`${entry}: the suite failed to load: ${registered.error}`);
      return result();
    }
    problems.push(...describeIdComparison(compareTestIds(declared, registered.ids), entry, { unregistered: true }));
  } else {
    // The files as the grader gets them: suite.include's test files run with the suite's own.
    let files: Awaited<ReturnType<typeof readSuite>>;
    try {
      files = (await readSuite(path.resolve(opts.rootDir), opts.id, manifest)).filter((f) => TEST_FILE.test(f.path));
    } catch (err) {
      problems.push(err instanceof Error ? err.message : String(err));
      return result();
    }
    if (files.length === 0) {
      problems.push(`${suiteDir}: no *.test.mjs / *.test.js files; a tests suite runs every such file with node --test`);
      return result();
    }
    const scanned = { ids: [] as string[], dynamic: 0 };
    for (const f of files) {
      const s = scanTopLevelTestNames(f.content.toString('utf8'));
      scanned.ids.push(...s.ids);
      scanned.dynamic += s.dynamic;
    }
    // Names the scan cannot read (computed, or `test` imported under another name) may be the
    // missing ones; the reference's graded results below still catch any real gap.
    const complete = scanned.ids.length > 0 && scanned.dynamic === 0;
    if (!complete) {
      warnings.push(
        scanned.ids.length === 0
          ? `${suiteDir}: found no top-level test('<id>', ...) calls; relying on the reference's results to match test ids`
          : `${suiteDir}: ${scanned.dynamic} top-level test name(s) are not string literals; relying on the reference's results for those`,
      );
    }
    problems.push(...describeIdComparison(compareTestIds(declared, scanned.ids), `${suiteDir} (top-level test names)`, { unregistered: complete }));
  }
  if (manifest.id !== opts.id) return result(); // the pipeline refuses to load a mismatched id

  // 3. Solutions.
  const solutions = await findSolutions(dir, problems);
  if (solutions.length === 0) return result();

  const runs: GradingRun[] = [];
  for (const solution of solutions) {
    for (let run = 1; run <= runsPerSolution; run++) {
      opts.signal?.throwIfAborted();
      const graded = await gradeOnce(opts, solution, run, declared);
      runs.push(graded);
      opts.onRun?.(graded, runsPerSolution);
    }
  }

  problems.push(...checkRuns(runs, solutions, manifest));
  const flaky = findFlakyTests(runs, declared);
  for (const f of flaky) problems.push(`flaky test "${f.testId}": passed ${f.passedRuns} of ${f.runs} runs of ${f.solution}`);
  const table = buildFailureTable(runs, declared, solutions.map((s) => s.label));
  const neverFailed = testsNoSolutionFails(runs, declared);
  if (solutions.some((s) => s.role !== 'reference')) {
    if (neverFailed.length > 0) {
      warnings.push(
        `${neverFailed.length} test(s) no solution fails, so they tell none apart (fine for regression tests guarding what the starter already does; otherwise make the starter or a variant fail them): ${neverFailed.join(', ')}`,
      );
    }
  }
  // A reference's own tests are the authors' proof that each mutant is a bug a test can catch.
  const missedByReference = new Set(runs.filter((r) => r.role === 'reference').flatMap((r) => r.mutantsMissed ?? []));
  if (missedByReference.size > 0) warnings.push(`mutants no reference's own tests catch (add a test to the reference, or check the mutant is a bug): ${[...missedByReference].join(', ')}`);
  return result({ flaky, table, neverFailed, runs });
}

async function gradeOnce(opts: ValidateOptions, solution: Solution, run: number, declared: string[]): Promise<GradingRun> {
  const started = Date.now();
  const base = { solution: solution.label, role: solution.role, run, passed: {}, messages: {}, flags: [] };
  let report: Report;
  try {
    report = await opts.grade({ challengeId: opts.id, localPath: solution.dir }, opts.signal);
  } catch (err) {
    // A broken suite or challenge is what validate exists to report; an engine outage is not.
    if (!(err instanceof PlatformError) || err.code === 'SANDBOX_UNAVAILABLE' || err.code === 'CANCELED') throw err;
    return { ...base, outcome: 'error', percent: 0, durationMs: Date.now() - started, error: `${err.code}: ${err.message}` };
  }
  const durationMs = Date.now() - started;
  const flags = report.flags.map((f) => `${f.code}: ${f.message}`);
  if (report.status !== 'completed') {
    return { ...base, outcome: 'not_graded', percent: 0, durationMs, flags, error: `${report.error?.code ?? 'FAILED'}: ${report.error?.message ?? 'not graded'}` };
  }
  const byId = new Map(report.tests.map((t) => [t.id, t]));
  const passed: Record<string, boolean> = {};
  const messages: Record<string, string> = {};
  for (const id of declared) {
    const t = byId.get(id);
    passed[id] = t?.status === 'passed';
    if (t && t.status !== 'passed') messages[id] = `[${t.status}] ${(t.message ?? '').split('\n')[0]?.slice(0, 200) ?? ''}`;
  }
  const bugs = report.insights?.ownTests?.bugsCaught;
  const missed = bugs?.status === 'measured' ? bugs.details.filter((d) => d.outcome === 'missed').map((d) => d.id) : undefined;
  return { ...base, outcome: 'graded', percent: report.score.percent, durationMs, passed, messages, flags, ...(missed ? { mutantsMissed: missed } : {}) };
}

/** Score checks per role; pure. */
export function checkRuns(runs: GradingRun[], solutions: Solution[], manifest: Pick<ChallengeManifest, 'starter'>): string[] {
  const problems: string[] = [];
  const unknown = new Set<string>();
  for (const r of runs) {
    const at = `${r.solution} run ${r.run}`;
    if (r.outcome !== 'graded') {
      problems.push(`${at}: could not be graded: ${r.error ?? 'unknown error'}`);
      continue;
    }
    const solution = solutions.find((s) => s.label === r.solution);
    // A property of the suite, not of the run: said once, however many runs show it.
    for (const f of r.flags) if (f.startsWith('unknown_tests:')) unknown.add(`the suite reports tests the manifest does not declare (${f.slice('unknown_tests: '.length)})`);
    if (r.role === 'reference' && r.percent !== 100) {
      const failed = Object.entries(r.passed).filter(([, ok]) => !ok).map(([id]) => `${id} ${r.messages[id] ?? ''}`.trim());
      problems.push(`${at}: scored ${r.percent}%, a reference must score 100%; failed: ${failed.slice(0, 5).join('; ')}${failed.length > 5 ? `; … ${failed.length - 5} more` : ''}`);
    }
    if (r.role === 'starter' && r.percent >= manifest.starter.maxPercent) {
      problems.push(`${at}: the starter scored ${r.percent}%, not below its threshold starter.maxPercent = ${manifest.starter.maxPercent}%`);
    }
    if (r.role === 'variant' && solution?.expected) {
      const { minPercent, maxPercent } = solution.expected;
      if (r.percent < minPercent || r.percent > maxPercent) problems.push(`${at}: scored ${r.percent}%, outside its expected range ${minPercent}–${maxPercent}%`);
    }
  }
  return [...unknown, ...problems];
}

/** Tests whose outcome differs between graded runs of the same solution; pure. */
export function findFlakyTests(runs: GradingRun[], testIds: string[]): FlakyTest[] {
  const flaky: FlakyTest[] = [];
  for (const [solution, graded] of groupGraded(runs)) {
    for (const testId of testIds) {
      const passedRuns = graded.filter((r) => r.passed[testId] === true).length;
      if (passedRuns > 0 && passedRuns < graded.length) flaky.push({ testId, solution, passedRuns, runs: graded.length });
    }
  }
  return flaky;
}

/** Which tests each solution fails, counted over its graded runs; pure. */
export function buildFailureTable(runs: GradingRun[], testIds: string[], columns: string[]): FailureTable {
  const groups = groupGraded(runs);
  const rows: FailureTable['rows'] = [];
  for (const testId of testIds) {
    const cells = columns.map((c) => {
      const graded = groups.get(c) ?? [];
      return { failedRuns: graded.filter((r) => r.passed[testId] !== true).length, runs: graded.length };
    });
    if (cells.some((c) => c.failedRuns > 0)) rows.push({ testId, cells });
  }
  return { columns, rows };
}

/** Declared tests that passed in every graded run of every solution; pure. */
export function testsNoSolutionFails(runs: GradingRun[], testIds: string[]): string[] {
  const graded = runs.filter((r) => r.outcome === 'graded');
  if (graded.length === 0) return [];
  return testIds.filter((id) => graded.every((r) => r.passed[id] === true));
}

/** `✗` failed every run, `k/n` failed k of n runs, `·` never failed, `-` not graded. */
export function renderFailureTable(table: FailureTable): string {
  if (table.rows.length === 0) return '(no solution fails any test)';
  const cell = (c: FailureCell) => (c.runs === 0 ? '-' : c.failedRuns === 0 ? '·' : c.failedRuns === c.runs ? '✗' : `${c.failedRuns}/${c.runs}`);
  const header = ['test', ...table.columns];
  const body = table.rows.map((r) => [r.testId, ...r.cells.map(cell)]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  return [header, ...body].map((row) => row.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

export interface IdComparison {
  /** Declared in the manifest, never registered by the suite. */
  unregistered: string[];
  /** Registered by the suite, not declared in the manifest. */
  undeclared: string[];
  /** Registered more than once. */
  duplicates: string[];
}

/** Declared vs registered test ids, both ways; pure. */
export function compareTestIds(declared: string[], registered: string[]): IdComparison {
  const reg = new Set(registered);
  const dec = new Set(declared);
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  for (const id of registered) {
    if (seen.has(id)) duplicates.add(id);
    seen.add(id);
  }
  return { unregistered: declared.filter((id) => !reg.has(id)), undeclared: [...seen].filter((id) => !dec.has(id)), duplicates: [...duplicates] };
}

export function describeIdComparison(c: IdComparison, where: string, opts: { unregistered: boolean }): string[] {
  return [
    ...c.duplicates.map((id) => `${where}: test "${id}" is registered more than once`),
    ...c.undeclared.map((id) => `${where}: test "${id}" is registered by the suite but not declared in challenge.json`),
    ...(opts.unregistered ? c.unregistered.map((id) => `${where}: test "${id}" is declared in challenge.json but the suite registers no such test`) : []),
  ];
}

/**
 * Top-level node:test names in a test file: calls to test/it/describe/suite at the start of a
 * line. `dynamic` counts such calls whose name is not a plain string literal; pure.
 */
export function scanTopLevelTestNames(source: string): { ids: string[]; dynamic: number } {
  const ids: string[] = [];
  let dynamic = 0;
  for (const line of source.split('\n')) {
    const call = /^(?:test|it|describe|suite)(?:\.(?:only|skip|todo))?\s*\(\s*(.*)$/.exec(line);
    if (!call) continue;
    const literal = /^(['"`])((?:\\.|(?!\1).)*)\1\s*[,)]/.exec(call[1]!);
    if (literal && !(literal[1] === '`' && literal[2]!.includes('${'))) ids.push(literal[2]!);
    else dynamic++;
  }
  return { ids, dynamic };
}

/** Imports a service suite and lists the ids it registers, as the harness would see them. */
/** Runs `use` on a temporary copy of the suite as the grader receives it (readSuite), then removes the copy. */
async function withSuiteCopy<T>(rootDir: string, id: string, manifest: ChallengeManifest, use: (dir: string) => Promise<T>): Promise<T> {
  const files = await readSuite(path.resolve(rootDir), id, manifest);
  const copy = await mkdtemp(path.join(os.tmpdir(), 'assay-suite-'));
  try {
    for (const f of files) {
      await mkdir(path.dirname(path.join(copy, f.path)), { recursive: true });
      await writeFile(path.join(copy, f.path), f.content);
    }
    return await use(copy);
  } finally {
    await rm(copy, { recursive: true, force: true });
  }
}

async function registeredServiceTests(entry: string): Promise<{ ids: string[] } | { error: string }> {
  const ids: string[] = [];
  try {
    // A fresh URL each time: a long-lived process (tests, --all) must see the file as it is now.
    const mod = (await import(`${pathToFileURL(entry).href}?validate=${randomUUID()}`)) as { default?: unknown };
    if (typeof mod.default !== 'function') return { error: 'the suite module must export a default function ({ test }) => { ... }' };
    const bad: unknown[] = [];
    await (mod.default as (api: { test: (id: unknown) => void }) => unknown)({
      test: (id: unknown) => {
        if (typeof id === 'string') ids.push(id);
        else bad.push(id);
      },
    });
    if (bad.length) return { error: `test ids must be strings, got ${bad.slice(0, 3).map((b) => JSON.stringify(b) ?? String(b)).join(', ')}` };
  } catch (err) {
    // The author's suite threw while loading: that is the finding, reported with its message.
    return { error: err instanceof Error ? err.message : String(err) };
  }
  return { ids };
}

async function findSolutions(dir: string, problems: string[]): Promise<Solution[]> {
  const solutions: Solution[] = [];
  const referenceDir = path.join(dir, 'reference');
  const references = await subfolders(referenceDir);
  if (references.length === 0) problems.push(`${referenceDir}: no reference solution (each is a subfolder, e.g. reference/node)`);
  for (const name of references) solutions.push({ label: `reference/${name}`, role: 'reference', dir: path.join(referenceDir, name) });

  const starterDir = path.join(dir, 'starter');
  if (await isDirectory(starterDir)) solutions.push({ label: 'starter', role: 'starter', dir: starterDir });
  else problems.push(`${starterDir}: missing (the code candidates start from)`);

  const variantsDir = path.join(dir, 'variants');
  const variantNames = await subfolders(variantsDir);
  for (const name of variantNames) {
    const expectedFile = path.join(variantsDir, `${name}.expected.json`);
    let json: unknown;
    try {
      json = JSON.parse(await readFile(expectedFile, 'utf8'));
    } catch (err) {
      problems.push(`${expectedFile}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : `not valid JSON (${(err as Error).message})`}; every variant needs {"minPercent", "maxPercent"}`);
      continue;
    }
    const parsed = ExpectedRangeSchema.safeParse(json);
    if (!parsed.success) {
      problems.push(...parsed.error.issues.map((i) => `${expectedFile}: ${i.path.join('.') || '(root)'}: ${i.message}`));
      continue;
    }
    solutions.push({ label: `variants/${name}`, role: 'variant', dir: path.join(variantsDir, name), expected: parsed.data });
  }
  for (const f of await listNames(variantsDir)) {
    const m = /^(.+)\.expected\.json$/.exec(f);
    if (m && !variantNames.includes(m[1]!)) problems.push(`${path.join(variantsDir, f)}: no variant folder ${m[1]} next to it`);
  }
  // Without a reference nothing else means anything.
  return references.length === 0 ? [] : solutions;
}

function clampWarnings(limits: Limits, maxima: OperatorMaxima, file: string): string[] {
  const clamped = clampLimits(limits, maxima);
  return (Object.keys(limits) as (keyof Limits)[])
    .filter((k) => clamped[k] !== limits[k])
    .map((k) =>
      k === 'workspaceMb'
        ? `${file}: limits.workspaceMb: ${limits[k]} will be ${clamped[k]} (the workspace tmpfs counts against memory, so it is at most half of memoryMb)`
        : `${file}: limits.${k}: ${limits[k]} is above this operator's maximum and will be clamped to ${clamped[k]} (ASSAY_MAX_* settings)`,
    );
}

function groupGraded(runs: GradingRun[]): Map<string, GradingRun[]> {
  const groups = new Map<string, GradingRun[]>();
  for (const r of runs) {
    if (r.outcome !== 'graded') continue;
    groups.set(r.solution, [...(groups.get(r.solution) ?? []), r]);
  }
  return groups;
}

async function isFile(p: string): Promise<boolean> {
  return stat(p).then((s) => s.isFile(), () => false);
}

async function isDirectory(p: string): Promise<boolean> {
  return stat(p).then((s) => s.isDirectory(), () => false);
}

async function listNames(dir: string): Promise<string[]> {
  return readdir(dir).then((names) => names.sort(), () => []);
}

async function subfolders(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort();
}

/** Challenge folders in a challenges directory: every subfolder holding a challenge.json. */
export async function listChallengeIds(rootDir: string): Promise<string[]> {
  const ids: string[] = [];
  for (const name of await subfolders(rootDir)) if (await isFile(path.join(rootDir, name, 'challenge.json'))) ids.push(name);
  return ids;
}
