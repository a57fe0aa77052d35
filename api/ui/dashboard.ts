/**
 * The reviewer dashboard of a challenge (`/ui/challenges/:id`): its submissions with score,
 * flags, similarity and review, filtered (status, flag, reviewed), searched by candidate, sorted
 * by any score, a page at a time; links keep the filters. Every candidate string goes through
 * `text()` inside `html`.
 */
import type { Challenge } from '../../runner/challenges/repository.ts';
import { FLAG_CODES } from '../../runner/report/schema.ts';
import { SUBMISSION_STATUSES } from '../../runner/store/states.ts';
import { HIDDEN, type Viewer } from '../anonymity.ts';
import { loadCohortItems, selectCohort, type CohortItem } from '../cohort.ts';
import type { AppContext } from '../context.ts';
import { COHORT_SORTS, DASHBOARD_PAGE_SIZE, DashboardQuerySchema, type CohortSort, type DashboardQuery } from '../cohort-schemas.ts';
import { html, layout, text, type LayoutOptions, type SafeHtml } from './html.ts';
import { badge, candidateLabel, duration, pct } from './pages.ts';

type User = NonNullable<LayoutOptions['user']>;

export interface DashboardData {
  challenge: Challenge;
  query: DashboardQuery;
  /** The submissions of this page, in order. */
  items: CohortItem[];
  /** How many submissions match the filters (all pages). */
  matching: number;
  /** Something matching is queued or running: the page refreshes itself. */
  busy: boolean;
}

const SORT_LABELS: Record<CohortSort, string> = { score: 'automated score', rubric: 'rubric score', total: 'weighted total', similarity: 'similarity', created: 'submitted' };
const DEFAULTS = DashboardQuerySchema.parse({});

/** The dashboard's address with `query`'s non-default values (so a link keeps the filters). */
export function dashboardHref(challengeId: string, query: DashboardQuery): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== '' && v !== DEFAULTS[k as keyof DashboardQuery]) params.set(k, String(v));
  }
  const qs = params.toString();
  return `/ui/challenges/${encodeURIComponent(challengeId)}${qs ? `?${qs}` : ''}`;
}

function select(name: string, label: string, options: readonly string[], current: string | undefined, labels: Record<string, string> = {}): SafeHtml {
  return html`<label>${label} <select name="${name}" id="f-${name}">${options.map((o) => html`<option value="${o}"${o === (current ?? '') ? ' selected' : ''}>${labels[o] ?? (o || 'all')}</option>`)}</select></label>`;
}

function filterForm(d: DashboardData): SafeHtml {
  const q = d.query;
  return html`<form method="get" class="filters" data-testid="filters" aria-label="Filter and sort">
${select('status', 'Status', ['all', ...SUBMISSION_STATUSES], q.status)}
${select('flag', 'Flag', ['', 'any', 'none', ...FLAG_CODES], q.flag, { '': 'all', any: 'any flag', none: 'no flag' })}
${select('reviewed', 'Reviewed', ['all', 'yes', 'no'], q.reviewed)}
<label>Candidate <input type="search" name="q" id="f-q" value="${q.q ?? ''}" maxlength="200" placeholder="name, email or id" size="22"></label>
${select('sort', 'Sort by', COHORT_SORTS, q.sort, SORT_LABELS)}
${select('order', 'Order', ['desc', 'asc'], q.order, { desc: 'high to low / newest', asc: 'low to high / oldest' })}
<button type="submit">Apply</button> <a href="${dashboardHref(d.challenge.manifest.id, DEFAULTS)}">Reset</a></form>`;
}

/** A column header that sorts by `sort` (and flips the order when it already does). */
function sortHeader(d: DashboardData, sort: CohortSort, label: string): SafeHtml {
  const active = d.query.sort === sort;
  const order = active && d.query.order === 'desc' ? 'asc' : 'desc';
  return html`<th class="num"${active ? html` aria-sort="${d.query.order === 'asc' ? 'ascending' : 'descending'}"` : ''}><a href="${dashboardHref(d.challenge.manifest.id, { ...d.query, sort, order, page: 1 })}">${label}${active ? (d.query.order === 'asc' ? ' ▲' : ' ▼') : ''}</a></th>`;
}

function reviewCell(item: CohortItem): SafeHtml {
  const r = item.review;
  if (!r) return html`<span class="muted">none</span>`;
  return html`${badge(r.status === 'submitted' ? 'ok' : 'queued', r.status)} <span class="muted">${text(r.reviewer)}</span>`;
}

function row(d: DashboardData, item: CohortItem, rank: number): SafeHtml {
  const { record: r, row: cohort, review } = item;
  const flags = cohort?.flags ?? [];
  return html`<tr data-id="${r.id}"><td class="num">${rank}</td><td>${item.hidden ? html`<span class="muted">${HIDDEN}</span>` : candidateLabel(r)}</td><td>${badge(r.status, r.status)}${r.status === 'running' ? html` <span class="muted">${r.stage}</span>` : ''}</td>
<td class="num" data-col="score">${r.score ? html`<strong>${pct(r.score.percent)}</strong> <span class="muted">${r.score.points}/${r.score.maxPoints}</span>` : '—'}</td>
<td data-col="flags">${flags.length ? flags.map((f) => html`${badge('bad', f)} `) : html`<span class="muted">—</span>`}</td>
<td class="num" data-col="similarity">${item.similarity === undefined ? '—' : pct(item.similarity * 100)}</td>
<td data-col="review">${reviewCell(item)}</td><td class="num" data-col="rubric">${review ? pct(review.rubricPercent) : '—'}</td><td class="num" data-col="total">${review?.totalPercent != null ? pct(review.totalPercent) : '—'}</td>
<td class="num">${duration(r.durationMs)}</td><td>${r.createdAt.replace('T', ' ').slice(0, 19)}</td>
<td><a href="/ui/submissions/${encodeURIComponent(r.id)}">report</a></td></tr>`;
}

function pager(d: DashboardData): SafeHtml {
  const pages = Math.max(1, Math.ceil(d.matching / DASHBOARD_PAGE_SIZE));
  const page = d.query.page;
  const link = (n: number, label: string, rel: string) => html`<a rel="${rel}" href="${dashboardHref(d.challenge.manifest.id, { ...d.query, page: n })}">${label}</a>`;
  return html`<nav class="filters" aria-label="Pages" data-testid="pager">${page > 1 ? link(page - 1, '← previous', 'prev') : ''} <span>page ${Math.min(page, pages)} of ${pages}</span> ${page < pages ? link(page + 1, 'next →', 'next') : ''}</nav>`;
}

export function dashboardPage(nonce: string, user: User, d: DashboardData): SafeHtml {
  const { manifest } = d.challenge;
  const first = (d.query.page - 1) * DASHBOARD_PAGE_SIZE;
  const filtered = d.query.status !== 'all' || d.query.flag !== undefined || d.query.reviewed !== 'all' || Boolean(d.query.q);
  return layout(
    { title: manifest.title, nonce, user, ...(d.busy ? { refreshSeconds: 5 } : {}) },
    html`<h1>${manifest.title} <span class="muted">v${manifest.version}</span></h1>
<section>${filterForm(d)}
<p class="muted"><span data-testid="matching">${d.matching}</span> submission${d.matching === 1 ? '' : 's'}${filtered ? ' match' : ''} · <a href="/ui/challenges/${encodeURIComponent(manifest.id)}/stats">statistics</a> · <a href="/ui/challenges/${encodeURIComponent(manifest.id)}/similarity">similar pairs</a> · export <a href="${exportHref(manifest.id, d.query, 'csv')}">CSV</a> <a href="${exportHref(manifest.id, d.query, 'json')}">JSON</a>${d.busy ? html` · refreshing while submissions are queued or running` : ''}</p>
${d.items.length === 0
      ? html`<p class="muted">No submissions${filtered ? ' match these filters' : ' yet'}.</p>`
      : html`<table><thead><tr><th class="num">#</th><th>Candidate</th><th>Status</th>${sortHeader(d, 'score', 'Score')}<th>Flags</th>${sortHeader(d, 'similarity', 'Similarity')}<th>Review</th>${sortHeader(d, 'rubric', 'Rubric')}${sortHeader(d, 'total', 'Total')}<th class="num">Duration</th>${sortHeader(d, 'created', 'Submitted')}<th></th></tr></thead><tbody>
${d.items.map((item, i) => row(d, item, first + i + 1))}
</tbody></table>`}
${pager(d)}
</section>`,
  );
}

/** The export of what the dashboard shows (every page; the API takes the same filters). */
function exportHref(challengeId: string, query: DashboardQuery, ext: 'csv' | 'json'): string {
  const { page: _page, ...filter } = query;
  const qs = dashboardHref(challengeId, { ...filter, page: 1 }).split('?')[1];
  return `/v1/challenges/${encodeURIComponent(challengeId)}/submissions.${ext}${qs ? `?${qs}` : ''}`;
}

/** The dashboard's data: the whole matching cohort is selected and ordered, then one page of it loaded. */
export async function loadDashboard(ctx: AppContext, challenge: Challenge, query: DashboardQuery, viewer: Viewer): Promise<DashboardData> {
  const { ids, busy } = await selectCohort(ctx, challenge, query, viewer);
  const first = (query.page - 1) * DASHBOARD_PAGE_SIZE;
  const items: CohortItem[] = [];
  for await (const batch of loadCohortItems(ctx, challenge, ids.slice(first, first + DASHBOARD_PAGE_SIZE), viewer)) items.push(...batch);
  return { challenge, query, items, matching: ids.length, busy };
}
