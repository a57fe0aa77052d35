/**
 * A challenge's cohort for reviewers and admins: `GET /v1/challenges/:id/stats` and the exports
 * `GET /v1/challenges/:id/submissions.csv` and `.json` (the dashboard's filters and order, every
 * page). Candidates and submitters never get other candidates' data here (401/403).
 */
import type { Express, Request, Response } from 'express';
import type { Challenge } from '../../runner/challenges/repository.ts';
import { categoryPercent } from '../../runner/cohort/row.ts';
import { csvLine, type CsvCell } from '../../runner/cohort/csv.ts';
import { principalOf, requireKey } from '../auth.ts';
import { cohortStats, loadChallengeOr404, loadCohortItems, selectCohort, type CohortItem } from '../cohort.ts';
import { CohortFilterSchema, StatsQuerySchema, type ExportItem } from '../cohort-schemas.ts';
import type { AppContext } from '../context.ts';
import { parseOr400 } from '../schemas.ts';

/** One export item from what the cohort knows about a submission. */
export function exportItem({ record, row, review, similarity }: CohortItem): ExportItem {
  return {
    id: record.id,
    ...(record.candidate ? { candidate: record.candidate } : {}),
    repoUrl: record.repoUrl,
    status: record.status,
    createdAt: record.createdAt,
    finishedAt: record.finishedAt ?? null,
    version: row?.version ?? null,
    score: row?.status === 'completed' ? { percent: row.percent, points: row.points, maxPoints: row.maxPoints } : null,
    categories: Object.fromEntries((row?.status === 'completed' ? row.categories : []).map((c) => [c.category, categoryPercent(c)])),
    review: review
      ? {
          status: review.status,
          reviewer: review.reviewer,
          updatedAt: review.updatedAt,
          criteria: Object.fromEntries(review.criteria.map((c) => [c.id, c.points])),
          rubricPercent: review.rubricPercent,
          totalPercent: review.totalPercent,
        }
      : null,
    flags: row?.flags ?? [],
    maxSimilarity: similarity ?? null,
  };
}

/** The CSV columns of a challenge: fixed ones, a column per category and per rubric criterion of its manifest. */
function csvColumns(challenge: Challenge): { header: string[]; cells: (i: ExportItem) => CsvCell[] } {
  const categories = [...new Set(challenge.manifest.tests.map((t) => t.category))];
  const criteria = challenge.manifest.rubric.map((c) => c.id);
  return {
    header: [
      'id', 'candidate_name', 'candidate_email', 'candidate_external_id', 'repo_url', 'status', 'created_at', 'finished_at', 'version',
      'score_percent', 'points', 'max_points', ...categories.map((c) => `category:${c}`),
      'review_status', 'reviewer', ...criteria.map((c) => `rubric:${c}`), 'rubric_percent', 'total_percent', 'flags', 'max_similarity',
    ],
    cells: (i) => [
      i.id, i.candidate?.name, i.candidate?.email, i.candidate?.externalId, i.repoUrl, i.status, i.createdAt, i.finishedAt, i.version,
      i.score?.percent, i.score?.points, i.score?.maxPoints, ...categories.map((c) => i.categories[c]),
      i.review?.status, i.review?.reviewer, ...criteria.map((c) => i.review?.criteria[c]), i.review?.rubricPercent, i.review?.totalPercent, i.flags.join(';'), i.maxSimilarity,
    ],
  };
}

/**
 * Writes a chunk, waiting while the client is slower than Redis (the export never buffers more
 * than a batch). False when the client has gone: the caller stops reading.
 */
async function write(res: Response, chunk: string): Promise<boolean> {
  if (!res.write(chunk)) {
    await new Promise<void>((resolve) => {
      const done = () => {
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      res.on('drain', done);
      res.on('close', done);
    });
  }
  return !res.destroyed;
}

export function cohortRoutes(app: Express, ctx: AppContext): void {
  /** The caller (reviewer or admin), the challenge, and the cohort's ids in the asked order. */
  async function exportSelection(req: Request) {
    // The dashboard links here, so a UI session (reviewer or admin only) opens it too; a GET changes nothing.
    const session = ctx.sessions.read(req);
    const viewer = session ? { name: session.name, role: session.role } : requireKey(principalOf(req, ctx.keyring), ['reviewer', 'admin']);
    const filter = parseOr400(CohortFilterSchema, req.query, 'query');
    const challenge = await loadChallengeOr404(ctx, String(req.params.id));
    const { ids } = await selectCohort(ctx, challenge, filter, viewer);
    return { viewer, challenge, ids };
  }

  function attachment(res: Response, challenge: Challenge, ext: 'csv' | 'json', type: string): void {
    // The challenge id is [a-z0-9-] only, so the file name needs no quoting beyond the quotes.
    const filename = `${challenge.manifest.id}-submissions-${new Date().toISOString().slice(0, 10)}.${ext}`;
    res.status(200).set({ 'Content-Type': type, 'Content-Disposition': `attachment; filename="${filename}"`, 'Cache-Control': 'no-store' });
  }

  app.get('/v1/challenges/:id/stats', async (req, res) => {
    requireKey(principalOf(req, ctx.keyring), ['reviewer', 'admin']);
    const q = parseOr400(StatsQuerySchema, req.query, 'query');
    const challenge = await loadChallengeOr404(ctx, String(req.params.id));
    res.set('Cache-Control', 'no-store').json(await cohortStats(ctx, challenge, q.version ?? null));
  });

  app.get('/v1/challenges/:id/submissions.csv', async (req, res) => {
    const { viewer, challenge, ids } = await exportSelection(req);
    const columns = csvColumns(challenge);
    attachment(res, challenge, 'csv', 'text/csv; charset=utf-8; header=present');
    if (!(await write(res, csvLine(columns.header)))) return;
    for await (const items of loadCohortItems(ctx, challenge, ids, viewer)) {
      if (!(await write(res, items.map((i) => csvLine(columns.cells(exportItem(i)))).join('')))) return;
    }
    res.end();
  });

  app.get('/v1/challenges/:id/submissions.json', async (req, res) => {
    const { viewer, challenge, ids } = await exportSelection(req);
    attachment(res, challenge, 'json', 'application/json; charset=utf-8');
    if (!(await write(res, `{"challenge":${JSON.stringify(challenge.manifest.id)},"items":[`))) return;
    let first = true;
    for await (const items of loadCohortItems(ctx, challenge, ids, viewer)) {
      if (items.length === 0) continue;
      if (!(await write(res, `${first ? '' : ','}${items.map((i) => JSON.stringify(exportItem(i))).join(',')}`))) return;
      first = false;
    }
    res.end(']}');
  });
}
