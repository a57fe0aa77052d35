/** The reviewer UI's pages, as pure functions of their data. Every candidate-controlled string goes through `text()` inside `html`. */
import type { Challenge } from '../../runner/challenges/repository.ts';
import type { Report } from '../../runner/report/schema.ts';
import type { CohortPosition } from '../../runner/store/cohort.ts';
import { FINAL_STATUSES, type SubmissionRecord } from '../../runner/store/submissions.ts';
import type { CandidateReport } from '../schemas.ts';
import { html, layout, SafeHtml, text, type LayoutOptions } from './html.ts';
import { candidateInsightsSection, insightsSection } from './insights.ts';
import { candidateOwnTestsSection, ownTestsAndHistory } from './insights-tests.ts';

type User = NonNullable<LayoutOptions['user']>;

export const badge = (cls: string, label: string) => html`<span class="badge ${cls}">${label}</span>`;
export const pct = (n: number) => `${Math.round(n * 10) / 10}%`;
export const shortCommit = (c?: string | null) => (c ? c.slice(0, 12) : '—');

export function duration(ms?: number): string {
  if (ms === undefined) return '—';
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  return s < 120 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

export function candidateLabel(r: SubmissionRecord): string {
  const c = r.candidate;
  return text(c?.name ?? c?.email ?? c?.externalId ?? '') || '(anonymous)';
}

export function loginPage(nonce: string, error?: string): SafeHtml {
  return layout(
    { title: 'Log in', nonce },
    html`<section class="login"><h1>Reviewer login</h1>
${error ? html`<p class="bad" role="alert">${error}</p>` : ''}
<form method="post" action="/ui/login"><label for="key">API key (reviewer or admin)</label>
<p><input id="key" name="key" type="password" autocomplete="current-password" required maxlength="512"></p>
<button type="submit">Log in</button></form></section>`,
  );
}

export function errorPage(nonce: string, status: number, message: string, user?: User): SafeHtml {
  return layout({ title: String(status), nonce, user }, html`<section><h1>${status}</h1><p>${message}</p><p><a href="/ui">Back to the challenges</a></p></section>`);
}

export function challengesPage(nonce: string, user: User, challenges: Challenge[]): SafeHtml {
  return layout(
    { title: 'Challenges', nonce, user },
    html`<h1>Challenges</h1><section><table><thead><tr><th>Challenge</th><th>Version</th><th>Kind</th><th>Runtimes</th><th class="num">Tests</th></tr></thead><tbody>
${challenges.map((c) => html`<tr><td><a href="/ui/challenges/${encodeURIComponent(c.manifest.id)}">${c.manifest.title}</a> <code class="muted">${c.manifest.id}</code></td><td>${c.manifest.version}</td><td>${c.manifest.kind}</td><td>${c.manifest.runtimes.join(', ')}</td><td class="num">${c.manifest.tests.length}</td></tr>`)}
</tbody></table></section>`,
  );
}

// The dashboard of a challenge is in ./dashboard.ts.

export interface ReportPageData {
  record: SubmissionRecord;
  report?: Report;
  run?: number;
  /** Admins get rerun and cancel forms. */
  canAdmin: boolean;
  /** The review panel (api/ui/review.ts), when the challenge has a rubric. */
  reviewSection?: SafeHtml;
  /** Where the score stands within its challenge version (api/cohort.ts). */
  cohort?: CohortPosition;
  /** This submission's most similar others (api/ui/similarity.ts), for a completed report. */
  similaritySection?: SafeHtml;
}

export function reportPage(nonce: string, user: User, d: ReportPageData): SafeHtml {
  const { record: r, report } = d;
  const busy = !FINAL_STATUSES.includes(r.status);
  const id = encodeURIComponent(r.id);
  return layout(
    { title: `Report ${r.id.slice(0, 8)}`, nonce, user, ...(busy ? { refreshSeconds: 5 } : {}) },
    html`<h1>${candidateLabel(r)} · <a href="/ui/challenges/${encodeURIComponent(r.challenge)}">${r.challenge}</a></h1>
<section><div class="grid">
<span class="muted">Status</span><span>${badge(r.status, r.status)} ${busy ? html`<span class="muted">stage ${r.stage}</span>` : ''}</span>
${report ? html`<span class="muted">Score</span><span><span class="score" data-testid="score">${pct(report.score.percent)}</span> <span class="muted">${report.score.points} / ${report.score.maxPoints} points</span></span>` : ''}
${report && d.cohort ? html`<span class="muted">Percentile</span><span><strong data-testid="percentile">${d.cohort.percentile}</strong> <span class="muted">among ${d.cohort.of} graded submission${d.cohort.of === 1 ? '' : 's'} of v${d.cohort.version} (<a href="/ui/challenges/${encodeURIComponent(r.challenge)}/stats?version=${encodeURIComponent(d.cohort.version)}">statistics</a>)</span></span>` : ''}
<span class="muted">Repository</span><span><code>${text(r.repoUrl)}</code>${r.path ? html` · folder <code>${text(r.path)}</code>` : ''}</span>
<span class="muted">Ref</span><span><code>${text(report?.ref ?? r.ref ?? '(default branch)')}</code></span>
<span class="muted">Commit</span><span><code>${report?.commit ?? r.commit ?? '—'}</code></span>
${report ? html`<span class="muted">Challenge</span><span>${report.challenge.id} v${report.challenge.version} · suite <code>${report.challenge.suiteHash.slice(0, 16)}</code></span>
<span class="muted">Runtime</span><span>${report.runtime ?? 'none'}</span>
<span class="muted">Images</span><span>${Object.entries(report.runner.images).map(([k, img]) => html`<div>${k}: <code>${img.tag}</code> <code class="muted">${img.id.slice(0, 19)}</code></div>`)}${Object.keys(report.runner.images).length ? '' : '—'}</span>
<span class="muted">Runner</span><span>${report.runner.version} on ${report.runner.workerId}</span>
<span class="muted">Graded</span><span>${report.startedAt} → ${report.finishedAt} (${duration(report.timings.totalMs)})</span>` : ''}
<span class="muted">Runs</span><span>${r.reportRuns.length ? r.reportRuns.map((n) => (n === (d.run ?? r.reportRuns.at(-1)) ? html`<strong>run ${n}</strong> ` : html`<a href="/ui/submissions/${id}?run=${n}">run ${n}</a> `)) : 'none yet'}${r.runs > (r.reportRuns.at(-1) ?? 0) ? html` <span class="muted">(run ${r.runs} ${r.status})</span>` : ''}</span>
</div>
${d.canAdmin ? adminForms(r, user.csrf) : ''}
</section>
${r.error && !report?.error ? html`<section><h2>Error</h2><p>${badge('bad', r.error.fault)} <code>${r.error.code}</code> ${text(r.error.message)}</p></section>` : ''}
${d.reviewSection ?? ''}
${report ? reportBody(report) : html`<section><p class="muted">${busy ? 'The report appears here when grading finishes.' : 'No report for this run.'}</p></section>`}
${d.similaritySection ?? ''}
${webhookSection(r)}`,
  );
}

function adminForms(r: SubmissionRecord, csrf: string): SafeHtml {
  const id = encodeURIComponent(r.id);
  if (FINAL_STATUSES.includes(r.status)) {
    return html`<form method="post" action="/ui/submissions/${id}/rerun"><input type="hidden" name="csrf" value="${csrf}">
<p><button type="submit">Rerun</button> <span class="muted">grades the same commit again (earlier reports are kept)</span></p></form>`;
  }
  return html`<form method="post" action="/ui/submissions/${id}/cancel"><input type="hidden" name="csrf" value="${csrf}"><p><button type="submit">Cancel</button></p></form>`;
}

function reportBody(report: Report): SafeHtml {
  return html`${report.error ? html`<section><h2>Could not be graded</h2><p>${badge('bad', report.error.fault)} <code>${report.error.code}</code> ${text(report.error.message)}</p></section>` : ''}
${report.flags.length ? html`<section><h2>Flags</h2><ul>${report.flags.map((f) => html`<li>${badge('bad', f.code)} ${text(f.message)}</li>`)}</ul></section>` : ''}
${report.categories.length ? html`<section><h2>Categories</h2><table><tbody>${report.categories.map((c) => html`<tr><td>${c.category}</td><td><meter min="0" max="${c.maxPoints || 1}" value="${c.points}">${c.points}/${c.maxPoints}</meter></td><td class="num">${c.points} / ${c.maxPoints}</td></tr>`)}</tbody></table></section>` : ''}
<section><h2>Tests (${report.tests.filter((t) => t.status === 'passed').length}/${report.tests.length} passed)</h2>
<table><thead><tr><th>Status</th><th>Test</th><th>Category</th><th class="num">Points</th><th>Message</th></tr></thead><tbody>
${report.tests.map((t) => html`<tr data-test-id="${t.id}"><td>${badge(t.status, t.status)}</td><td>${t.name} <code class="muted">${t.id}</code>${t.visibility === 'hidden' ? html` ${badge('hidden', 'hidden')}` : ''}</td><td>${t.category}</td><td class="num">${t.points} / ${t.maxPoints}</td><td>${t.message ? html`<pre class="msg">${text(t.message)}</pre>` : ''}</td></tr>`)}
</tbody></table></section>
${insightsSection(report.insights, ownTestsAndHistory(report.insights))}
<section><h2>Steps</h2>${report.steps.map(
    (s) => html`<details${s.status === 'failed' ? ' open' : ''} data-step="${s.name}"><summary>${badge(s.status, s.status)} <strong>${s.name}</strong> · ${duration(s.durationMs)}${s.verdict ? html` · ${s.verdict}` : ''}${s.exitCode !== undefined && s.exitCode !== null ? html` · exit ${s.exitCode}` : ''}${s.reason ? html` · ${text(s.reason)}` : ''}${s.log && s.log.cutBytes > 0 ? html` · <span class="warn">${s.log.cutBytes} bytes cut</span>` : ''}</summary>
${s.log ? html`<pre>${text(s.log.text) || '(no output)'}</pre>${s.log.cutBytes > 0 ? html`<p class="muted">${s.log.cutBytes} bytes cut of ${s.log.totalBytes} (head and tail kept)</p>` : ''}` : html`<p class="muted">no log</p>`}</details>`,
  )}</section>
<section><h2>Resources</h2><p>memory ${report.resources.memoryLimitMb} MB · ${report.resources.cpus} CPU · ${report.resources.pidsLimit} pids${report.resources.oomKilled ? html` · ${badge('bad', 'OOM killed')}` : ''}</p></section>`;
}

function webhookSection(r: SubmissionRecord): SafeHtml | string {
  if (!r.callbackUrl) return '';
  return html`<section><h2>Webhook</h2><p><code>${text(r.callbackUrl)}</code></p>
${r.webhookDeliveries.length === 0 ? html`<p class="muted">No delivery yet.</p>` : html`<table><thead><tr><th class="num">Attempt</th><th>At</th><th>Result</th><th class="num">Status</th><th class="num">Duration</th><th>Error</th></tr></thead><tbody>
${r.webhookDeliveries.map((w) => html`<tr><td class="num">${w.attempt}</td><td>${w.at}</td><td>${badge(w.ok ? 'ok' : 'bad', w.ok ? 'delivered' : 'failed')}</td><td class="num">${w.status ?? '—'}</td><td class="num">${duration(w.durationMs)}</td><td>${text(w.error ?? '')}</td></tr>`)}
</tbody></table>`}</section>`;
}

/** The candidate's page (opened with their access token): status and the candidate report view only. */
export function candidatePage(nonce: string, r: SubmissionRecord, report?: CandidateReport): SafeHtml {
  const busy = !FINAL_STATUSES.includes(r.status);
  return layout(
    { title: 'Your submission', nonce, ...(busy ? { refreshSeconds: 10 } : {}) },
    html`<h1>Your submission · ${r.challenge}</h1>
<section><div class="grid"><span class="muted">Status</span><span>${badge(r.status, r.status)}</span>
${report ? html`<span class="muted">Score</span><span><span class="score">${pct(report.score.percent)}</span> <span class="muted">${report.score.points} / ${report.score.maxPoints} points</span></span>` : ''}
<span class="muted">Repository</span><span><code>${text(r.repoUrl)}</code>${r.path ? html` · folder <code>${text(r.path)}</code>` : ''}</span><span class="muted">Commit</span><span><code>${report?.commit ?? r.commit ?? '—'}</code></span>${report?.runtimeVersion ? html`<span class="muted">Runtime</span><span>${report.runtime ?? ''} ${report.runtimeVersion}</span>` : ''}
${report?.candidateAttempt ? html`<span class="muted">Attempt</span><span data-testid="attempt">${report.candidateAttempt.number}${report.candidateAttempt.max !== undefined ? html` of ${report.candidateAttempt.max}` : ''}</span>` : ''}</div></section>
${report?.error ? html`<section><h2>Could not be graded</h2><p><code>${report.error.code}</code> ${text(report.error.message)}</p></section>` : ''}
${report ? html`<section><h2>Tests you can see</h2><table><thead><tr><th>Status</th><th>Test</th><th class="num">Points</th><th>Message</th></tr></thead><tbody>
${report.tests.map((t) => html`<tr data-test="${t.id}"><td>${badge(t.status, t.status)}</td><td>${t.name}</td><td class="num">${t.points} / ${t.maxPoints}</td><td>${t.message ? html`<pre class="msg">${text(t.message)}</pre>` : ''}${t.hint ? html`<p class="hint"><strong>Hint:</strong> ${text(t.hint)}</p>` : ''}</td></tr>`)}
</tbody></table><p class="muted">${report.hiddenTests.count} more tests (${report.hiddenTests.maxPoints} points) are not shown; they count in the score.</p></section>
<section><h2>Steps</h2><ul>${report.steps.map((s) => html`<li data-step="${s.name}">${badge(s.status, s.status)} ${s.name} · ${duration(s.durationMs)}${s.reason ? html` · ${text(s.reason)}` : ''}${s.logTail !== undefined ? html`<p class="muted">The end of its output (secrets hidden):</p><pre class="log-tail">${text(s.logTail) || '(no output)'}</pre>` : ''}</li>`)}</ul>
${report.flags.length ? html`<p>Flags:</p><ul>${report.flags.map((f) => html`<li>${badge('bad', f.code)}${f.message ? html` ${text(f.message)}` : ''}</li>`)}</ul>` : ''}</section>
${candidateInsightsSection(report.insights)}
${candidateOwnTestsSection(report.insights)}` : html`<section><p class="muted">Your results appear here when grading finishes.</p></section>`}`,
  );
}

/**
 * The script of the candidate's page shell (a constant: nothing is interpolated into it). It
 * takes the access token from the fragment (`#token=...`, which the browser never sends to a
 * server), removes it from the address bar and this tab's history, keeps it in sessionStorage
 * for reloads, and fetches the same page again with `Authorization: Bearer`. The answer is
 * Assay's own escaped HTML, parsed inert in a <template>; its <main> replaces the shell's. While
 * the answer asks to refresh (grading not finished), it asks again after that many seconds.
 */
const CANDIDATE_SCRIPT = `(() => {
  'use strict';
  const main = document.querySelector('main');
  const slot = 'assay-token:' + location.pathname;
  const show = (message) => {
    const section = document.createElement('section');
    const p = document.createElement('p');
    p.setAttribute('role', 'alert');
    p.textContent = message;
    section.append(p);
    main.replaceChildren(section);
  };
  let token = null;
  const m = /(?:^#|&)token=([A-Za-z0-9_-]{1,200})(?:&|$)/.exec(location.hash);
  if (m) {
    token = m[1];
    try { sessionStorage.setItem(slot, token); } catch { /* storage off: this load only */ }
    history.replaceState(history.state, '', location.pathname + location.search);
  } else {
    try { token = sessionStorage.getItem(slot); } catch { /* storage off */ }
  }
  if (!token) {
    show('Open this page with the link you were given: its address ends with #token=... (Reviewers: log in at /ui/login.)');
    return;
  }
  const load = async () => {
    let res;
    let body;
    try {
      res = await fetch(location.pathname + location.search, { headers: { authorization: 'Bearer ' + token }, credentials: 'omit', cache: 'no-store', redirect: 'error' });
      body = await res.text();
    } catch {
      show('Assay could not be reached; reload the page to try again.');
      return;
    }
    if (res.status >= 400 && res.status < 500) {
      try { sessionStorage.removeItem(slot); } catch { /* storage off */ }
    }
    // A template's content is inert: nothing in it runs, loads or applies until moved here.
    const parsed = document.createElement('template');
    parsed.innerHTML = body;
    const page = parsed.content;
    const next = page.querySelector('main');
    if (!next) {
      show('Unexpected answer (HTTP ' + res.status + '); reload the page to try again.');
      return;
    }
    document.title = page.querySelector('title')?.textContent ?? document.title;
    main.replaceChildren(...next.childNodes);
    const refresh = page.querySelector('meta[http-equiv="refresh"]');
    const seconds = refresh ? parseInt(refresh.getAttribute('content') || '', 10) : NaN;
    if (res.ok && seconds > 0) setTimeout(load, seconds * 1000);
  };
  void load();
})();`;

/**
 * The candidate's page as served without credentials: no data about any submission (the same
 * for every id), and the script above, which fetches the real page with the token from the
 * fragment. Send it with `connect: true` (the script's fetch needs `connect-src 'self'`).
 */
export function candidateShellPage(nonce: string): SafeHtml {
  return layout(
    { title: 'Your submission', nonce },
    html`<section data-testid="candidate-shell"><p class="muted">Loading your results…</p>
<noscript><p>This page needs JavaScript: it reads your access token from the link (the part after #), which is never sent to a server.</p></noscript></section>
<script nonce="${nonce}">${new SafeHtml(CANDIDATE_SCRIPT)}</script>`,
  );
}
