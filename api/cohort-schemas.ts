/**
 * Request and response schemas of the cohort endpoints (statistics, exports) and of the
 * reviewer dashboard's query. Strict like api/schemas.ts: an unknown parameter is a 400.
 */
import { z } from 'zod';
import { CohortStatsSchema } from '../runner/cohort/stats.ts';
import { FLAG_CODES } from '../runner/report/schema.ts';
import { SUBMISSION_STATUSES } from '../runner/store/states.ts';

export { CohortStatsSchema };

export const StatsQuerySchema = z.strictObject({
  /** Only this challenge version (e.g. `1.2.0`); every version together when absent. */
  version: z.string().regex(/^\d{1,6}\.\d{1,6}\.\d{1,6}$/, 'a version such as 1.2.0').optional(),
});

export const COHORT_SORTS = ['score', 'rubric', 'total', 'similarity', 'created'] as const;
export type CohortSort = (typeof COHORT_SORTS)[number];

/** An empty value (a form's "all" option, `?flag=`) is the same as none. */
const blankAsAbsent = <S extends z.ZodType>(schema: S) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

/** Which submissions of a challenge, in which order (dashboard and exports). */
export const CohortFilterSchema = z.strictObject({
  /** @defaultValue "all" */
  status: z.enum(['all', ...SUBMISSION_STATUSES]).default('all'),
  /** A flag code, `any` (at least one flag) or `none` (no flag). */
  flag: blankAsAbsent(z.enum(['any', 'none', ...FLAG_CODES])),
  /** `yes`: the current review is submitted; `no`: no review, or a draft. @defaultValue "all" */
  reviewed: z.enum(['all', 'yes', 'no']).default('all'),
  /** Case-insensitive part of the candidate's name, email or external id (identities hidden by anonymous review are not searched). */
  q: blankAsAbsent(z.string().trim().max(200)),
  /** `score`: automated; `rubric`: rubric percent; `total`: weighted total; `similarity`: highest similarity with another submission; `created`: submission time. Submissions without that value come last. @defaultValue "score" */
  sort: z.enum(COHORT_SORTS).default('score'),
  /** @defaultValue "desc" */
  order: z.enum(['asc', 'desc']).default('desc'),
});
export type CohortFilter = z.output<typeof CohortFilterSchema>;

/** Rows per dashboard page. */
export const DASHBOARD_PAGE_SIZE = 50;

export const DashboardQuerySchema = CohortFilterSchema.extend({
  /** 1-based. @defaultValue 1 */
  page: z.coerce.number().int().min(1).max(100_000).default(1),
});
export type DashboardQuery = z.output<typeof DashboardQuerySchema>;

/** Where the report's score stands within its challenge version: the reviewer's report carries it as `cohort` (candidates do not get it). */
export const CohortPositionSchema = z.object({
  /** Percentile rank: the share of graded submissions of the version below this score, plus half of those equal to it. */
  percentile: z.number(),
  /** Graded submissions of the version (their latest run). */
  of: z.number().int(),
  version: z.string(),
});


/** One submission of an export (`submissions.json`); the CSV has the same data, one column per value. */
export const ExportItemSchema = z.object({
  id: z.string(),
  /** Absent when anonymous review hides it from the caller (and `repoUrl` is replaced). */
  candidate: z.object({ name: z.string().optional(), email: z.string().optional(), externalId: z.string().optional() }).optional(),
  repoUrl: z.string(),
  status: z.enum(SUBMISSION_STATUSES),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
  /** The challenge version of the latest report. */
  version: z.string().nullable(),
  score: z.object({ percent: z.number(), points: z.number(), maxPoints: z.number() }).nullable(),
  /** Percent per category of the latest report. */
  categories: z.record(z.string(), z.number()),
  review: z
    .object({
      status: z.enum(['draft', 'submitted']),
      reviewer: z.string(),
      updatedAt: z.string(),
      /** Points per rubric criterion id. */
      criteria: z.record(z.string(), z.number()),
      rubricPercent: z.number(),
      totalPercent: z.number().nullable(),
    })
    .nullable(),
  flags: z.array(z.enum(FLAG_CODES)),
  /** The highest similarity score (Dice, 0-1) with another submission of the challenge; null: no pair above the challenge's threshold. */
  maxSimilarity: z.number().nullable(),
});
export type ExportItem = z.infer<typeof ExportItemSchema>;

export const ExportResponseSchema = z.object({ challenge: z.string(), items: z.array(ExportItemSchema) });

/** The cohort's schemas in the OpenAPI document (api/openapi.ts). */
export const COHORT_DOC_SCHEMAS: Record<string, [z.ZodType, 'input' | 'output']> = {
  CohortStats: [CohortStatsSchema, 'output'],
  CohortExport: [ExportResponseSchema, 'output'],
};
