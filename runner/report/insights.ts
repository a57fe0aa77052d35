/**
 * The `insights` object of a report (schema v2): what a reviewer learns about the submission
 * beyond its score. Each analysis owns one optional key; an analysis that could not run, or ran
 * on part of the input only, says so in `notes` (never by failing the grade). Insights never
 * change the score.
 *
 * Everything here is measured on the candidate's own files (dependencies, build output,
 * vendored and minified files and the challenge's unchanged starter files left out) by trusted
 * analysers in a sandbox (runner/stages/analysis/), or computed on the worker from file paths
 * and sizes only (hygiene), so no candidate code runs outside a sandbox.
 */
import { z } from 'zod';
import { HistorySchema } from './insights-history.ts';
import { OwnTestsSchema } from './insights-tests.ts';

/** The analyses, in the order the reviewer's page shows them; a note names one of them. */
export const INSIGHT_KINDS = ['lint', 'size', 'hygiene', 'diff', 'ownTests', 'history'] as const;
export type InsightKind = (typeof INSIGHT_KINDS)[number];

/**
 * Why an insight is missing or incomplete:
 * - `capped`: the input or the output was larger than a limit; the insight covers part of it;
 * - `partial`: some files could not be analysed (a syntax error, a binary or unreadable file);
 * - `timeout`: the analysis ran out of time; what it has is missing or partial;
 * - `failed`: the analysis could not run (Assay's fault or the analyser's, never the candidate's score);
 * - `skipped`: nothing to analyse (no starter to diff against, no sources in a supported language).
 */
export const INSIGHT_NOTE_CODES = ['capped', 'partial', 'timeout', 'failed', 'skipped'] as const;
export type InsightNoteCode = (typeof INSIGHT_NOTE_CODES)[number];

export const InsightNoteSchema = z.object({
  analysis: z.enum(INSIGHT_KINDS),
  code: z.enum(INSIGHT_NOTE_CODES),
  message: z.string(),
});
export type InsightNote = z.infer<typeof InsightNoteSchema>;

/** Where a finding or a function is: a path relative to the graded directory, 1-based line. */
const LocationShape = { file: z.string(), line: z.number().int() };

export const LINT_SEVERITIES = ['error', 'warning'] as const;
export type LintSeverity = (typeof LINT_SEVERITIES)[number];

export const LintFindingSchema = z.object({
  ...LocationShape,
  column: z.number().int().optional(),
  /** ESLint's rule id (`no-unused-vars`, `@typescript-eslint/no-explicit-any`), Ruff's code as `ruff/F401`; `parse-error` for a file the linter could not parse. */
  rule: z.string(),
  severity: z.enum(LINT_SEVERITIES),
  message: z.string(),
});
export type LintFinding = z.infer<typeof LintFindingSchema>;

export const LintInsightSchema = z.object({
  /** The linters that ran, with the versions the analysis image pins. */
  tools: z.array(z.object({ name: z.string(), version: z.string() })),
  /** The pinned configuration that ships with Assay (sandbox-images/analysis/), by name and version. */
  config: z.string(),
  files: z.number().int(),
  lines: z.number().int(),
  errors: z.number().int(),
  warnings: z.number().int(),
  /** Findings (errors and warnings) per 1,000 lines linted, one decimal. */
  per1000Lines: z.number(),
  /** Every rule that fired, the most frequent first. */
  byRule: z.array(z.object({ rule: z.string(), severity: z.enum(LINT_SEVERITIES), count: z.number().int() })),
  /** The first findings, errors before warnings (at most 25). */
  top: z.array(LintFindingSchema),
});
export type LintInsight = z.infer<typeof LintInsightSchema>;

export const SizeInsightSchema = z.object({
  files: z.number().int(),
  lines: z.number().int(),
  /** Source files only (languages the analyser knows), the most lines first; `lines` counts non-blank lines. */
  byLanguage: z.array(z.object({ language: z.string(), files: z.number().int(), lines: z.number().int() })),
  /** The longest functions (at most 10), by lines from their first to their last. */
  longestFunctions: z.array(z.object({ ...LocationShape, name: z.string(), lines: z.number().int() })),
  /** The functions with the highest cyclomatic complexity (at most 10). */
  mostComplex: z.array(z.object({ ...LocationShape, name: z.string(), complexity: z.number().int() })),
  /** Blocks of identical lines (a window of 6 non-blank, normalised lines) found in more than one place. */
  duplicates: z.object({
    blocks: z.number().int(),
    lines: z.number().int(),
    top: z.array(z.object({ lines: z.number().int(), at: z.array(z.object(LocationShape)) })),
  }),
});
export type SizeInsight = z.infer<typeof SizeInsightSchema>;

/** Things that should not be committed; `paths` lists the top-level ones (at most 10). */
export const COMMITTED_KINDS = ['node_modules', 'virtualenv', 'build_output', 'env_file'] as const;
export const SECRET_KINDS = ['private_key', 'aws_access_key', 'github_token', 'slack_token', 'stripe_key', 'google_api_key', 'npm_token', 'jwt', 'generic_secret'] as const;

export const HygieneInsightSchema = z.object({
  readme: z.object({ present: z.boolean(), file: z.string().optional(), lines: z.number().int().optional(), bytes: z.number().int().optional() }),
  gitignore: z.boolean(),
  /** Lockfiles committed (package-lock.json, yarn.lock, pnpm-lock.yaml, poetry.lock, uv.lock...). */
  lockfiles: z.array(z.string()),
  committed: z.array(z.object({ kind: z.enum(COMMITTED_KINDS), files: z.number().int(), paths: z.array(z.string()) })),
  /** Secret-looking strings, the value masked (its first 4 characters and its length at most). */
  secrets: z.array(z.object({ ...LocationShape, kind: z.enum(SECRET_KINDS), masked: z.string() })),
});
export type HygieneInsight = z.infer<typeof HygieneInsightSchema>;

export const DIFF_FILE_STATUSES = ['added', 'modified', 'removed'] as const;
export const DIFF_SKIP_REASONS = ['binary', 'large', 'generated'] as const;

export const DiffInsightSchema = z.object({
  filesChanged: z.number().int(),
  linesAdded: z.number().int(),
  linesRemoved: z.number().int(),
  files: z.array(
    z.object({
      path: z.string(),
      status: z.enum(DIFF_FILE_STATUSES),
      added: z.number().int(),
      removed: z.number().int(),
      /** Why the patch leaves this file out: a binary, a large file (lines still counted) or a generated one (a lockfile). */
      skipped: z.enum(DIFF_SKIP_REASONS).optional(),
    }),
  ),
  /** The unified diff against the starter, cut at a limit (see `patchCut`). */
  patch: z.string(),
  patchCut: z.boolean(),
});
export type DiffInsight = z.infer<typeof DiffInsightSchema>;

/** The insights a challenge's manifest may show candidates (`insights.showCandidates`); the others are for reviewers only. */
export const CANDIDATE_INSIGHTS = ['lint', 'ownTests'] as const;
export type CandidateInsight = (typeof CANDIDATE_INSIGHTS)[number];

export const InsightsSchema = z.object({
  lint: LintInsightSchema.optional(),
  size: SizeInsightSchema.optional(),
  hygiene: HygieneInsightSchema.optional(),
  diff: DiffInsightSchema.optional(),
  /** The candidate's own tests, run in a sandbox, and the challenge's mutants they catch (./insights-tests.ts). */
  ownTests: OwnTestsSchema.optional(),
  /** The submitted commit's bounded history (./insights-history.ts). */
  history: HistorySchema.optional(),
  /** Capped, partial, timed-out or failed analyses, in words. */
  notes: z.array(InsightNoteSchema),
  /** The insights the candidate's view of this report shows (the grading manifest's `insights.showCandidates`); absent: none. */
  shownToCandidates: z.array(z.enum(CANDIDATE_INSIGHTS)).optional(),
});
export type Insights = z.infer<typeof InsightsSchema>;
