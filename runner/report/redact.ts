/**
 * Removes obvious secrets from a log before anyone reads it (reviewers in the report, the
 * candidate in their view). Pure. It errs on the side of hiding: a value next to a name that
 * looks like a secret is hidden even when it was harmless; what it cannot know (a secret
 * printed with no name beside it) it cannot hide, so the candidate's sandbox gets no secrets
 * of Assay's in the first place.
 *
 * Hidden:
 * - values assigned to names containing TOKEN, SECRET, KEY, PASSWORD/PASSWD/PWD or CREDENTIAL
 *   (`NAME=value`, `NAME: value`, `"name": "value"`, `name = 'value'`), any case;
 * - PEM private key blocks (also half of one, where the log's cap cut the other half off);
 * - credentials in URLs (`https://user:pass@host`);
 * - `Authorization:` header values and bearer tokens;
 * - tokens with a well-known shape (GitHub, npm, AWS access key ids, Slack).
 */

export const REDACTED = '[redacted]';

const SECRET_NAME = String.raw`[A-Za-z0-9_.-]*(?:token|secret|key|passw(?:or)?d|pwd|credential)[A-Za-z0-9_.-]*`;
/** name, its optional quotes, the separator, then a quoted or bare value. */
const ASSIGNMENT = new RegExp(String.raw`(["']?)\b(${SECRET_NAME})\1(\s*(?:=|:)\s*)(?:"([^"\n]*)"|'([^'\n]*)'|([^\s"',;&)}\]]+))`, 'gi');

const PEM_BLOCK = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g;
/** The end of a block whose beginning was cut off (only when no BEGIN precedes it). */
const PEM_ORPHAN_END = /^[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY-----/;
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@"'<>]+@/gi;
const AUTH_HEADER = /\b(authorization\s*[:=]\s*)(?:(bearer|basic|token)\s+)?[^\s"',;]+/gi;
const BEARER = /\b(bearer\s+)[A-Za-z0-9._~+/-]{8,}=*/gi;
const KNOWN_SHAPES = [
  /\bgh[pousr]_[A-Za-z0-9]{30,}\b/g,
  /\bgithub_pat_[A-Za-z0-9_]{30,}\b/g,
  /\bnpm_[A-Za-z0-9]{30,}\b/g,
  /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g,
  /\bxox[abprs]-[A-Za-z0-9-]{10,}\b/g,
];

export function redactSecrets(text: string): string {
  let out = text;
  const firstBegin = out.search(/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/);
  const firstEnd = out.search(/-----END [A-Z0-9 ]*PRIVATE KEY-----/);
  if (firstEnd >= 0 && (firstBegin < 0 || firstEnd < firstBegin)) out = out.replace(PEM_ORPHAN_END, `${REDACTED} (private key)`);
  out = out.replace(PEM_BLOCK, `${REDACTED} (private key)`);
  out = out.replace(URL_USERINFO, `$1${REDACTED}@`);
  out = out.replace(AUTH_HEADER, (_m, head: string, scheme?: string) => `${head}${scheme ? `${scheme} ` : ''}${REDACTED}`);
  out = out.replace(BEARER, `$1${REDACTED}`);
  for (const shape of KNOWN_SHAPES) out = out.replace(shape, REDACTED);
  out = out.replace(ASSIGNMENT, (match, quote: string, name: string, sep: string, dq?: string, sq?: string, bare?: string) => {
    if (bare?.startsWith('[redacted') || dq === REDACTED || sq === REDACTED) return match;
    // `name = bare` with spaces is code (`type Keys = keyof T`), not an environment dump: quoted values only.
    if (bare !== undefined && sep.includes('=') && /\s/.test(sep)) return match;
    const value = dq !== undefined ? `"${REDACTED}"` : sq !== undefined ? `'${REDACTED}'` : bare !== undefined ? REDACTED : '';
    return `${quote}${name}${quote}${sep}${value}`;
  });
  return out;
}

/**
 * The last `maxChars` characters of a log, secrets removed first (so a cut can never expose
 * the middle of a secret whose start was hidden), starting at a line boundary when one is near.
 */
export function redactedTail(text: string, maxChars: number): string {
  const clean = redactSecrets(text);
  if (clean.length <= maxChars) return clean;
  let tail = clean.slice(-maxChars);
  const nl = tail.indexOf('\n');
  if (nl >= 0 && nl < 200) tail = tail.slice(nl + 1);
  return `…${tail.startsWith('\n') ? '' : '\n'}${tail}`;
}
