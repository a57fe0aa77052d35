/**
 * The review panel of the reviewer's report page and its form (POST /ui/submissions/:id/review).
 *
 * The form carries the session's CSRF token like every other form, and the version it was
 * rendered from (`version`, empty for a first review). The write goes through the same
 * `saveReview` as `PUT /v1/submissions/:id/review`, with that version as If-Match, so a form that
 * went stale while someone else saved a review is refused: the answer is a conflict page showing
 * the current version beside what this reviewer typed (nothing is lost), with a form to save it
 * deliberately over the new version.
 */
import express, { type Response, type Router } from 'express';
import type { Review } from '../../runner/review/review.ts';
import { reviewEtag } from '../../runner/review/review.ts';
import type { Rubric, ReviewSettings } from '../../runner/review/rubric.ts';
import { anonymise, anonymiseReport, identityHidden, type Viewer } from '../anonymity.ts';
import type { AppContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { saveReview } from '../routes/review.ts';
import { SubmissionIdSchema } from '../schemas.ts';
import { html, layout, sendPage, text, type LayoutOptions, type SafeHtml } from './html.ts';
import type { ReportPageData } from './pages.ts';

type User = NonNullable<LayoutOptions['user']>;

/**
 * The review form's body parser, mounted before the UI's default one (8 KB, 20 fields): a rubric
 * has up to 20 criteria with a score and a 4,000-character note each.
 */
export const reviewFormParser = express.urlencoded({ extended: false, limit: '256kb', parameterLimit: 60 });

const pct = (n: number | null) => (n === null ? '—' : `${Math.round(n * 10) / 10}%`);

/** What the panel shows. `csrf` empty: read only (a page opened with an API key, not a session). */
interface ReviewPanel {
  submissionId: string;
  rubric: Rubric;
  settings: ReviewSettings;
  current?: Review;
  versions: Review[];
  automatedPercent: number | null;
  /** Why no review can be written (not completed), if so. */
  closed?: string;
  identityHidden: boolean;
  csrf: string;
}

/**
 * The report page's data as `viewer` may see it: anonymised when the challenge reviews
 * anonymously and they have not submitted a review, with the review panel when it has a rubric.
 */
export async function withReview(ctx: AppContext, data: ReportPageData, viewer: Viewer, csrf: string): Promise<ReportPageData> {
  const { record, report } = data;
  const manifest = await ctx.challenges.load(record.challenge).then((c) => c.manifest, () => undefined);
  const current = await ctx.store.reviews.current(record.id);
  const hidden = identityHidden(manifest?.review, viewer, current);
  const shown = hidden ? { record: anonymise(record), ...(report ? { report: anonymiseReport(report, record) } : {}) } : {};
  if (!manifest?.rubric.length) return { ...data, ...shown, ...(hidden ? { reviewSection: anonymousNotice(false) } : {}) };
  const panel: ReviewPanel = {
    submissionId: record.id,
    rubric: manifest.rubric,
    settings: manifest.review,
    ...(current ? { current } : {}),
    versions: current ? await ctx.store.reviews.versions(record.id) : [],
    automatedPercent: record.score?.percent ?? null,
    ...(record.status === 'completed' ? {} : { closed: `Reviews open when grading has completed (this submission is ${record.status}).` }),
    identityHidden: hidden,
    csrf,
  };
  return { ...data, ...shown, reviewSection: reviewSection(panel) };
}

function anonymousNotice(canSubmit: boolean): SafeHtml {
  return html`<p class="muted" data-testid="anonymous-notice">Anonymous review: the candidate, the repository, its ref and commit are hidden${canSubmit ? ' until you submit your review' : ''}.</p>`;
}

function scoresGrid(p: { automatedPercent: number | null; current?: Review; settings: ReviewSettings }): SafeHtml {
  const c = p.current;
  const weight = c?.rubricWeight ?? p.settings.rubricWeight;
  return html`<div class="grid" data-testid="review-scores">
<span class="muted">Automated</span><span data-testid="automated-score">${pct(p.automatedPercent)}</span>
<span class="muted">Rubric</span><span data-testid="rubric-score">${c ? html`${pct(c.rubricPercent)} <span class="muted">${c.rubric.points} / ${c.rubric.maxPoints} points</span>` : '— (not reviewed)'}</span>
<span class="muted">Weighted total</span><span><strong data-testid="total-score">${pct(c?.totalPercent ?? null)}</strong> <span class="muted">automated × ${Math.round((1 - weight) * 100) / 100} + rubric × ${weight}</span></span>
${c ? html`<span class="muted">Review</span><span data-testid="review-status"><span class="badge ${c.status === 'submitted' ? 'ok' : 'queued'}">${c.status}</span> version ${c.version} by ${c.reviewer} (${c.role}) at ${c.updatedAt.replace('T', ' ').slice(0, 19)}</span>` : ''}
</div>`;
}

function reviewSection(p: ReviewPanel): SafeHtml {
  return html`<section id="review" data-testid="review"><h2>Review</h2>
${p.identityHidden ? anonymousNotice(true) : ''}
${scoresGrid(p)}
${p.closed ? html`<p class="muted">${p.closed}</p>` : p.csrf ? reviewForm(p.submissionId, p.rubric, p.csrf, p.current?.version, p.current) : html`<p class="muted">Log in at /ui to write a review.</p>`}
${p.versions.length > 1 ? html`<details data-testid="review-versions"><summary>${p.versions.length} versions</summary><table><thead><tr><th class="num">Version</th><th>Status</th><th>Reviewer</th><th>At</th><th class="num">Rubric</th></tr></thead><tbody>
${[...p.versions].reverse().map((v) => html`<tr><td class="num">${v.version}</td><td>${v.status}</td><td>${v.reviewer}</td><td>${v.updatedAt.replace('T', ' ').slice(0, 19)}</td><td class="num">${pct(v.rubricPercent)}</td></tr>`)}
</tbody></table></details>` : ''}
</section>`;
}

/** Values to fill the form with: a stored review, or what a reviewer sent. */
interface FormValues {
  criteria: readonly { id: string; points: number | string; note?: string | undefined }[];
  note?: string | undefined;
}

function reviewForm(submissionId: string, rubric: Rubric, csrf: string, baseVersion: number | undefined, values?: FormValues): SafeHtml {
  const given = new Map(values?.criteria.map((c) => [c.id, c]));
  return html`<form method="post" action="/ui/submissions/${encodeURIComponent(submissionId)}/review" data-testid="review-form">
<input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="version" value="${baseVersion ?? ''}">
<table><thead><tr><th>Criterion</th><th class="num">Points</th><th>Note</th></tr></thead><tbody>
${rubric.map((c) => html`<tr data-criterion="${c.id}"><td><strong>${c.title}</strong><br><span class="muted">${c.description}</span></td>
<td class="num"><input type="number" name="points.${c.id}" min="0" max="${c.maxPoints}" step="1" required value="${given.get(c.id)?.points ?? ''}" aria-label="${c.title} points"> / ${c.maxPoints}</td>
<td><textarea name="note.${c.id}" maxlength="4000" rows="2" aria-label="${c.title} note">${given.get(c.id)?.note ?? ''}</textarea></td></tr>`)}
</tbody></table>
<p><label for="review-note">Overall note</label><br><textarea id="review-note" name="note" maxlength="4000" rows="4">${values?.note ?? ''}</textarea></p>
<p><button type="submit" name="status" value="draft">Save draft</button> <button type="submit" name="status" value="submitted">Submit review</button></p>
</form>`;
}

/** The form's fields as the review API's body (strings stay strings where they are not numbers, so the schema names the problem). */
function formToInput(form: Record<string, unknown>, rubric: Rubric): { status: unknown; criteria: { id: string; points: unknown; note?: string }[]; note?: string } {
  const str = (k: string) => (typeof form[k] === 'string' ? (form[k] as string) : undefined);
  const note = (k: string) => {
    const v = str(k)?.replace(/\r\n/g, '\n');
    return v ? { note: v } : {};
  };
  return {
    status: str('status') ?? 'draft',
    criteria: rubric.map((c) => {
      const raw = str(`points.${c.id}`)?.trim() ?? '';
      return { id: c.id, points: /^\d{1,4}$/.test(raw) ? Number(raw) : raw, ...note(`note.${c.id}`) };
    }),
    ...note('note'),
  };
}

/** POST /ui/submissions/:id/review: registered after the UI's session and CSRF check. */
export function reviewUiRoutes(router: Router, ctx: AppContext, whoIs: (res: Response) => { user: User; viewer: Viewer; nonce: string }): void {
  router.post('/submissions/:id/review', async (req, res) => {
    const { user, viewer, nonce } = whoIs(res);
    if (viewer.role !== 'reviewer' && viewer.role !== 'admin') throw new ApiError('FORBIDDEN', 'only reviewers and admins can review');
    const id = SubmissionIdSchema.safeParse(req.params.id);
    const record = id.success ? await ctx.store.get(id.data) : undefined;
    if (!record) throw new ApiError('NOT_FOUND', 'no such submission');
    const rubric = await ctx.challenges.load(record.challenge).then((c) => c.manifest.rubric, () => [] as Rubric);
    const form = (req.body ?? {}) as Record<string, unknown>;
    const input = formToInput(form, rubric);
    const version = typeof form.version === 'string' && /^\d{1,9}$/.test(form.version) ? Number(form.version) : undefined;
    try {
      await saveReview(ctx, record.id, { name: viewer.name, role: viewer.role }, input, version ? { ifMatch: reviewEtag(version) } : { ifNoneMatch: '*' });
    } catch (err) {
      if (err instanceof ApiError && err.code === 'VALIDATION_FAILED') {
        // The browser checks the form first; this is a form edited around it. Give it back as sent.
        const again = { heading: 'The review was not saved', alert: html`Your review was <strong>not saved</strong>: ${err.message}. Correct it below and save again.` };
        return sendPage(res, formAgainPage(nonce, user, record.id, rubric, again, version, input), nonce, 400);
      }
      if (!(err instanceof ApiError) || err.code !== 'PRECONDITION_FAILED') throw err;
      const current = await ctx.store.reviews.current(record.id);
      return sendPage(res, conflictPage(nonce, user, record.id, rubric, current, input), nonce, 409);
    }
    res.redirect(303, `/ui/submissions/${encodeURIComponent(record.id)}#review`);
  });
}

/** A stale form: the current version, and what this reviewer sent, ready to save over it on purpose. */
function conflictPage(nonce: string, user: User, submissionId: string, rubric: Rubric, current: Review | undefined, mine: ReturnType<typeof formToInput>): SafeHtml {
  const alert = html`Your review was <strong>not saved</strong>: ${current ? html`version ${current.version} was saved by ${current.reviewer} at ${current.updatedAt.replace('T', ' ').slice(0, 19)} after you opened the form.` : 'the review changed after you opened the form.'} Compare it with yours below; saving yours replaces it as a new version (the other is kept in the history).`;
  const currentSection = current
    ? html`<section data-testid="current-review"><h2>Current version (${current.version}, ${current.status})</h2>
<table><thead><tr><th>Criterion</th><th class="num">Points</th><th>Note</th></tr></thead><tbody>
${current.criteria.map((c) => html`<tr><td>${c.title}</td><td class="num">${c.points} / ${c.maxPoints}</td><td><pre class="msg">${text(c.note ?? '')}</pre></td></tr>`)}
</tbody></table><p>Overall note:</p><pre class="msg" data-testid="current-note">${text(current.note ?? '')}</pre></section>`
    : undefined;
  return formAgainPage(nonce, user, submissionId, rubric, { heading: 'Someone else reviewed this meanwhile', alert, ...(currentSection ? { currentSection } : {}) }, current?.version, mine);
}

/** What this reviewer sent, in the form again (nothing typed is lost), under why it was not saved. */
function formAgainPage(
  nonce: string,
  user: User,
  submissionId: string,
  rubric: Rubric,
  why: { heading: string; alert: SafeHtml; currentSection?: SafeHtml },
  baseVersion: number | undefined,
  mine: ReturnType<typeof formToInput>,
): SafeHtml {
  const values: FormValues = { criteria: mine.criteria.map((c) => ({ id: c.id, points: typeof c.points === 'number' ? c.points : String(c.points), note: c.note })), note: mine.note };
  return layout(
    { title: why.heading, nonce, user },
    html`<section data-testid="review-not-saved"><h1>${why.heading}</h1>
<p role="alert">${why.alert}</p>
<p><a href="/ui/submissions/${encodeURIComponent(submissionId)}#review">Back to the report</a></p></section>
${why.currentSection ?? ''}
<section><h2>Your version</h2>${reviewForm(submissionId, rubric, user.csrf, baseVersion, values)}</section>`,
  );
}
