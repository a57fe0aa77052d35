/**
 * Similarity in the reviewer UI: the page of a challenge's similar pairs
 * (`/ui/challenges/:id/similarity`, optionally one submission's), each pair with its shared
 * fragments side by side (both files, line numbers, from the source kept with the fingerprints),
 * and a short section on the reviewer's report page. Both say plainly that a pair is evidence for
 * a human reviewer, not a verdict. Every file name and line is the candidate's: escaped by `html`.
 */
import type { ChallengeManifest } from '../../runner/challenges/manifest.ts';
import type { Report } from '../../runner/report/schema.ts';
import type { LineRange } from '../../runner/similarity/compare.ts';
import { similarityChoice } from '../../runner/similarity/settings.ts';
import type { SimilarityPair, StoredPrints } from '../../runner/store/similarity.ts';
import type { SubmissionRecord } from '../../runner/store/submissions.ts';
import { z } from 'zod';
import type { AppContext } from '../context.ts';
import { challengeSimilarity, SIMILARITY_ABOUT, similarityInsight, type SimilarityInsight } from '../routes/similarity.ts';
import { SubmissionIdSchema } from '../schemas.ts';
import { html, layout, text, type LayoutOptions, type SafeHtml } from './html.ts';

type User = NonNullable<LayoutOptions['user']>;

export const SimilarityPageQuerySchema = z.strictObject({
  submission: SubmissionIdSchema.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});
export type SimilarityPageQuery = z.infer<typeof SimilarityPageQuerySchema>;

/** Lines shown per side of a fragment, and fragments per pair: the page stays readable. */
const SHOWN_LINES = 60;
const SHOWN_FRAGMENTS = 10;

const PAGE_STYLE = '.side{display:grid;grid-template-columns:1fr 1fr;gap:.6rem}.side>div{min-width:0}.side pre{max-height:26rem;margin:.2rem 0 .6rem}.about{border-left:4px solid var(--warn);padding:.4rem .8rem;background:#fff8c5}';

/** One pair on the page: both submissions, first as `a`. */
interface PagePair {
  a: string;
  b: string;
  pair: SimilarityPair;
}

export interface SimilarityPageData {
  manifest: ChallengeManifest;
  enabled: boolean;
  threshold: number;
  /** When the page shows one submission's pairs. */
  submission?: string;
  pairs: PagePair[];
  /** The kept source of each submission on the page. */
  sources: Map<string, StoredPrints>;
}

export async function loadSimilarityPage(ctx: AppContext, manifest: ChallengeManifest, q: SimilarityPageQuery): Promise<SimilarityPageData> {
  const { enabled, threshold } = similarityChoice(ctx.config, manifest);
  let pairs: PagePair[];
  if (q.submission) {
    const record = await ctx.store.get(q.submission);
    const insight = record && record.challenge === manifest.id ? await similarityInsight(ctx, record, manifest) : undefined;
    pairs = (insight?.pairs ?? []).slice(0, q.limit).map((pair) => ({ a: record!.id, b: pair.submissionId, pair }));
  } else {
    pairs = (await challengeSimilarity(ctx, manifest, q.limit)).pairs.map((pair) => ({ a: pair.ofSubmissionId, b: pair.submissionId, pair }));
  }
  const ids = [...new Set(pairs.flatMap((p) => [p.a, p.b]))];
  const stored = await Promise.all(ids.map((id) => ctx.store.similarity.printsOf(id)));
  const sources = new Map<string, StoredPrints>();
  ids.forEach((id, i) => stored[i] && sources.set(id, stored[i]));
  return { manifest, enabled, threshold, ...(q.submission ? { submission: q.submission } : {}), pairs, sources };
}

const pct = (score: number) => `${Math.round(score * 100)}%`;
const short = (id: string) => id.slice(0, 8);
const reportLink = (id: string) => html`<a href="/ui/submissions/${encodeURIComponent(id)}"><code>${short(id)}</code></a>`;
const about = () => html`<p class="about" data-testid="similarity-about"><strong>Not a verdict.</strong> ${SIMILARITY_ABOUT}</p>`;

/** One side of a fragment: the file, its lines with their numbers, or why they cannot be shown. */
function side(source: StoredPrints | undefined, file: string, range: LineRange, which: 'a' | 'b'): SafeHtml {
  const lines = source?.files.find((f) => f.path === file)?.lines;
  const shown = lines ? lines.slice(range.start - 1, Math.min(range.end, range.start - 1 + SHOWN_LINES)) : [];
  const more = range.end - range.start + 1 - shown.length;
  return html`<div data-side="${which}"><div><code>${text(file)}</code> <span class="muted">lines ${range.start}–${range.end}</span></div>
${lines
    ? html`<pre class="diff">${shown.map((l, i) => html`<span><span class="ln">${range.start + i}</span>${text(l)}</span>`)}</pre>${more > 0 ? html`<p class="muted">… ${more} more line${more === 1 ? '' : 's'}</p>` : ''}`
    : html`<p class="muted">The source of this file was not kept (over the size cap, or the submission was graded again since).</p>`}</div>`;
}

function pairBlock(d: SimilarityPageData, { a, b, pair }: PagePair, open: boolean): SafeHtml {
  const fragments = pair.fragments.slice(0, SHOWN_FRAGMENTS);
  return html`<details data-pair="${a}|${b}"${open ? ' open' : ''}><summary><strong data-testid="pair-score">${pct(pair.score)}</strong> ${reportLink(a)} and ${reportLink(b)} <span class="muted">· ${pair.sharedPrints} shared fingerprints · ${pair.fragments.length} fragment${pair.fragments.length === 1 ? '' : 's'}</span></summary>
${fragments.length ? '' : html`<p class="muted">No fragment is long enough to list (at least ${d.manifest.similarity?.minFragmentLines ?? 3} lines): the shared fingerprints are scattered.</p>`}
${fragments.map(
    (f) => html`<div class="side" data-fragment>${side(d.sources.get(a), f.file, f.lines, 'a')}${side(d.sources.get(b), f.otherFile, f.otherLines, 'b')}</div>`,
  )}${pair.fragments.length > fragments.length ? html`<p class="muted">${pair.fragments.length - fragments.length} more fragments in the JSON (GET /v1/challenges/${d.manifest.id}/similarity).</p>` : ''}</details>`;
}

export function similarityPage(nonce: string, user: User, d: SimilarityPageData): SafeHtml {
  const base = `/ui/challenges/${encodeURIComponent(d.manifest.id)}`;
  return layout(
    { title: `${d.manifest.title} · similarity`, nonce, user },
    html`<style nonce="${nonce}">${PAGE_STYLE}</style><h1>${d.manifest.title} · similarity${d.submission ? html` of <code>${short(d.submission)}</code>` : ''}</h1>
<section>${about()}
<p class="filters"><a href="${base}">dashboard</a>${d.submission ? html`<a href="${base}/similarity">every pair of the challenge</a>` : ''}</p>
<p class="muted" data-testid="similarity-settings">${d.enabled ? html`Pairs at or above ${pct(d.threshold)} similarity (Dolos fingerprints of the submitted sources, the starter's code left out), the most similar first.` : 'Similarity is off for this challenge: no new submission is fingerprinted.'}</p></section>
<section><h2>Pairs (${d.pairs.length})</h2>${d.pairs.length
      ? d.pairs.map((p, i) => pairBlock(d, p, i === 0))
      : html`<p class="muted" data-testid="no-pairs">No pair of submissions is at or above the threshold.</p>`}</section>`,
  );
}

/** The short section of the reviewer's report page: this submission's most similar others. */
export function similaritySection(insight: SimilarityInsight, record: SubmissionRecord): SafeHtml {
  const page = `/ui/challenges/${encodeURIComponent(record.challenge)}/similarity?submission=${encodeURIComponent(record.id)}`;
  const top = insight.pairs.slice(0, 5);
  return html`<section data-testid="similarity"><h2>Similarity</h2>${about()}
${!insight.fingerprinted
    ? html`<p class="muted">${insight.enabled ? 'This submission has no stored fingerprints' : 'Similarity is off for this challenge'}${insight.notes.length ? html`: ${insight.notes.map((n) => text(n.message)).join('; ')}` : '.'}</p>`
    : top.length
      ? html`<table><thead><tr><th>Other submission</th><th class="num">Similarity</th><th class="num">Fragments</th><th>Longest</th></tr></thead><tbody>${top.map((p) => {
          const longest = p.fragments[0];
          return html`<tr data-similar="${p.submissionId}"><td>${reportLink(p.submissionId)}</td><td class="num">${pct(p.score)}</td><td class="num">${p.fragments.length}</td><td>${longest ? html`<code>${text(longest.file)}</code> ${longest.lines.start}–${longest.lines.end} ≈ <code>${text(longest.otherFile)}</code> ${longest.otherLines.start}–${longest.otherLines.end}` : '—'}</td></tr>`;
        })}</tbody></table><p><a href="${page}">Compare side by side</a></p>`
      : html`<p class="muted" data-testid="no-pairs">No other submission of this challenge is at or above ${pct(insight.threshold)} similarity (${insight.fingerprints} fingerprints compared).</p>`}
${insight.fingerprinted && insight.notes.length ? html`<p class="muted">${insight.notes.map((n) => text(n.message)).join('; ')}</p>` : ''}</section>`;
}

/** Page data with the similarity section of a completed report. */
export async function withSimilaritySection<D extends { record: SubmissionRecord; report?: Report | undefined }>(ctx: AppContext, data: D): Promise<D & { similaritySection?: SafeHtml }> {
  if (data.report?.status !== 'completed') return data;
  const manifest = await ctx.challenges.load(data.record.challenge).then((c) => c.manifest, () => undefined);
  const insight = await similarityInsight(ctx, data.record, manifest);
  return insight ? { ...data, similaritySection: similaritySection(insight, data.record) } : data;
}
