/**
 * Safe HTML for server-rendered pages. `html\`...\`` escapes every interpolated value unless it
 * is itself the result of `html` (SafeHtml), so candidate text can only ever become text.
 * `text()` additionally strips terminal escapes from candidate output before escaping it.
 */
import { randomBytes } from 'node:crypto';
import type { Response } from 'express';
import { stripTerminalEscapes } from '../../runner/report/text.ts';

export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (c) => ESCAPES[c] ?? c);
}

type Part = SafeHtml | string | number | boolean | null | undefined | readonly Part[];

function render(part: Part): string {
  if (part === null || part === undefined || part === false) return '';
  if (part instanceof SafeHtml) return part.value;
  if (Array.isArray(part)) return part.map(render).join('');
  return escapeHtml(String(part));
}

export function html(strings: TemplateStringsArray, ...values: Part[]): SafeHtml {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] ?? '');
  return new SafeHtml(out);
}

/** Candidate-controlled text (names, messages, logs, URLs): terminal escapes removed, then escaped by `html`. */
export function text(value: string | null | undefined): string {
  return stripTerminalEscapes(value ?? '');
}

export function newNonce(): string {
  return randomBytes(16).toString('base64');
}

export interface PageOptions {
  /** The page's own script fetches from this origin (`connect-src 'self'`). @defaultValue false */
  connect?: boolean;
}

/** The page CSP: nothing by default, styles and scripts only with this response's nonce. */
export function contentSecurityPolicy(nonce: string, opts: PageOptions = {}): string {
  return [
    "default-src 'none'",
    `style-src 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
    ...(opts.connect ? ["connect-src 'self'"] : []),
    "img-src 'self' data:",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

export function sendPage(res: Response, page: SafeHtml, nonce: string, status = 200, opts: PageOptions = {}): void {
  res
    .status(status)
    .set({
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': contentSecurityPolicy(nonce, opts),
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-store',
    })
    .send(`<!doctype html>\n${page.value}`);
}

const STYLE = `
:root{--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700;--muted:#57606a;--line:#d0d7de;font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#1f2328}
body{margin:0;background:#f6f8fa}
header{background:#24292f;color:#fff;padding:.6rem 1.2rem;display:flex;gap:1rem;align-items:center}
header a{color:#fff;text-decoration:none;font-weight:600}
header form{margin-left:auto}
main{max-width:1100px;margin:1.2rem auto;padding:0 1.2rem}
section{background:#fff;border:1px solid var(--line);border-radius:6px;padding:1rem 1.2rem;margin-bottom:1rem}
h1{font-size:1.4rem;margin:.2rem 0 1rem}h2{font-size:1.1rem;margin:0 0 .8rem}
table{border-collapse:collapse;width:100%;font-size:.92rem}
th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
th{color:var(--muted);font-weight:600}
.num{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;padding:.05rem .45rem;border-radius:1rem;font-size:.8rem;border:1px solid var(--line);white-space:nowrap}
.passed,.completed,.ok{color:var(--ok);border-color:var(--ok)}
.failed,.error,.timeout,.canceled,.bad{color:var(--bad);border-color:var(--bad)}
.queued,.running,.skipped,.hidden{color:var(--warn);border-color:var(--warn)}
.score{font-size:2.2rem;font-weight:700}
.muted{color:var(--muted)}
meter{width:14rem;height:1rem}
pre{background:#0d1117;color:#e6edf3;padding:.8rem;border-radius:6px;overflow:auto;max-height:30rem;white-space:pre-wrap;word-break:break-all;font-size:.82rem}
details{margin:.4rem 0}summary{cursor:pointer}
code{font-size:.85rem}
.grid{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem}
.filters a{margin-right:.6rem}
.filters label{margin-right:.8rem;white-space:nowrap}.filters input[type=search]{width:14rem;display:inline-block}
button{font:inherit;padding:.35rem .9rem;border-radius:6px;border:1px solid var(--line);background:#f6f8fa;cursor:pointer}
input{font:inherit;padding:.4rem;border:1px solid var(--line);border-radius:6px;width:100%;box-sizing:border-box}
.login{max-width:26rem;margin:4rem auto}
.msg{white-space:pre-wrap;word-break:break-word;margin:0;font-family:ui-monospace,monospace;font-size:.82rem}
h3{font-size:1rem;margin:1.1rem 0 .5rem}
.diff{background:#fff;color:#1f2328;border:1px solid var(--line);white-space:pre;word-break:normal;max-height:40rem}
.diff>span{display:block;min-height:1.2em}.diff .add{background:#dafbe1}.diff .del{background:#ffebe9}.diff .hunk{color:var(--muted);background:#ddf4ff}
.diff .ln{display:inline-block;width:3.2em;color:var(--muted);user-select:none}.diff>span:target{outline:2px solid #0969da}
svg.bars{display:block;max-width:100%;margin:.3rem 0 .6rem}
`;

export interface LayoutOptions {
  title: string;
  nonce: string;
  /** Seconds until the page reloads itself (while something is queued or running). */
  refreshSeconds?: number;
  /** Shown in the header with a logout form when logged in. */
  user?: { name: string; role: string; csrf: string };
}

export function layout(opts: LayoutOptions, body: SafeHtml): SafeHtml {
  return html`<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${opts.title} · Assay</title>
${opts.refreshSeconds ? html`<meta http-equiv="refresh" content="${opts.refreshSeconds}">` : ''}
<style nonce="${opts.nonce}">${new SafeHtml(STYLE)}</style></head>
<body><header><a href="/ui">Assay</a>${opts.user
    ? html`<span class="muted">${opts.user.name} (${opts.user.role})</span><form method="post" action="/ui/logout"><input type="hidden" name="csrf" value="${opts.user.csrf}"><button type="submit">Log out</button></form>`
    : ''}</header>
<main>${body}</main></body></html>`;
}
