/**
 * The Insights panel of the reviewer's report page (and the lint summary a challenge may show
 * candidates): server-rendered HTML and SVG, no script. Everything the analysers took from the
 * candidate's files (paths, messages, function names, the diff) goes through `text()` inside
 * `html`, so it can only ever be text. Links go from a lint finding to its line in the diff view
 * when the diff shows that line (ids are numbers Assay makes, never candidate text).
 */
import type { DiffInsight, HygieneInsight, Insights, LintInsight, SizeInsight } from '../../runner/report/insights.ts';
import { html, SafeHtml, text } from './html.ts';

const badge = (cls: string, label: string) => html`<span class="badge ${cls}">${label}</span>`;
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The diff parsed for display: per file, its lines with the new file's line numbers. */
interface DiffFileView {
  index: number;
  path: string;
  lines: { kind: 'add' | 'del' | 'ctx' | 'hunk' | 'meta'; text: string; newLine?: number }[];
}

/** Parses the unified diff the analyser prints (`--- a/x`, `+++ b/x`, `@@ -1,2 +1,3 @@`, then lines). */
export function parsePatch(patch: string): DiffFileView[] {
  const files: DiffFileView[] = [];
  let current: DiffFileView | undefined;
  let newLine = 0;
  let oldPath = '';
  for (const line of patch.split('\n')) {
    if (line.startsWith('--- ')) {
      oldPath = line.slice(4).replace(/^a\//, '');
      continue;
    }
    if (line.startsWith('+++ ')) {
      const target = line.slice(4);
      current = { index: files.length, path: target === '/dev/null' ? oldPath : target.replace(/^b\//, ''), lines: [] };
      files.push(current);
      continue;
    }
    if (!current) continue;
    const hunk = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(line);
    if (hunk) {
      newLine = Number(hunk[1]);
      current.lines.push({ kind: 'hunk', text: line });
    } else if (line.startsWith('+')) current.lines.push({ kind: 'add', text: line, newLine: newLine++ });
    else if (line.startsWith('-')) current.lines.push({ kind: 'del', text: line });
    else if (line.startsWith(' ')) current.lines.push({ kind: 'ctx', text: line, newLine: newLine++ });
    else if (line.startsWith('\\')) current.lines.push({ kind: 'meta', text: line });
  }
  return files;
}

/** Where a finding links to: its line in the diff, else its file's diff, else nowhere. */
function anchorFor(files: DiffFileView[], file: string, line: number): string | undefined {
  const f = files.find((d) => d.path === file);
  if (!f) return undefined;
  return f.lines.some((l) => l.newLine === line) ? `d${f.index}-L${line}` : `d${f.index}`;
}

/** Horizontal SVG bars: one row per item, the bar's width proportional to its value. */
function bars(items: { label: string; value: number; cls: 'error' | 'warning' | 'neutral' }[], title: string): SafeHtml {
  const max = Math.max(1, ...items.map((i) => i.value));
  const row = 20;
  const labelWidth = 230;
  const barWidth = 260;
  const height = items.length * row + 4;
  const fill = { error: '#cf222e', warning: '#9a6700', neutral: '#57606a' };
  return html`<svg class="bars" role="img" aria-label="${title}" width="${labelWidth + barWidth + 60}" height="${height}" viewBox="0 0 ${labelWidth + barWidth + 60} ${height}" xmlns="http://www.w3.org/2000/svg"><title>${title}</title>
${items.map((item, i) => {
  const y = i * row + 2;
  const w = Math.max(item.value > 0 ? 2 : 0, Math.round((item.value / max) * barWidth));
  const label = item.label.length > 34 ? `${item.label.slice(0, 33)}…` : item.label;
  return html`<g data-bar="${item.label}"><text x="${labelWidth - 6}" y="${y + 13}" text-anchor="end" font-size="12" fill="#1f2328">${text(label)}</text><rect x="${labelWidth}" y="${y + 2}" width="${w}" height="${row - 6}" rx="2" fill="${fill[item.cls]}"></rect><text x="${labelWidth + w + 6}" y="${y + 13}" font-size="12" fill="#57606a">${item.value}</text></g>`;
})}</svg>`;
}

function lintPart(lint: LintInsight, files: DiffFileView[], reviewer: boolean): SafeHtml {
  const severity = bars(
    [
      { label: 'errors', value: lint.errors, cls: 'error' },
      { label: 'warnings', value: lint.warnings, cls: 'warning' },
    ],
    `Lint findings by severity: ${lint.errors} errors, ${lint.warnings} warnings`,
  );
  const rules = lint.byRule.slice(0, 8);
  return html`<div data-insight="lint"><h3>Lint</h3>
<p><strong data-testid="lint-per-1000">${lint.per1000Lines}</strong> findings per 1,000 lines · ${plural(lint.errors, 'error')}, ${plural(lint.warnings, 'warning')} in ${plural(lint.files, 'file')} (${lint.lines} lines) <span class="muted">· ${lint.tools.map((t) => `${t.name} ${t.version}`).join(', ')} · ${lint.config}</span></p>
${severity}
${rules.length ? html`<p class="muted">Most frequent rules</p>${bars(rules.map((r) => ({ label: r.rule, value: r.count, cls: r.severity })), 'Lint findings by rule')}` : ''}
${lint.top.length
    ? html`<table data-testid="lint-findings"><thead><tr><th>Severity</th><th>Where</th><th>Rule</th><th>Message</th></tr></thead><tbody>
${lint.top.map((f) => {
  const anchor = reviewer ? anchorFor(files, f.file, f.line) : undefined;
  const where = `${f.file}:${f.line}`;
  return html`<tr><td>${badge(f.severity === 'error' ? 'bad' : 'skipped', f.severity)}</td><td>${anchor ? html`<a href="#${anchor}"><code>${text(where)}</code></a>` : html`<code>${text(where)}</code>`}</td><td><code>${text(f.rule)}</code></td><td>${text(f.message)}</td></tr>`;
})}</tbody></table>`
    : html`<p class="muted">No findings.</p>`}</div>`;
}

function sizePart(size: SizeInsight): SafeHtml {
  return html`<div data-insight="size"><h3>Size</h3>
<p>${plural(size.files, 'file')}, ${size.lines} lines${size.byLanguage.length ? html` · ${size.byLanguage.map((l) => `${l.language} ${l.files} files / ${l.lines} lines`).join(' · ')}` : ''}</p>
${size.mostComplex.length
    ? html`<table><thead><tr><th>Most complex functions</th><th class="num">Complexity</th><th>Longest functions</th><th class="num">Lines</th></tr></thead><tbody>
${Array.from({ length: Math.min(5, Math.max(size.mostComplex.length, size.longestFunctions.length)) }, (_, i) => {
  const c = size.mostComplex[i];
  const l = size.longestFunctions[i];
  return html`<tr><td>${c ? html`<code>${text(c.name)}</code> <span class="muted">${text(`${c.file}:${c.line}`)}</span>` : ''}</td><td class="num">${c?.complexity ?? ''}</td><td>${l ? html`<code>${text(l.name)}</code> <span class="muted">${text(`${l.file}:${l.line}`)}</span>` : ''}</td><td class="num">${l?.lines ?? ''}</td></tr>`;
})}</tbody></table>`
    : ''}
<p>${size.duplicates.blocks ? html`${plural(size.duplicates.blocks, 'repeated block')} (${size.duplicates.lines} lines)${size.duplicates.top.length ? html`: ${size.duplicates.top.slice(0, 3).map((d) => html`<span class="muted">${d.lines} lines at ${text(d.at.map((a) => `${a.file}:${a.line}`).join(', '))}</span> `)}` : ''}` : html`<span class="muted">No repeated blocks.</span>`}</p></div>`;
}

function hygienePart(h: HygieneInsight): SafeHtml {
  const yes = (ok: boolean, label: string) => html`${badge(ok ? 'ok' : 'bad', ok ? '✓' : '✗')} ${label}`;
  return html`<div data-insight="hygiene"><h3>Hygiene</h3>
<ul>
<li>${yes(h.readme.present, 'README')}${h.readme.present ? html` <span class="muted">${text(h.readme.file ?? '')}${h.readme.lines !== undefined ? `, ${h.readme.lines} lines` : ''}</span>` : ''}</li>
<li>${yes(h.gitignore, '.gitignore')}</li>
<li>${yes(h.lockfiles.length > 0, 'lockfile committed')}${h.lockfiles.length ? html` <span class="muted">${text(h.lockfiles.join(', '))}</span>` : ''}</li>
${h.committed.map((c) => html`<li data-committed="${c.kind}">${badge('bad', 'committed')} ${c.kind.replace('_', ' ')}: <code>${text(c.paths.join(', '))}</code> <span class="muted">(${plural(c.files, 'file')})</span></li>`)}
</ul>
${h.secrets.length
    ? html`<table data-testid="secrets"><thead><tr><th>Secret-looking string</th><th>Where</th><th>Value (masked)</th></tr></thead><tbody>${h.secrets.map((s) => html`<tr><td>${badge('bad', s.kind.replace(/_/g, ' '))}</td><td><code>${text(`${s.file}:${s.line}`)}</code></td><td><code>${text(s.masked)}</code></td></tr>`)}</tbody></table>`
    : html`<p class="muted">No secret-looking strings.</p>`}</div>`;
}

function diffPart(diff: DiffInsight, files: DiffFileView[]): SafeHtml {
  return html`<div data-insight="diff"><h3>Diff against the starter</h3>
<p data-testid="diff-summary">${plural(diff.filesChanged, 'file')} changed, <span class="ok">+${diff.linesAdded}</span> <span class="bad">−${diff.linesRemoved}</span></p>
${diff.files.length
    ? html`<table><tbody>${diff.files.slice(0, 50).map((f) => {
        const view = files.find((v) => v.path === f.path);
        return html`<tr><td>${badge(f.status === 'added' ? 'ok' : f.status === 'removed' ? 'bad' : 'skipped', f.status)}</td><td>${view ? html`<a href="#d${view.index}"><code>${text(f.path)}</code></a>` : html`<code>${text(f.path)}</code>`}${f.skipped ? html` <span class="muted">(${f.skipped}, not shown)</span>` : ''}</td><td class="num"><span class="ok">+${f.added}</span> <span class="bad">−${f.removed}</span></td></tr>`;
      })}</tbody></table>${diff.files.length > 50 ? html`<p class="muted">${diff.files.length - 50} more files</p>` : ''}`
    : ''}
${files.map(
  (f) => html`<details open id="d${f.index}" data-diff-file="${f.path}"><summary><code>${text(f.path)}</code></summary><pre class="diff">${f.lines.map((l) =>
    l.newLine !== undefined && l.kind !== 'del'
      ? html`<span id="d${f.index}-L${l.newLine}" class="${l.kind}"><span class="ln">${l.newLine}</span>${text(l.text)}</span>`
      : html`<span class="${l.kind}"><span class="ln"></span>${text(l.text)}</span>`,
  )}</pre></details>`,
)}
${diff.patchCut ? html`<p class="muted">The diff is cut here (too long to show whole).</p>` : ''}</div>`;
}

/** The reviewer's Insights panel; empty when the report has none (v1 reports, runs without analyses). */
export function insightsSection(insights: Insights | undefined, extra: SafeHtml | string = ''): SafeHtml | string {
  if (!insights) return '';
  const files = insights.diff ? parsePatch(insights.diff.patch) : [];
  return html`<section data-testid="insights"><h2>Insights <span class="muted">(not scored)</span></h2>
${insights.notes.length ? html`<ul data-testid="insight-notes">${insights.notes.map((n) => html`<li>${badge(n.code === 'failed' || n.code === 'timeout' ? 'bad' : 'skipped', `${n.analysis} ${n.code}`)} ${text(n.message)}</li>`)}</ul>` : ''}
${insights.lint ? lintPart(insights.lint, files, true) : ''}
${insights.size ? sizePart(insights.size) : ''}
${insights.hygiene ? hygienePart(insights.hygiene) : ''}
${extra}
${insights.diff ? diffPart(insights.diff, files) : ''}</section>`;
}

/** What the candidate's page shows of the insights the challenge exposes to them (the lint summary). */
export function candidateInsightsSection(insights: { lint?: LintInsight | undefined } | undefined): SafeHtml | string {
  if (!insights?.lint) return '';
  return html`<section data-testid="candidate-insights"><h2>Code quality <span class="muted">(not scored)</span></h2>${lintPart(insights.lint, [], false)}</section>`;
}
