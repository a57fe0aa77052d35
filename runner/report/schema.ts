/**
 * The versioned report schema (v2: v1 plus `insights`). Reports are stored, served by the API
 * and rendered for reviewers; the OpenAPI document is generated from these same schemas.
 * Reports stored as v1 stay readable: they parse with this schema (no `insights`).
 */
import { z } from 'zod';
// First, so that it is initialised before ./insights.ts, whose schemas use it, is evaluated.
import { CappedLogSchema } from './capped-log.ts';
import { InsightsSchema } from './insights.ts';

export { CappedLogSchema };

export const REPORT_SCHEMA_VERSION = 2;

export const TEST_STATUSES = ['passed', 'failed', 'error', 'timeout', 'skipped'] as const;
export type TestStatus = (typeof TEST_STATUSES)[number];

/** In the order they run; `build` only for projects with a build script. */
export const STEP_NAMES = ['fetch', 'pack', 'install', 'build', 'start', 'test'] as const;
export type StepName = (typeof STEP_NAMES)[number];

export const STEP_STATUSES = ['passed', 'failed', 'skipped'] as const;

export const FLAG_CODES = [
  'tests_tampered',
  'unknown_tests',
  'resource_limit',
  'no_tests_ran',
  'files_dropped',
  'service_crashed',
  /** The service (or the driver) stopped answering; the remaining tests failed without waiting. */
  'service_unresponsive',
  /** A process of the candidate wrote more output than the cap, so its container was stopped. */
  'output_limit',
  /** A "tests" challenge: the results come from the candidate's own process (evidence, unfit for scoring). */
  'in_process_results',
  /** Results that could not be trusted (a cut result channel, a skipped check, a test reported twice...) were voided. */
  'results_voided',
  /** The candidate's container stopped while it was being graded: its own code ended it. */
  'sandbox_stopped',
  /** A runtime version the submission asks for (engines.node, .nvmrc, requires-python...) could not be met or read. */
  'runtime_version',
  /** Dependencies that build native addons needed their install scripts, which the challenge does not run (`install.scripts: "deny"`); the message names them. */
  'install_scripts_needed',
] as const;
export type FlagCode = (typeof FLAG_CODES)[number];

/**
 * Flags whose message the candidate sees too (in their view of the report): each is written
 * for them, says what to change, and names nothing of the hidden suite. The others reach the
 * candidate as a code only.
 */
export const CANDIDATE_FLAG_MESSAGES: readonly FlagCode[] = ['runtime_version', 'install_scripts_needed', 'resource_limit', 'output_limit', 'service_crashed', 'sandbox_stopped'];

/**
 * Steps whose log is the candidate's own output (their install, build and service), so the end
 * of it explains a failure to them. The test step's log is the grader's: never shown to them.
 */
export const CANDIDATE_LOG_STEPS: readonly StepName[] = ['install', 'build', 'start'];

export const ScoreSchema = z.object({
  points: z.number(),
  maxPoints: z.number(),
  percent: z.number(),
});
export type Score = z.infer<typeof ScoreSchema>;

export const TestResultSchema = z.object({
  id: z.string(),
  name: z.string(),
  category: z.string(),
  status: z.enum(TEST_STATUSES),
  points: z.number(),
  maxPoints: z.number(),
  message: z.string().optional(),
  durationMs: z.number().optional(),
  visibility: z.enum(['visible', 'hidden']),
});
export type TestResult = z.infer<typeof TestResultSchema>;

export const StepSchema = z.object({
  name: z.enum(STEP_NAMES),
  status: z.enum(STEP_STATUSES),
  /** How the step's process ended (see runner/sandbox/verdict.ts). */
  verdict: z.string().optional(),
  exitCode: z.number().nullable().optional(),
  durationMs: z.number(),
  /** Why the step failed or was skipped, in words. */
  reason: z.string().optional(),
  log: CappedLogSchema.optional(),
});
export type Step = z.infer<typeof StepSchema>;

export const FlagSchema = z.object({ code: z.enum(FLAG_CODES), message: z.string() });
export type Flag = z.infer<typeof FlagSchema>;

export const ReportErrorSchema = z.object({
  code: z.string(),
  message: z.string(),
  /** `submission`: the submission could not be graded as given; `platform`: Assay failed (never the candidate's fault). */
  fault: z.enum(['submission', 'platform']),
});
export type ReportError = z.infer<typeof ReportErrorSchema>;

export const ImageUsedSchema = z.object({
  tag: z.string(),
  id: z.string(),
  /** The runtime's exact version in this image (e.g. Node.js `22.23.5`), where the image manifest says. */
  version: z.string().optional(),
});

/** A service the challenge ran beside the candidate's (Postgres, Redis), fresh for this run. */
export const ServiceUsedSchema = z.object({
  name: z.string(),
  version: z.string(),
  image: ImageUsedSchema,
  /** When its container was asked for (ISO 8601). */
  startedAt: z.string(),
  /** From that moment until it accepted logins. */
  readyMs: z.number(),
});
export type ServiceUsed = z.infer<typeof ServiceUsedSchema>;

/** A restart of the candidate's service that the suite asked for (a persistence check). */
export const RestartSchema = z.object({
  /** The test that asked. */
  test: z.string(),
  ok: z.boolean(),
  /** Until the old process was gone (SIGTERM, then SIGKILL after the grace period). */
  stopMs: z.number().optional(),
  /** From the request until the new process accepted connections (or the restart failed). */
  durationMs: z.number(),
  reason: z.string().optional(),
});
export type Restart = z.infer<typeof RestartSchema>;

export const ReportSchema = z.object({
  schemaVersion: z.union([z.literal(1), z.literal(REPORT_SCHEMA_VERSION)]),
  submissionId: z.string(),
  attempt: z.number().int(),
  challenge: z.object({ id: z.string(), version: z.string(), suiteHash: z.string() }),
  repoUrl: z.string(),
  ref: z.string(),
  /** The subdirectory of the repository that was graded (the submission's `path`); absent: the root. */
  path: z.string().optional(),
  commit: z.string().nullable(),
  /** `completed`: graded (the score says how well); `failed`: could not be graded (see error). */
  status: z.enum(['completed', 'failed']),
  runtime: z.enum(['node', 'python']).nullable(),
  score: ScoreSchema,
  categories: z.array(z.object({ category: z.string(), points: z.number(), maxPoints: z.number() })),
  tests: z.array(TestResultSchema),
  steps: z.array(StepSchema),
  flags: z.array(FlagSchema),
  error: ReportErrorSchema.optional(),
  resources: z.object({
    oomKilled: z.boolean(),
    memoryLimitMb: z.number(),
    cpus: z.number(),
    pidsLimit: z.number(),
    /** Peak memory of the candidate's container (install, service and tests together), where the kernel reports it. */
    memoryPeakMb: z.number().optional(),
  }),
  timings: z.record(z.string(), z.number()),
  runner: z.object({ version: z.string(), workerId: z.string(), images: z.record(z.string(), ImageUsedSchema) }),
  /** The challenge's services (Postgres, Redis) of this run, when it declares any. */
  services: z.array(ServiceUsedSchema).optional(),
  /** Restarts of the candidate's service the suite asked for, in order. */
  restarts: z.array(RestartSchema).optional(),
  /** v2: what reviewers learn beyond the score (runner/report/insights.ts); absent in v1 reports and when no analysis ran. */
  insights: InsightsSchema.optional(),
  startedAt: z.string(),
  finishedAt: z.string(),
});
export type Report = z.infer<typeof ReportSchema>;
