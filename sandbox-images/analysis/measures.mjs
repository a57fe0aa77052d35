// Pure measurements over file contents, with no dependencies: languages, line counts, repeated
// blocks, Python function extents and secret-looking strings. Imported by analyse.mjs (inside
// the analysis sandbox) and by the unit tests beside it (test/insights-measures.test.ts).

/** Languages by file extension; files of other extensions count in the totals only. */
const LANGUAGES = {
  js: 'JavaScript', mjs: 'JavaScript', cjs: 'JavaScript', jsx: 'JavaScript',
  ts: 'TypeScript', mts: 'TypeScript', cts: 'TypeScript', tsx: 'TypeScript',
  py: 'Python',
  json: 'JSON', md: 'Markdown', html: 'HTML', htm: 'HTML', css: 'CSS', scss: 'CSS',
  yml: 'YAML', yaml: 'YAML', sql: 'SQL', sh: 'Shell', toml: 'TOML',
};
/** Languages whose files are linted and measured (functions, complexity, repeated blocks). */
export const SOURCE_LANGUAGES = new Set(['JavaScript', 'TypeScript', 'Python']);

export function languageOf(file) {
  const dot = file.lastIndexOf('.');
  if (dot < 0 || dot < file.lastIndexOf('/')) return undefined;
  return LANGUAGES[file.slice(dot + 1).toLowerCase()];
}

/** Generated files: counted in the diff, never linted, measured or diffed line by line. */
const LOCKFILES = new Set(['package-lock.json', 'npm-shrinkwrap.json', 'yarn.lock', 'pnpm-lock.yaml', 'bun.lock', 'bun.lockb', 'poetry.lock', 'Pipfile.lock', 'uv.lock', 'pdm.lock']);
export function isLockfile(file) {
  return LOCKFILES.has(file.slice(file.lastIndexOf('/') + 1));
}

/** A NUL byte in the first 8 KiB, as git decides. */
export function isBinary(buf) {
  return buf.subarray(0, 8192).includes(0);
}

/** Minified or generated code: a `.min.` name, or a line longer than 2,000 characters in a file of few lines. */
export function isMinified(file, text) {
  if (/\.min\.[a-z]+$/i.test(file)) return true;
  let longest = 0;
  let lines = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', start)) {
    longest = Math.max(longest, i - start);
    start = i + 1;
    lines++;
  }
  longest = Math.max(longest, text.length - start);
  return longest > 2000 && text.length / lines > 200;
}

/** Lines and non-blank lines. */
export function countLines(text) {
  if (text === '') return { lines: 0, nonBlank: 0 };
  const all = text.split('\n');
  if (all[all.length - 1] === '') all.pop();
  return { lines: all.length, nonBlank: all.filter((l) => l.trim() !== '').length };
}

/** How many lines a repeated block must span, and how much code it must hold, to count. */
export const DUPLICATE_WINDOW = 6;
const MIN_WINDOW_CHARS = 80;

/**
 * Repeated blocks: every window of DUPLICATE_WINDOW consecutive non-blank lines (whitespace
 * collapsed, comments-only and bracket-only lines dropped) is hashed; a window seen in more than
 * one place is duplicated, and consecutive duplicated windows of one file merge into one block.
 * `files` is [{ file, text }]. Returns { blocks, lines, top: [{ lines, at: [{ file, line }] }] }.
 */
export function findDuplicates(files, maxTop = 10) {
  const seen = new Map(); // key -> [{ file, index }]
  const normalised = [];
  for (const { file, text } of files) {
    const kept = [];
    text.split('\n').forEach((raw, i) => {
      const line = raw.trim().replace(/\s+/g, ' ');
      if (line === '' || /^(\/\/|#|\*|\/\*)/.test(line) || /^[\s{}()[\];,]*$/.test(line)) return;
      kept.push({ line, number: i + 1 });
    });
    normalised.push({ file, kept });
    for (let i = 0; i + DUPLICATE_WINDOW <= kept.length; i++) {
      const window = kept.slice(i, i + DUPLICATE_WINDOW).map((k) => k.line);
      if (window.join('').length < MIN_WINDOW_CHARS) continue;
      const key = window.join('\n');
      const list = seen.get(key);
      const at = { file, index: i };
      if (list) {
        if (list.length < 20) list.push(at);
      } else seen.set(key, [at]);
    }
  }
  const runs = [];
  const covered = new Set();
  for (const { file, kept } of normalised) {
    let run;
    for (let i = 0; i + DUPLICATE_WINDOW <= kept.length; i++) {
      const key = kept.slice(i, i + DUPLICATE_WINDOW).map((k) => k.line).join('\n');
      const list = seen.get(key);
      if (list && list.length > 1) {
        for (let j = i; j < i + DUPLICATE_WINDOW; j++) covered.add(`${file}\n${j}`);
        if (run && run.last === i - 1) {
          run.last = i;
        } else {
          run = { file, first: i, last: i, key, line: kept[i].number, kept };
          runs.push(run);
        }
      }
    }
  }
  // A block is counted once, at its first run; the others are where it repeats.
  const byKey = new Map();
  for (const r of runs) {
    const span = r.kept[r.last + DUPLICATE_WINDOW - 1].number - r.line + 1;
    const entry = byKey.get(r.key) ?? { lines: 0, at: [] };
    entry.lines = Math.max(entry.lines, span);
    entry.at.push({ file: r.file, line: r.line });
    byKey.set(r.key, entry);
  }
  const blocks = [...byKey.values()].filter((b) => b.at.length > 1);
  blocks.sort((a, b) => b.lines * b.at.length - a.lines * a.at.length);
  return { blocks: blocks.length, lines: covered.size, top: blocks.slice(0, maxTop).map((b) => ({ lines: b.lines, at: b.at.slice(0, 5) })) };
}

/**
 * Python functions by indentation: `def`/`async def` to the last non-blank line indented
 * deeper. Returns [{ name, line, lines }].
 */
export function pythonFunctions(text) {
  const lines = text.split('\n');
  const out = [];
  const indentOf = (l) => l.length - l.trimStart().length;
  lines.forEach((l, i) => {
    const m = /^(\s*)(?:async\s+)?def\s+([A-Za-z_]\w*)/.exec(l);
    if (!m) return;
    const indent = m[1].length;
    let last = i;
    let open = (l.match(/\(/g) ?? []).length - (l.match(/\)/g) ?? []).length; // a signature over several lines
    for (let j = i + 1; j < lines.length; j++) {
      const t = lines[j];
      if (open > 0) {
        open += (t.match(/\(/g) ?? []).length - (t.match(/\)/g) ?? []).length;
        last = j;
        continue;
      }
      if (t.trim() === '' || t.trimStart().startsWith('#')) continue;
      if (indentOf(t) <= indent) break;
      last = j;
    }
    out.push({ name: m[2], line: i + 1, lines: last - i + 1 });
  });
  return out;
}

/** Secret-looking strings, each with the kind the report names. The value is group 1 where there is one. */
const SECRET_PATTERNS = [
  { kind: 'private_key', re: /-----BEGIN ((?:RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY(?: BLOCK)?)-----/ },
  { kind: 'aws_access_key', re: /\b((?:AKIA|ASIA)[0-9A-Z]{16})\b/ },
  { kind: 'github_token', re: /\b(gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b/ },
  { kind: 'slack_token', re: /\b(xox[abprs]-[A-Za-z0-9-]{10,200})\b/ },
  { kind: 'stripe_key', re: /\b((?:sk|rk)_live_[A-Za-z0-9]{20,200})\b/ },
  { kind: 'google_api_key', re: /\b(AIza[0-9A-Za-z_-]{35})\b/ },
  { kind: 'npm_token', re: /\b(npm_[A-Za-z0-9]{36})\b/ },
  { kind: 'jwt', re: /\b(eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})/ },
  // A name that says secret given a quoted literal (code, JSON, YAML) ...
  { kind: 'generic_secret', re: /(?:secret|passw(?:or)?d|api[_-]?key|access[_-]?key|auth[_-]?token|private[_-]?key|token)[A-Za-z0-9_]*["']?\s*[:=]\s*["'`](?<v>[^\s"'`]{8,200})["'`]/i },
  // ... or an environment file's unquoted assignment (NAME=value, export NAME=value).
  { kind: 'generic_secret', re: /^\s*(?:export\s+)?[A-Z0-9_]*(?:SECRET|PASSWORD|PASSWD|TOKEN|API_KEY|APIKEY|ACCESS_KEY|PRIVATE_KEY)[A-Z0-9_]*\s*=\s*["']?(?<v>[^\s"'#]{8,200})/ },
];
/** Values that are obviously placeholders or references, not secrets. */
const PLACEHOLDER = /^(?:x+|\*+|\.+|<.*>|\$\{.*\}|\$[A-Z_]+|%.*%|{{.*}}|process\.env.*|os\.environ.*|(?:your|my|change|example|placeholder|dummy|test|fake|sample|replace)[-_a-z]*)$/i;

/** `AKIA…` and the length: enough to find it, not enough to use it. */
export function maskSecret(value) {
  const shown = Math.min(4, Math.floor(value.length / 4));
  return `${value.slice(0, shown)}${'*'.repeat(Math.min(8, value.length - shown))} (${value.length} chars)`;
}

/** Secret-looking strings in one text file: [{ line, kind, masked }], at most `max`. */
export function findSecrets(text, max = 20) {
  const out = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length && out.length < max; i++) {
    const line = lines[i].length > 4096 ? lines[i].slice(0, 4096) : lines[i];
    for (const { kind, re } of SECRET_PATTERNS) {
      const m = re.exec(line);
      if (!m) continue;
      const value = m.groups?.v ?? m[1] ?? m[0];
      // Generic names: not placeholders, references or plain words (a digit, a symbol, or 16 characters at least).
      if (kind === 'generic_secret' && (PLACEHOLDER.test(value) || (value.length < 16 && /^[A-Za-z]+$/.test(value)))) continue;
      out.push({ line: i + 1, kind, masked: kind === 'private_key' ? value : maskSecret(value) });
      break;
    }
  }
  return out;
}

const PRIVATE_KEY_BEGIN = /-----BEGIN ([A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?)-----/;
const PRIVATE_KEY_END = /-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----/;
const MASKING = SECRET_PATTERNS.filter((p) => p.kind !== 'private_key').map((p) => ({ kind: p.kind, re: new RegExp(p.re.source, `${p.re.flags}g`) }));

/**
 * The text with every secret-looking value masked as findSecrets reports it, and private key
 * blocks hidden line by line (the line count stays, so a diff of it keeps its line numbers).
 * What the reviewer's diff view shows of the candidate's files goes through this first.
 */
export function maskSecretsIn(text) {
  const lines = text.split('\n');
  let inKey = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const begin = PRIVATE_KEY_BEGIN.exec(line);
    if (begin || inKey) {
      const ends = PRIVATE_KEY_END.test(line);
      lines[i] = begin ? `[${begin[1].toLowerCase()} hidden]` : ends ? '[end of the private key]' : '[private key line hidden]';
      inKey = !ends;
      continue;
    }
    let out = line;
    for (const { kind, re } of MASKING) {
      out = out.replace(re, (match, ...args) => {
        const groups = typeof args[args.length - 1] === 'object' ? args[args.length - 1] : undefined;
        const value = groups?.v ?? (typeof args[0] === 'string' ? args[0] : match);
        if (value.includes('********')) return match; // masked already, by a more specific pattern
        if (kind === 'generic_secret' && (PLACEHOLDER.test(value) || (value.length < 16 && /^[A-Za-z]+$/.test(value)))) return match;
        return match.replace(value, maskSecret(value));
      });
    }
    lines[i] = out;
  }
  return lines.join('\n');
}
