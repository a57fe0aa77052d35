/**
 * Statistics of a challenge's cohort, computed from cohort rows (./row.ts) one at a time, so a
 * caller can stream rows out of Redis and keep only numbers: the scores (for percentiles),
 * grading times, and counters per test and per flag.
 *
 * Definitions (also in docs/api.md):
 * - Only graded (`completed`) rows count in the score, test and flag figures; rows that could
 *   not be graded are counted as `failed` and nothing else.
 * - Histogram: ten fixed bins of 10 points, [0,10), [10,20) … [90,100]; 100 falls in the last.
 * - Percentiles p25/p50/p75/p90: linear interpolation between the sorted scores (the usual
 *   "type 7" of R and NumPy's default).
 * - Percentile rank of a score: the share of the cohort below it plus half of those equal to it
 *   (mid-rank), in percent; a lone submission is at 50.
 */
import { z } from 'zod';
import { FLAG_CODES, type FlagCode } from '../report/schema.ts';
import type { CohortRow } from './row.ts';

export const HISTOGRAM_BIN_WIDTH = 10;
const BINS = 100 / HISTOGRAM_BIN_WIDTH;

export const CohortStatsSchema = z.object({
  challenge: z.string(),
  /** The version asked for; null: every version together. */
  version: z.string().nullable(),
  /** The versions that have rows, newest first, with their graded submissions. */
  versions: z.array(z.object({ version: z.string(), count: z.number().int() })),
  /** Graded submissions (their latest run). */
  count: z.number().int(),
  /** Submissions whose latest run could not be graded (not in the figures below). */
  failed: z.number().int(),
  score: z
    .object({ min: z.number(), max: z.number(), mean: z.number(), p25: z.number(), p50: z.number(), p75: z.number(), p90: z.number() })
    .nullable(),
  /** Ten bins of 10 points: `from` inclusive, `to` exclusive except for the last (which holds 100). */
  histogram: z.array(z.object({ from: z.number(), to: z.number(), count: z.number().int() })),
  /** One entry per test that ran, in the challenge's order (tests the manifest no longer has come last, by id). */
  tests: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      category: z.string().nullable(),
      runs: z.number().int(),
      passed: z.number().int(),
      passPercent: z.number(),
      /** `all_passed` / `all_failed`: every graded submission that ran it agrees (a test to look at); null otherwise. */
      uniform: z.enum(['all_passed', 'all_failed']).nullable(),
    }),
  ),
  /** Median of the graded runs' grading times; null without any. */
  gradingTimeMs: z.object({ median: z.number() }).nullable(),
  /** How many graded submissions carry each flag, most frequent first. */
  flags: z.array(z.object({ code: z.enum(FLAG_CODES), count: z.number().int(), percent: z.number() })),
});
export type CohortStats = z.infer<typeof CohortStatsSchema>;

const round1 = (n: number) => Math.round(n * 10) / 10;

/** The p-quantile (0..1) of ascending numbers by linear interpolation; undefined for none. */
export function quantile(sortedAsc: readonly number[], p: number): number | undefined {
  const n = sortedAsc.length;
  if (n === 0) return undefined;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const low = sortedAsc[lo] as number;
  const high = sortedAsc[Math.min(lo + 1, n - 1)] as number;
  return low + (h - lo) * (high - low);
}

/** Percentile rank (mid-rank, percent, one decimal) of `score` among `below` lower and `equal` equal scores of `total`. */
export function percentileRankFromCounts(below: number, equal: number, total: number): number {
  return total === 0 ? 0 : round1(((below + equal / 2) / total) * 100);
}

/** Percentile rank of `score` within `scores` (see percentileRankFromCounts). */
export function percentileRank(scores: readonly number[], score: number): number {
  const below = scores.filter((s) => s < score).length;
  const equal = scores.filter((s) => s === score).length;
  return percentileRankFromCounts(below, equal, scores.length);
}

/** The bin (0..9) a score percent falls in. */
export function histogramBin(percent: number): number {
  return Math.min(BINS - 1, Math.max(0, Math.floor(percent / HISTOGRAM_BIN_WIDTH)));
}

/** What the challenge says about a test (its current manifest), to name and order the rows. */
export interface TestInfo {
  id: string;
  name: string;
  category: string;
}

/** Adds rows one by one; `result()` gives the statistics. Rows of other versions than `version` (when set) are skipped but counted in `versions`. */
export class CohortAccumulator {
  private readonly scores: number[] = [];
  private readonly durations: number[] = [];
  private readonly bins = new Array<number>(BINS).fill(0);
  private readonly tests = new Map<string, { runs: number; passed: number }>();
  private readonly flags = new Map<FlagCode, number>();
  private readonly versions = new Map<string, number>();
  private failed = 0;

  constructor(private readonly challenge: string, private readonly version: string | null = null) {}

  add(row: CohortRow): void {
    if (row.status === 'completed') this.versions.set(row.version, (this.versions.get(row.version) ?? 0) + 1);
    else if (!this.versions.has(row.version)) this.versions.set(row.version, 0);
    if (this.version !== null && row.version !== this.version) return;
    if (row.status !== 'completed') {
      this.failed++;
      return;
    }
    this.scores.push(row.percent);
    this.bins[histogramBin(row.percent)]! += 1;
    if (row.durationMs !== undefined) this.durations.push(row.durationMs);
    for (const id of row.passed) this.countTest(id, true);
    for (const id of row.notPassed) this.countTest(id, false);
    for (const code of row.flags) this.flags.set(code, (this.flags.get(code) ?? 0) + 1);
  }

  private countTest(id: string, passed: boolean): void {
    const t = this.tests.get(id) ?? { runs: 0, passed: 0 };
    t.runs++;
    if (passed) t.passed++;
    this.tests.set(id, t);
  }

  /** The statistics; `tests` names and orders the per-test rows (the challenge's current tests). */
  result(tests: readonly TestInfo[] = []): CohortStats {
    const sorted = [...this.scores].sort((a, b) => a - b);
    const count = sorted.length;
    const q = (p: number) => round1(quantile(sorted, p) as number);
    const known = new Map(tests.map((t, i) => [t.id, { ...t, order: i }]));
    const median = quantile([...this.durations].sort((a, b) => a - b), 0.5);
    return {
      challenge: this.challenge,
      version: this.version,
      versions: [...this.versions].map(([version, n]) => ({ version, count: n })).sort((a, b) => compareVersionsDesc(a.version, b.version)),
      count,
      failed: this.failed,
      score: count === 0 ? null : { min: sorted[0]!, max: sorted[count - 1]!, mean: round1(sorted.reduce((s, x) => s + x, 0) / count), p25: q(0.25), p50: q(0.5), p75: q(0.75), p90: q(0.9) },
      histogram: this.bins.map((n, i) => ({ from: i * HISTOGRAM_BIN_WIDTH, to: (i + 1) * HISTOGRAM_BIN_WIDTH, count: n })),
      tests: [...this.tests]
        .map(([id, t]) => {
          const info = known.get(id);
          return {
            id,
            name: info?.name ?? id,
            category: info?.category ?? null,
            runs: t.runs,
            passed: t.passed,
            passPercent: round1((t.passed / t.runs) * 100),
            uniform: t.passed === t.runs ? ('all_passed' as const) : t.passed === 0 ? ('all_failed' as const) : null,
            order: info?.order ?? Number.MAX_SAFE_INTEGER,
          };
        })
        .sort((a, b) => a.order - b.order || a.id.localeCompare(b.id))
        .map(({ order: _order, ...t }) => t),
      gradingTimeMs: median === undefined ? null : { median: Math.round(median) },
      flags: [...this.flags]
        .map(([code, n]) => ({ code, count: n, percent: round1((n / count) * 100) }))
        .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code)),
    };
  }
}

/** Semantic versions (x.y.z), newest first; anything else after them, by text. */
export function compareVersionsDesc(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pb[i] ?? 0) - (pa[i] ?? 0);
    if (Number.isFinite(d) && d !== 0) return d;
  }
  return b.localeCompare(a);
}
