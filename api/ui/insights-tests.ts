/**
 * The own-tests and history parts of the reviewer's Insights panel (api/ui/insights.ts puts them
 * in): the candidate's own tests (counts, coverage, output), the bugs they catch (one row per
 * challenge mutant), and the commit history as a server-rendered SVG timeline with the commit
 * list. No script. Author names, subjects, test names and output are the candidate's text: all
 * of it goes through `text()` inside `html`, in SVG `<title>`s too.
 */
import type { History } from '../../runner/report/insights-history.ts';
import type { BugsCaught, OwnTests, OwnTestsSummary } from '../../runner/report/insights-tests.ts';
import { html, SafeHtml, text } from './html.ts';

const badge = (cls: string, label: string) => html`<span class="badge ${cls}">${label}</span>`;
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const seconds = (ms: number) => (ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`);
const STATUS_CLASS = { passed: 'ok', failed: 'bad', error: 'bad', none: 'skipped' } as const;
const OUTCOME_CLASS = { caught: 'ok', missed: 'bad', not_applicable: 'skipped', not_run: 'skipped' } as const;
const COVERAGE_TOOL = { node: 'Node.js', c8: 'c8', istanbul: 'istanbul', 'coverage.py': 'coverage.py' } as const;

function coverageLine(own: OwnTestsSummary): SafeHtml | string {
  const c = own.coverage;
  if (!c) return '';
  const parts = (['lines', 'branches', 'functions', 'statements'] as const).filter((k) => c[k] !== undefined).map((k) => `${k} ${c[k]}%`);
  return html`<p data-testid="own-coverage">Coverage: ${parts.join(' · ')} <span class="muted">(${COVERAGE_TOOL[c.tool]})</span></p>`;
}

function bugsPart(bugs: BugsCaught): SafeHtml {
  return html`<div data-testid="bugs-caught"><p><strong>Bugs caught: <span data-testid="bugs-caught-count">${bugs.caught} of ${bugs.of}</span></strong> <span class="muted">· the challenge’s planted bugs put back one at a time${bugs.durationMs ? ` · ${seconds(bugs.durationMs)}` : ''}</span>${bugs.reason ? html` · ${text(bugs.reason)}` : ''}</p>
<table><thead><tr><th>Bug</th><th>Result</th><th>What the tests said</th><th class="num">Time</th></tr></thead><tbody>
${bugs.details.map(
  (d) => html`<tr data-mutant="${d.id}"><td><code>${d.id}</code> ${d.description}</td><td>${badge(OUTCOME_CLASS[d.outcome], d.outcome.replace('_', ' '))}</td><td>${d.failedTests?.length ? html`${plural(d.failed ?? d.failedTests.length, 'test')} failed: ${text(d.failedTests.join('; '))}` : ''}${d.reason ? html`<span class="muted">${text(d.reason)}</span>` : ''}</td><td class="num">${d.durationMs !== undefined ? seconds(d.durationMs) : ''}</td></tr>`,
)}</tbody></table></div>`;
}

/** Status, counts, time, command and why: the line reviewers and (when shown) candidates read. */
function summaryLine(own: OwnTestsSummary): SafeHtml {
  const parts = [
    own.total !== undefined ? `${own.passed ?? 0} passed, ${own.failed ?? 0} failed, ${own.skipped ?? 0} skipped of ${own.total}` : '',
    own.durationMs !== undefined ? seconds(own.durationMs) : '',
    own.command ? html`<code>${text(own.command)}</code>` : '',
    own.reason ? text(own.reason) : '',
  ].filter((p) => p !== '');
  return html`<p data-testid="own-tests-summary">${badge(STATUS_CLASS[own.status], own.status)} ${parts.map((p, i) => html`${i ? ' · ' : ''}${p}`)}</p>`;
}

/** The candidate's own tests and, when the challenge declares mutants, the bugs they catch. */
export function ownTestsPart(own: OwnTests): SafeHtml {
  return html`<div data-insight="ownTests"><h3>The candidate’s own tests</h3>
${summaryLine(own)}
${coverageLine(own)}
${own.notes?.length ? html`<p class="muted">${own.notes.join('; ')}</p>` : ''}
${own.bugsCaught ? bugsPart(own.bugsCaught) : ''}
${own.log ? html`<details data-testid="own-tests-log"><summary>Output${own.log.cutBytes > 0 ? html` <span class="warn">${own.log.cutBytes} bytes cut</span>` : ''}</summary><pre>${text(own.log.text) || '(no output)'}</pre></details>` : ''}</div>`;
}

/**
 * The commits on a time axis: one dot per commit, its area growing with the lines it changed,
 * green when it changed tests; hovering shows its date, author and subject (an SVG title).
 */
function timeline(h: History): SafeHtml {
  const width = 640;
  const height = 64;
  const pad = 14;
  const times = h.timeline.map((c) => Date.parse(c.at));
  const t0 = Math.min(...times);
  const t1 = Math.max(...times);
  const x = (t: number) => (t1 > t0 ? pad + ((t - t0) / (t1 - t0)) * (width - 2 * pad) : width / 2);
  const day = (iso: string | undefined) => (iso ?? '').slice(0, 10);
  return html`<svg class="bars" data-testid="history-timeline" role="img" aria-label="Commit timeline: ${plural(h.commits, 'commit')} from ${day(h.firstAt)} to ${day(h.lastAt)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg"><title>Commit timeline</title>
<line x1="${pad}" y1="28" x2="${width - pad}" y2="28" stroke="#d0d7de" stroke-width="2"></line>
${h.timeline.map((c, i) => {
  const r = Math.min(12, 3 + Math.sqrt(c.added + c.removed) / 2);
  const fill = c.boundary ? 'none' : c.touchesTests ? '#1a7f37' : '#0969da';
  return html`<circle data-commit="${c.sha.slice(0, 12)}" cx="${Math.round(x(times[i]!) * 10) / 10}" cy="28" r="${Math.round(r * 10) / 10}" fill="${fill}" fill-opacity="0.7" stroke="${c.touchesTests ? '#1a7f37' : '#0969da'}"><title>${text(`${c.at} · ${c.author} · ${c.subject} (+${c.added} −${c.removed})`)}</title></circle>`;
})}
<text x="${pad}" y="${height - 6}" font-size="11" fill="#57606a">${day(h.firstAt)}</text><text x="${width - pad}" y="${height - 6}" font-size="11" fill="#57606a" text-anchor="end">${day(h.lastAt)}</text></svg>`;
}

/** The commit history: figures, the timeline, then the commits (newest first). */
export function historyPart(h: History): SafeHtml {
  if (h.status === 'none') return html`<div data-insight="history"><h3>History</h3><p class="muted" data-testid="history-none">No history: ${text(h.reason ?? 'not read')}</p></div>`;
  const share = h.largestCommitShare !== undefined ? ` · the largest commit has ${Math.round(h.largestCommitShare * 100)}% of the changed lines` : '';
  return html`<div data-insight="history"><h3>History</h3>
<p data-testid="history-summary">${plural(h.commits, 'commit')}${h.truncated ? ` (the last ${h.maxCommits}; there are more)` : ''} · ${plural(h.authors, 'author')} · ${plural(h.activeDays, 'active day')} · ${plural(h.testCommits, 'commit')} touching tests${share} · <span class="ok">+${h.linesAdded}</span> <span class="bad">−${h.linesRemoved}</span></p>
${h.commits ? timeline(h) : ''}
<details${h.commits <= 20 ? ' open' : ''}><summary>Commits</summary><table data-testid="history-commits"><thead><tr><th>When</th><th>Author</th><th>Subject</th><th class="num">Lines</th><th class="num">Files</th></tr></thead><tbody>
${h.timeline.slice(0, 200).map(
  (c) => html`<tr data-commit="${c.sha.slice(0, 12)}"><td><code>${c.at.slice(0, 16).replace('T', ' ')}</code></td><td>${text(c.author)}</td><td>${text(c.subject)}${c.touchesTests ? html` ${badge('ok', 'tests')}` : ''}</td><td class="num">${c.boundary ? html`<span class="muted">cut</span>` : html`<span class="ok">+${c.added}</span> <span class="bad">−${c.removed}</span>`}</td><td class="num">${c.boundary ? '' : c.files}</td></tr>`,
)}</tbody></table></details>
<p class="muted">Dates and authors are what the commits say; a candidate can write anything there.${h.fetchMs !== undefined ? ` Read in ${seconds(h.fetchMs)}.` : ''}</p></div>`;
}

/** Both parts, for the Insights panel's slot (empty when the report has neither). */
export function ownTestsAndHistory(insights: { ownTests?: OwnTests | undefined; history?: History | undefined } | undefined): SafeHtml | string {
  if (!insights?.ownTests && !insights?.history) return '';
  return html`${insights.ownTests ? ownTestsPart(insights.ownTests) : ''}${insights.history ? historyPart(insights.history) : ''}`;
}

/** The candidate's page, when the challenge shows them their own tests' summary (never the bugs caught). */
export function candidateOwnTestsSection(insights: { ownTests?: OwnTestsSummary | undefined } | undefined): SafeHtml | string {
  if (!insights?.ownTests) return '';
  return html`<section data-testid="candidate-own-tests"><h2>Your own tests <span class="muted">(not scored)</span></h2>${summaryLine(insights.ownTests)}${coverageLine(insights.ownTests)}</section>`;
}
