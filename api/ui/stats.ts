/**
 * The statistics page of a challenge (`/ui/challenges/:id/stats`): the score histogram and the
 * pass rate of each test as server-rendered inline SVG (no script, so the nonce CSP holds), each
 * with a <title>, per-bar labels and a table with the same numbers. Tests that every graded
 * submission fails, or that every one passes, are marked: they tell nothing apart.
 */
import type { Challenge } from '../../runner/challenges/repository.ts';
import type { CohortStats } from '../../runner/cohort/stats.ts';
import { html, layout, type LayoutOptions, type SafeHtml } from './html.ts';
import { badge, duration, pct } from './pages.ts';

type User = NonNullable<LayoutOptions['user']>;

const INK = '#1f2328';
const MUTED = '#57606a';
const BAR = '#0969da';
const FILL = { all_failed: '#cf222e', all_passed: '#1a7f37', mixed: BAR };
const UNIFORM_LABEL = { all_failed: 'everyone fails', all_passed: 'nobody fails' } as const;

/** Vertical bars: one per 10-point bin of the score. */
function histogramSvg(s: CohortStats): SafeHtml {
  const barW = 44;
  const gap = 8;
  const chartH = 160;
  const top = 18;
  const left = 30;
  const width = left + s.histogram.length * (barW + gap);
  const height = top + chartH + 34;
  const max = Math.max(1, ...s.histogram.map((b) => b.count));
  const title = `Scores of ${s.count} graded submission${s.count === 1 ? '' : 's'}, in bins of 10 points`;
  return html`<svg class="bars" data-testid="histogram" role="img" aria-labelledby="hist-title" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg"><title id="hist-title">${title}</title>
<line x1="${left - 4}" y1="${top + chartH}" x2="${width}" y2="${top + chartH}" stroke="${MUTED}"></line>
<text x="${left - 8}" y="${top + 4}" text-anchor="end" font-size="11" fill="${MUTED}">${max}</text><text x="${left - 8}" y="${top + chartH}" text-anchor="end" font-size="11" fill="${MUTED}">0</text>
${s.histogram.map((b, i) => {
  const h = Math.round((b.count / max) * chartH);
  const x = left + i * (barW + gap);
  const label = `${b.from}–${b.to === 100 ? 100 : b.to - 1}`;
  return html`<g data-bin="${b.from}"><title>${label}%: ${b.count}</title><rect x="${x}" y="${top + chartH - h}" width="${barW}" height="${h}" fill="${BAR}" rx="2"></rect><text class="count" x="${x + barW / 2}" y="${top + chartH - h - 4}" text-anchor="middle" font-size="12" fill="${INK}">${b.count}</text><text class="bin" x="${x + barW / 2}" y="${top + chartH + 16}" text-anchor="middle" font-size="11" fill="${MUTED}">${label}</text></g>`;
})}
<text x="${width / 2}" y="${height - 2}" text-anchor="middle" font-size="11" fill="${MUTED}">score (%)</text></svg>`;
}

/** Horizontal bars: one per test, the bar's width its pass rate; uniform tests in red (all fail) or green (all pass). */
function passRateSvg(s: CohortStats): SafeHtml {
  const row = 22;
  const labelW = 340;
  const barW = 300;
  const width = labelW + barW + 140;
  const height = s.tests.length * row + 6;
  return html`<svg class="bars" data-testid="pass-rates" role="img" aria-labelledby="pass-title" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg"><title id="pass-title">Pass rate of each test among graded submissions</title>
${s.tests.map((t, i) => {
  const y = i * row + 3;
  const w = Math.max(t.passPercent > 0 ? 2 : 0, Math.round((t.passPercent / 100) * barW));
  const label = t.name.length > 52 ? `${t.name.slice(0, 51)}…` : t.name;
  return html`<g data-test="${t.id}"${t.uniform ? html` data-uniform="${t.uniform}"` : ''}><title>${t.name} (${t.id}): ${t.passed} of ${t.runs} passed</title><text class="label" x="${labelW - 6}" y="${y + 14}" text-anchor="end" font-size="12" fill="${INK}">${label}</text><rect x="${labelW}" y="${y + 3}" width="${barW}" height="${row - 8}" fill="#eaeef2" rx="2"></rect><rect x="${labelW}" y="${y + 3}" width="${w}" height="${row - 8}" fill="${FILL[t.uniform ?? 'mixed']}" rx="2"></rect><text class="value" x="${labelW + barW + 6}" y="${y + 14}" font-size="12" fill="${t.uniform ? FILL[t.uniform] : MUTED}">${pct(t.passPercent)}${t.uniform ? ` · ${UNIFORM_LABEL[t.uniform]}` : ''}</text></g>`;
})}</svg>`;
}

export function statsPage(nonce: string, user: User, challenge: Challenge, s: CohortStats): SafeHtml {
  const { manifest } = challenge;
  const base = `/ui/challenges/${encodeURIComponent(manifest.id)}`;
  const uniform = s.tests.filter((t) => t.uniform);
  return layout(
    { title: `${manifest.title} · statistics`, nonce, user },
    html`<h1>${manifest.title} · statistics</h1>
<section><p class="filters" data-testid="versions">Version: ${s.version === null ? html`<strong>all</strong> ` : html`<a href="${base}/stats">all</a> `}${s.versions.map((v) => (v.version === s.version ? html`<strong>${v.version}</strong> ` : html`<a href="${base}/stats?version=${encodeURIComponent(v.version)}">${v.version}</a> `))}· <a href="${base}">dashboard</a></p>
<div class="grid" data-testid="summary">
<span class="muted">Graded</span><span data-testid="count">${s.count}</span>
<span class="muted">Could not be graded</span><span>${s.failed}</span>
${s.score ? html`<span class="muted">Score</span><span>median <strong>${pct(s.score.p50)}</strong> · p25 ${pct(s.score.p25)} · p75 ${pct(s.score.p75)} · p90 ${pct(s.score.p90)} · mean ${pct(s.score.mean)} · range ${pct(s.score.min)}–${pct(s.score.max)}</span>` : ''}
<span class="muted">Median grading time</span><span>${s.gradingTimeMs ? duration(s.gradingTimeMs.median) : '—'}</span>
</div></section>
${s.count === 0
      ? html`<section><p class="muted">No graded submissions${s.version ? ` of version ${s.version}` : ''} yet.</p></section>`
      : html`<section><h2>Scores</h2>${histogramSvg(s)}
<details><summary>As a table</summary><table data-testid="histogram-table"><thead><tr><th>Score</th><th class="num">Submissions</th></tr></thead><tbody>${s.histogram.map((b) => html`<tr><td>${b.from}–${b.to === 100 ? 100 : b.to - 1}%</td><td class="num">${b.count}</td></tr>`)}</tbody></table></details></section>
<section><h2>Pass rate per test</h2>
<p class="muted">${uniform.length ? html`${uniform.length} test${uniform.length === 1 ? '' : 's'} every graded submission fails or passes (marked): they tell nobody apart.` : 'Every test separates some submissions from others.'}</p>
${passRateSvg(s)}
<table data-testid="tests-table"><thead><tr><th>Test</th><th>Category</th><th class="num">Passed</th><th class="num">Pass rate</th><th></th></tr></thead><tbody>
${s.tests.map((t) => html`<tr data-test="${t.id}"><td>${t.name} <code class="muted">${t.id}</code></td><td>${t.category ?? '—'}</td><td class="num">${t.passed} / ${t.runs}</td><td class="num">${pct(t.passPercent)}</td><td>${t.uniform ? badge(t.uniform === 'all_failed' ? 'bad' : 'ok', UNIFORM_LABEL[t.uniform]) : ''}</td></tr>`)}
</tbody></table></section>
<section><h2>Flags</h2>${s.flags.length
          ? html`<table data-testid="flags-table"><thead><tr><th>Flag</th><th class="num">Submissions</th><th class="num">Share</th></tr></thead><tbody>${s.flags.map((f) => html`<tr><td>${badge('bad', f.code)}</td><td class="num">${f.count}</td><td class="num">${pct(f.percent)}</td></tr>`)}</tbody></table>`
          : html`<p class="muted">No graded submission carries a flag.</p>`}</section>`}`,
  );
}
