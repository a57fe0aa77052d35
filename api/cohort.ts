/**
 * A challenge's cohort as reviewers read it: statistics from the cohort rows, and its
 * submissions joined with their rows, current reviews and similarity, filtered, searched and
 * sorted for the dashboard and the exports.
 *
 * Cost: one pass over the challenge's submissions in batches of SCAN_BATCH (records, rows and
 * reviews by batch), keeping only a small entry per submission to sort; pages and exports then
 * load their submissions again in batches, so an export never holds more than a batch of records.
 * Anonymous review applies before the search, so a hidden identity cannot be found by searching.
 */
import type { Challenge } from '../runner/challenges/repository.ts';
import { cohortRow, type CohortRow } from '../runner/cohort/row.ts';
import { CohortAccumulator, type CohortStats } from '../runner/cohort/stats.ts';
import type { Report } from '../runner/report/schema.ts';
import type { Review } from '../runner/review/review.ts';
import type { CohortPosition } from '../runner/store/cohort.ts';
import type { SubmissionRecord } from '../runner/store/submissions.ts';
import { anonymise, identityHidden, type Viewer } from './anonymity.ts';
import type { CohortFilter } from './cohort-schemas.ts';
import type { AppContext } from './context.ts';
import { ApiError, toApiError } from './errors.ts';
import { ChallengeIdSchema } from './schemas.ts';

const SCAN_BATCH = 500;

/** A submission as the viewer may see it, with what the cohort knows about it. */
export interface CohortItem {
  /** Anonymised when `hidden`. */
  record: SubmissionRecord;
  /** Anonymous review hides the candidate's identity from this viewer. */
  hidden: boolean;
  row?: CohortRow;
  review?: Review;
  /** Highest similarity score (0-1) with another submission of the challenge; absent: no pair above the threshold. */
  similarity?: number;
}

/** The challenge, or 404 (also for an id that cannot be one). */
export async function loadChallengeOr404(ctx: AppContext, id: string): Promise<Challenge> {
  if (!ChallengeIdSchema.safeParse(id).success) throw new ApiError('NOT_FOUND', 'no such challenge');
  return ctx.challenges.load(id).catch((err: unknown) => {
    throw toApiError(err).error.code === 'UNKNOWN_CHALLENGE' ? new ApiError('NOT_FOUND', 'no such challenge') : err;
  });
}

/** Statistics of the challenge (one version, or all), from the cohort rows. */
export async function cohortStats(ctx: AppContext, challenge: Challenge, version: string | null): Promise<CohortStats> {
  const id = challenge.manifest.id;
  await ctx.store.cohort.backfill(id);
  const acc = new CohortAccumulator(id, version);
  for await (const rows of ctx.store.cohort.rows(id)) for (const row of rows) acc.add(row);
  return acc.result(challenge.manifest.tests);
}

/** Where a graded report stands within its challenge version; undefined for a report that was not graded. */
export async function cohortPosition(ctx: AppContext, report: Report): Promise<CohortPosition | undefined> {
  if (report.status !== 'completed') return undefined;
  return ctx.store.cohort.position(report.challenge.id, report.challenge.version, report.score.percent);
}

/** The report with its cohort position (reviewers' view; reports are stored immutable, so it is added when read). */
export async function withCohortPosition<R extends Report>(ctx: AppContext, report: R): Promise<R & { cohort?: CohortPosition }> {
  const cohort = await cohortPosition(ctx, report);
  return cohort ? { ...report, cohort } : report;
}

/** Page data with the cohort position of its report (the reviewer's report page). */
export async function withCohort<D extends { report?: Report | undefined }>(ctx: AppContext, data: D): Promise<D & { cohort?: CohortPosition }> {
  const cohort = data.report ? await cohortPosition(ctx, data.report) : undefined;
  return cohort ? { ...data, cohort } : data;
}

/** Joins records of one challenge with their rows, reviews and similarity, as `viewer` may see them. */
async function enrich(ctx: AppContext, challenge: Challenge, records: readonly SubmissionRecord[], viewer: Viewer): Promise<CohortItem[]> {
  const ids = records.map((r) => r.id);
  const [rows, reviews, similarity] = await Promise.all([ctx.store.cohort.getMany(challenge.manifest.id, ids), ctx.store.reviews.currentMany(ids), ctx.store.similarity.maxScoreFor(ids)]);
  const items: CohortItem[] = [];
  for (const [i, record] of records.entries()) {
    const review = reviews.get(record.id);
    const hidden = identityHidden(challenge.manifest.review, viewer, review);
    const similar = similarity.get(record.id);
    items.push({ record: hidden ? anonymise(record) : record, hidden, ...withRow(await currentRow(ctx, record, rows[i])), ...(review ? { review } : {}), ...(similar !== undefined ? { similarity: similar } : {}) });
  }
  return items;
}

const withRow = (row: CohortRow | undefined) => (row ? { row } : {});

/**
 * The row of the record's latest report, rebuilt from the report when it is missing or older
 * (a lost write, or a submission graded before rows existed).
 */
async function currentRow(ctx: AppContext, record: SubmissionRecord, row: CohortRow | undefined): Promise<CohortRow | undefined> {
  const latestRun = record.reportRuns.at(-1);
  if (latestRun === undefined || (row && row.run >= latestRun)) return row;
  const latest = await ctx.store.latestReport(record.id);
  if (!latest) return row;
  await ctx.store.cohort.put(latest.report, latest.run);
  return cohortRow(latest.report, latest.run);
}

function matches(item: CohortItem, f: CohortFilter): boolean {
  const { record, row, review } = item;
  if (f.status !== 'all' && record.status !== f.status) return false;
  const flags = row?.flags ?? [];
  if (f.flag === 'any' && flags.length === 0) return false;
  if (f.flag === 'none' && flags.length > 0) return false;
  if (f.flag && f.flag !== 'any' && f.flag !== 'none' && !flags.includes(f.flag)) return false;
  const reviewed = review?.status === 'submitted';
  if ((f.reviewed === 'yes' && !reviewed) || (f.reviewed === 'no' && reviewed)) return false;
  if (f.q) {
    const needle = f.q.toLowerCase();
    const c = record.candidate;
    if (![c?.name, c?.email, c?.externalId].some((v) => v?.toLowerCase().includes(needle))) return false;
  }
  return true;
}

/** The value a submission is sorted by (undefined: it has none and comes last). */
function sortValue(item: CohortItem, sort: CohortFilter['sort']): number | undefined {
  switch (sort) {
    case 'score':
      return item.record.score?.percent;
    case 'rubric':
      return item.review?.rubricPercent;
    case 'total':
      return item.review?.totalPercent ?? undefined;
    case 'created':
      return Date.parse(item.record.createdAt);
    case 'similarity':
      return item.similarity;
  }
}

interface Entry {
  id: string;
  value: number | undefined;
  created: number;
}

/** Every record of the challenge, newest first, a batch at a time. */
async function* challengeRecords(ctx: AppContext, challenge: string): AsyncGenerator<SubmissionRecord[]> {
  let cursor: string | undefined;
  for (;;) {
    const page = await ctx.store.list({ challenge, sort: 'createdAt', order: 'desc', limit: SCAN_BATCH, ...(cursor ? { cursor } : {}) });
    if (page.items.length) yield page.items;
    if (!page.nextCursor || page.items.length < SCAN_BATCH) return;
    cursor = page.nextCursor;
  }
}

/** The ids of the challenge's submissions that pass the filter, in its order. Ties: newest first. */
export async function selectCohort(ctx: AppContext, challenge: Challenge, filter: CohortFilter, viewer: Viewer): Promise<{ ids: string[]; busy: boolean }> {
  const entries: Entry[] = [];
  let busy = false;
  for await (const records of challengeRecords(ctx, challenge.manifest.id)) {
    for (const item of await enrich(ctx, challenge, records, viewer)) {
      if (!matches(item, filter)) continue;
      if (item.record.status === 'queued' || item.record.status === 'running') busy = true;
      entries.push({ id: item.record.id, value: sortValue(item, filter.sort), created: Date.parse(item.record.createdAt) });
    }
  }
  const sign = filter.order === 'asc' ? 1 : -1;
  entries.sort((a, b) => {
    if (a.value === undefined || b.value === undefined) return a.value === b.value ? b.created - a.created : a.value === undefined ? 1 : -1;
    return sign * (a.value - b.value) || b.created - a.created;
  });
  return { ids: entries.map((e) => e.id), busy };
}

/** The submissions `ids` (of one challenge) with their cohort data, in the same order, a batch at a time. */
export async function* loadCohortItems(ctx: AppContext, challenge: Challenge, ids: readonly string[], viewer: Viewer): AsyncGenerator<CohortItem[]> {
  for (let i = 0; i < ids.length; i += SCAN_BATCH) {
    const records = (await ctx.store.getMany(ids.slice(i, i + SCAN_BATCH))).filter((r): r is SubmissionRecord => r !== undefined);
    yield enrich(ctx, challenge, records, viewer);
  }
}
