/**
 * The challenge manifest (`challenges/<id>/challenge.json`): the one place where an author
 * declares what a challenge is, its limits and every test's points, category and visibility.
 * The runner scores from this, never from anything a suite or a candidate prints.
 */
import { z } from 'zod';
import { CANDIDATE_INSIGHTS } from '../report/insights.ts';
import { ReviewSettingsSchema, RubricSchema } from '../review/rubric.ts';

export const RUNTIMES = ['node', 'python'] as const;
export type Runtime = (typeof RUNTIMES)[number];

/**
 * `service`: the candidate's service runs in its sandbox and the hidden suite runs in the grader
 * container (black-box HTTP, plus driver calls for unit-level checks). `tests`: the hidden
 * node:test files run inside the candidate's sandbox, in the same process as the candidate's
 * code, so every report of it is flagged `in_process_results`: evidence, unfit for scoring.
 */
export const CHALLENGE_KINDS = ['service', 'tests'] as const;
export type ChallengeKind = (typeof CHALLENGE_KINDS)[number];

const id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes, starting with a letter or digit');

const relativePath = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), 'a relative path inside the challenge folder');

export const TestDeclarationSchema = z.strictObject({
  /** Stable id; the suite reports results under this id (HTTP suites: test(id, fn); node:test: the test name). */
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/),
  /** Human-readable name shown in reports. */
  name: z.string().min(1).max(200),
  category: z.string().min(1).max(60),
  points: z.number().int().min(0).max(1000),
  /** `visible`: the candidate sees the test and its message; `hidden`: only reviewers do. */
  visibility: z.enum(['visible', 'hidden']).default('hidden'),
  /**
   * Shown to the candidate when this test fails, if it is visible (never for hidden tests): what
   * to look at, not the answer. At most 500 characters.
   */
  hint: z.string().trim().min(1).max(500).optional(),
});
export type TestDeclaration = z.infer<typeof TestDeclarationSchema>;

export const LimitsSchema = z.strictObject({
  /** Wall-clock limit of the dependency install step. @defaultValue 120000 */
  installTimeoutMs: z.number().int().positive().default(120_000),
  /** Wall-clock limit of the build step (package.json `build` script), in the sandbox with no network. @defaultValue 120000 */
  buildTimeoutMs: z.number().int().positive().default(120_000),
  /** How long the service may take to accept connections. @defaultValue 10000 */
  startTimeoutMs: z.number().int().positive().default(10_000),
  /** Wall-clock limit of the whole test step. @defaultValue 60000 */
  testTimeoutMs: z.number().int().positive().default(60_000),
  /** Per-test limit inside the HTTP harness. @defaultValue 5000 */
  perTestTimeoutMs: z.number().int().positive().default(5_000),
  /** Memory of the candidate's container (swap is set equal, so no swap). @defaultValue 512 */
  memoryMb: z.number().int().min(32).default(512),
  /** CPU quota of the candidate's container. @defaultValue 1 */
  cpus: z.number().positive().max(64).default(1),
  /** Process/thread limit of the candidate's container. @defaultValue 256 */
  pids: z.number().int().min(16).default(256),
  /** Size of the writable workspace (tmpfs). It counts against memory, so it is clamped to at most half of memoryMb. @defaultValue 128 */
  workspaceMb: z.number().int().min(16).default(128),
  /** Output kept per step (head and tail); more is cut and counted. @defaultValue 65536 */
  outputBytes: z.number().int().min(1024).default(64 * 1024),
});
export type Limits = z.infer<typeof LimitsSchema>;

/**
 * A service the challenge runs beside the candidate's (runner/stages/services/): Postgres or
 * Redis, in the job's network namespace on 127.0.0.1, fresh for every job and removed with it.
 * The candidate's service gets the connection settings in its environment; the suite gets
 * clients (`services.pg`, `services.redis`).
 */
export const ServiceSchema = z.discriminatedUnion('name', [
  z.strictObject({
    name: z.literal('postgres'),
    /** The major version (Debian bookworm's postgresql-15 is the one built). @defaultValue "15" */
    version: z.enum(['15']).default('15'),
    /** The candidate's database (PGDATABASE, the path of DATABASE_URL). @defaultValue "app" */
    database: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'lowercase letters, digits and underscores, not starting with a digit')
      .refine((d) => !['postgres', 'template0', 'template1'].includes(d), 'a name Postgres keeps for itself')
      .default('app'),
  }),
  z.strictObject({
    name: z.literal('redis'),
    /** The major version (Debian bookworm's redis-server 7.0 is the one built). @defaultValue "7" */
    version: z.enum(['7']).default('7'),
  }),
]);
export type ServiceDeclaration = z.infer<typeof ServiceSchema>;
export type ServiceName = ServiceDeclaration['name'];
/** The loopback port each service listens on, in the namespace it shares with the candidate. */
export const SERVICE_PORTS: Readonly<Record<ServiceName, number>> = { postgres: 5432, redis: 6379 };

/**
 * How often a candidate may submit to this challenge (api/attempts.ts). Unset fields fall back to
 * the operator's ASSAY_MAX_ATTEMPTS and ASSAY_ATTEMPT_COOLDOWN_SECONDS (unset there: no limit).
 */
export const AttemptsSchema = z.strictObject({
  /** The most submissions per candidate. */
  max: z.number().int().min(1).max(1000).optional(),
  /** Seconds from one submission of the candidate until the next may be made (0: none). */
  cooldownSeconds: z.number().int().min(0).max(30 * 86_400).optional(),
});
export type AttemptsDeclaration = z.infer<typeof AttemptsSchema>;

/**
 * A known-bad version of some of the challenge's files (a planted bug, put back): the candidate's
 * own tests run with it swapped into their code, and it is caught when they fail on it while
 * passing on the candidate's own code (runner/stages/own-tests/). Insight only: never scored.
 */
export const MutantSchema = z.strictObject({
  id,
  /** What is wrong with it, for reviewers (the bug it plants back). */
  description: z.string().min(1).max(300),
  /**
   * Path in the candidate's workspace (e.g. `src/money.js`) -> path of the known-bad file in the
   * challenge folder (e.g. `mutants/float-cents/src/money.js`). A mutant whose target files the
   * submission does not have is not applicable to it.
   */
  files: z.record(relativePath, relativePath).refine((f) => Object.keys(f).length > 0, 'at least one file'),
});
export type Mutant = z.infer<typeof MutantSchema>;

export const ManifestSchema = z.strictObject({
  $schema: z.string().optional(),
  id,
  title: z.string().min(1).max(200),
  version: z.string().regex(/^\d+\.\d+\.\d+$/, 'semantic version, e.g. 1.0.0'),
  kind: z.enum(CHALLENGE_KINDS),
  runtimes: z.array(z.enum(RUNTIMES)).min(1),
  limits: LimitsSchema.default(LimitsSchema.parse({})),
  install: z
    .strictObject({
      /** `registry`: the install step may reach the package registry; `none`: fully offline. */
      network: z.enum(['none', 'registry']).default('none'),
      /**
       * Node dependencies' install scripts (native addons such as bcrypt build in them).
       * `deny`: none run; the report names the packages that needed theirs. `sandboxed`: they run
       * in the throwaway install container (the candidate's uid and limits, the install network
       * when `network` is `registry`, a C/C++ toolchain and the Node headers), and never the
       * project's own lifecycle scripts. Unset: the operator's ASSAY_INSTALL_SCRIPTS (default deny).
       */
      scripts: z.enum(['deny', 'sandboxed']).optional(),
      /** Python submissions (pip). Unset: wheels only. */
      python: z
        .strictObject({
          /**
           * Allow source distributions. pip then builds them in the install sandbox (with the
           * install network up), running each package's own build code: code from the index, which
           * anyone, a candidate too, can publish. When false, pip installs wheels only, and a
           * package with no wheel for the sandbox's Python fails the install with pip's reason.
           * @defaultValue false
           */
          sdists: z.boolean().default(false),
        })
        .optional(),
    })
    .default({ network: 'none' }),
  service: z
    .strictObject({
      /** The port passed to the candidate as PORT. @defaultValue 8080 */
      port: z.number().int().min(1024).max(65535).default(8080),
      /**
       * Loopback port of Assay's driver (Node only). When set, the driver runs beside the service
       * in the candidate's container, and each test of the suite gets `driver`, which calls the
       * candidate's modules from the grader: unit-level checks whose verdicts are still computed
       * in the grader. Unset: no driver.
       */
      driverPort: z.number().int().min(1024).max(65535).optional(),
    })
    .default({ port: 8080 }),
  /** Postgres and Redis beside the candidate's service (kind "service" only), at most one of each. @defaultValue [] */
  services: z.array(ServiceSchema).default([]),
  suite: z.strictObject({
    /** Folder (in the challenge) holding the hidden suite. */
    dir: relativePath.default('suite'),
    /** service: the harness module; tests: ignored (every *.test.* file in dir runs). */
    entry: relativePath.default('tests.mjs'),
    /** tests kind: where the suite is placed in the candidate's workspace (reserved; candidate files there are dropped). */
    workspacePath: relativePath.default('.assay/tests'),
    /**
     * Other challenges whose suites this one builds on: each is copied into this suite under
     * `include/<id>/` (one level: their own includes are not followed), so a suite can import
     * another's tests and helpers instead of copying them. @defaultValue none
     */
    include: z.array(z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a challenge id')).max(8).default([]),
  }),
  tests: z.array(TestDeclarationSchema).min(1),
  /** Submissions per candidate and the cool-down between them; unset: the operator's defaults. */
  attempts: AttemptsSchema.optional(),
  /** Known-bad versions of the challenge's files, to measure the bugs the candidate's own tests catch (at most 20). @defaultValue [] */
  mutants: z
    .array(MutantSchema)
    .max(20)
    .refine((ms) => new Set(ms.map((m) => m.id)).size === ms.length, 'mutant ids must be unique')
    .default([]),
  starter: z
    .strictObject({
      /** The starter must score strictly below this percentage. @defaultValue 50 */
      maxPercent: z.number().min(0).max(100).default(50),
    })
    .default({ maxPercent: 50 }),
  /** The report's insights (runner/report/insights.ts): reviewers always see all of them; candidates none unless listed here. */
  insights: z
    .strictObject({
      /**
       * Insights summarised in the candidate's view of the report: `lint` (errors, warnings, findings
       * per 1,000 lines, counts by rule, the top findings in their own files). @defaultValue [] (none)
       */
      showCandidates: z.array(z.enum(CANDIDATE_INSIGHTS)).refine((l) => new Set(l).size === l.length, 'listed twice').default([]),
    })
    .default({ showCandidates: [] }),
  /** Similarity across this challenge's submissions (runner/store/similarity.ts), for reviewers only; unset fields: the operator's settings. */
  similarity: z
    .strictObject({
      /** Off for this challenge when false (e.g. every solution is meant to look alike). @defaultValue ASSAY_SIMILARITY */
      enabled: z.boolean().optional(),
      /** Pairs at or above this similarity (0-1) are recorded. @defaultValue ASSAY_SIMILARITY_THRESHOLD */
      threshold: z.number().min(0).max(1).optional(),
      /** Shared fragments shorter than this many lines (on both sides) are not listed; they still count in the score. @defaultValue 3 */
      minFragmentLines: z.number().int().min(1).max(200).optional(),
    })
    .optional(),
  /** Criteria reviewers score by hand beside the automated score (runner/review/rubric.ts). @defaultValue [] */
  rubric: RubricSchema,
  /** How the rubric counts in the weighted total, and anonymous review. @defaultValue {"rubricWeight": 0.3, "anonymous": false} */
  review: ReviewSettingsSchema,
}).superRefine((m, ctx) => {
  checkServices(m, ctx);
  const driverPort = m.service.driverPort;
  if (driverPort === undefined) return;
  // The driver is a Node program that imports the candidate's modules, next to a service.
  if (m.kind !== 'service') ctx.addIssue({ code: 'custom', path: ['service', 'driverPort'], message: 'the driver runs beside a service: only for kind "service"' });
  if (m.runtimes.some((r) => r !== 'node')) ctx.addIssue({ code: 'custom', path: ['service', 'driverPort'], message: 'the driver imports Node modules: runtimes must be ["node"]' });
  if (driverPort === m.service.port) ctx.addIssue({ code: 'custom', path: ['service', 'driverPort'], message: 'must differ from service.port' });
});
export type ChallengeManifest = z.infer<typeof ManifestSchema>;

/** Services run beside a service in the grader's namespace: one of each, ports clear of the candidate's. */
function checkServices(m: { kind: ChallengeKind; service: { port: number; driverPort?: number | undefined }; services: ServiceDeclaration[] }, ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  m.services.forEach((s, i) => {
    if (m.kind !== 'service') ctx.addIssue({ code: 'custom', path: ['services', i], message: 'services run beside a service: only for kind "service"' });
    if (seen.has(s.name)) ctx.addIssue({ code: 'custom', path: ['services', i, 'name'], message: `${s.name} is declared more than once` });
    seen.add(s.name);
    const port = SERVICE_PORTS[s.name];
    if (m.service.port === port) ctx.addIssue({ code: 'custom', path: ['service', 'port'], message: `${port} is ${s.name}'s port in the shared namespace` });
    if (m.service.driverPort === port) ctx.addIssue({ code: 'custom', path: ['service', 'driverPort'], message: `${port} is ${s.name}'s port in the shared namespace` });
  });
}

/** Throws if test ids repeat; zod cannot express uniqueness on its own. */
export function checkUniqueTestIds(manifest: ChallengeManifest): string[] {
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const t of manifest.tests) {
    if (seen.has(t.id)) problems.push(`tests: id "${t.id}" appears more than once`);
    seen.add(t.id);
  }
  return problems;
}
