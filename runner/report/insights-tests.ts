/**
 * `insights.ownTests`: the candidate's own test command, run in a sandbox of its own (no network,
 * the challenge's limits), and `bugsCaught`, how many of the challenge's mutants (known-bad
 * versions of its files) those tests catch. Insights for reviewers: never scored.
 */
import { z } from 'zod';
import { CappedLogSchema } from './capped-log.ts';

/**
 * `passed`: tests ran and none failed. `failed`: at least one failed. `error`: Assay could not
 * judge (a timeout, a memory or output limit, no tests ran, output with no counts and a failing
 * exit). `none`: there is nothing to run (no test script, npm's placeholder, no test files).
 */
export const OWN_TESTS_STATUSES = ['passed', 'failed', 'error', 'none'] as const;
export type OwnTestsStatus = (typeof OWN_TESTS_STATUSES)[number];

/** Whose output the counts were read from; `unknown` when no known summary was printed. */
export const OWN_TEST_RUNNERS = ['node-test', 'jest', 'vitest', 'mocha', 'pytest', 'unittest', 'unknown'] as const;
export type OwnTestRunner = (typeof OWN_TEST_RUNNERS)[number];

/** Who measured the coverage: Node's built-in coverage, c8, an istanbul table (jest, vitest, nyc), coverage.py. */
export const COVERAGE_TOOLS = ['node', 'c8', 'istanbul', 'coverage.py'] as const;

const percent = z.number().min(0).max(100);

export const CoverageSchema = z.object({
  tool: z.enum(COVERAGE_TOOLS),
  /** Percentages over all files the tool measured. */
  lines: percent.optional(),
  branches: percent.optional(),
  functions: percent.optional(),
  statements: percent.optional(),
});
export type Coverage = z.infer<typeof CoverageSchema>;

/**
 * `caught`: the tests failed (or hung, or crashed) with the mutant in place. `missed`: they passed
 * with it. `not_applicable`: the submission has no file at a path the mutant replaces.
 * `not_run`: the budget ran out, or its sandbox could not be started (the reason says which).
 */
export const MUTANT_OUTCOMES = ['caught', 'missed', 'not_applicable', 'not_run'] as const;
export type MutantOutcome = (typeof MUTANT_OUTCOMES)[number];

export const MutantResultSchema = z.object({
  id: z.string(),
  description: z.string(),
  outcome: z.enum(MUTANT_OUTCOMES),
  durationMs: z.number().optional(),
  /** How the test command ended with the mutant in place (runner/sandbox/verdict.ts). */
  verdict: z.string().optional(),
  /** Tests that failed with the mutant, as counted from the output. */
  failed: z.number().int().optional(),
  /** The first few failing tests' names, as printed (untrusted text). */
  failedTests: z.array(z.string()).optional(),
  reason: z.string().optional(),
});
export type MutantResult = z.infer<typeof MutantResultSchema>;

export const BugsCaughtSchema = z.object({
  /** `measured`: the mutants ran; `not_run`: they could not be (see reason), e.g. the tests fail on the candidate's own code. */
  status: z.enum(['measured', 'not_run']),
  caught: z.number().int(),
  /** Mutants that apply to this submission (not_applicable ones are left out). */
  of: z.number().int(),
  reason: z.string().optional(),
  /** Wall-clock time of all mutant runs. */
  durationMs: z.number(),
  details: z.array(MutantResultSchema),
});
export type BugsCaught = z.infer<typeof BugsCaughtSchema>;

export const OwnTestsSchema = z.object({
  status: z.enum(OWN_TESTS_STATUSES),
  /** Why nothing ran, or why the run could not be judged, in words. */
  reason: z.string().optional(),
  /** What ran, as a reviewer would type it (e.g. `npm test`). */
  command: z.string().optional(),
  runner: z.enum(OWN_TEST_RUNNERS).optional(),
  passed: z.number().int().optional(),
  failed: z.number().int().optional(),
  skipped: z.number().int().optional(),
  total: z.number().int().optional(),
  /** Wall-clock time of the test command in its sandbox. */
  durationMs: z.number().optional(),
  /** How the test command ended (runner/sandbox/verdict.ts). */
  verdict: z.string().optional(),
  coverage: CoverageSchema.optional(),
  /** What a reviewer should know about how the tests were run (a fallback runner, no coverage tool...). */
  notes: z.array(z.string()).optional(),
  /** The run's output (capped, obvious secrets removed). */
  log: CappedLogSchema.optional(),
  bugsCaught: BugsCaughtSchema.optional(),
});
export type OwnTests = z.infer<typeof OwnTestsSchema>;

/**
 * What a challenge may show the candidate of their own tests (`insights.showCandidates`): the
 * status, counts, time and coverage. Never the bugs caught (each mutant names a planted bug) nor
 * the output or notes.
 */
export const OwnTestsSummarySchema = OwnTestsSchema.pick({ status: true, reason: true, command: true, runner: true, passed: true, failed: true, skipped: true, total: true, durationMs: true, coverage: true });
export type OwnTestsSummary = z.infer<typeof OwnTestsSummarySchema>;

export function ownTestsSummary(own: OwnTests): OwnTestsSummary {
  const { bugsCaught: _bugs, log: _log, notes: _notes, verdict: _verdict, ...summary } = own;
  return summary;
}
