/**
 * Checks, before anything is installed, that a Python submission's requirements come from the
 * configured index only, read the way pip reads them (continuation lines, comments, option lines,
 * per-requirement options). Pure: the planner reads the files and follows `-r`/`-c` includes.
 *
 * Accepted: name-based requirements (PEP 508: name, extras, version specifiers, markers) with
 * `--hash` options, and the option lines `-r`/`-c` (files inside the repository), `--require-hashes`,
 * `--pre`, `--prefer-binary` (plus `--only-binary`/`--no-binary` when sdists are allowed).
 * Refused, with the reason in the report:
 * - anything choosing where packages come from: `-i`/`--index-url`, `--extra-index-url`,
 *   `--no-index`, `-f`/`--find-links`, `--trusted-host` (Assay's index only);
 * - direct references: `name @ <url>`, bare URLs, VCS (`git+https://...`), local paths and
 *   archives, `-e`/`--editable` (they bypass the index, or install the candidate's own code);
 * - options that reach a package's build (`--config-settings`, `--global-option`, ...);
 * - `${VAR}`: pip expands environment variables in requirements files, which would print the
 *   install container's settings into a log the candidate reads.
 */

export interface RequirementsCheck {
  /** Requirements named (each counts once, includes not followed). */
  requirements: string[];
  /** `-r` and `-c` files the text refers to, as written (the caller resolves and checks them). */
  includes: string[];
  /** Whether any requirement carries `--hash` (pip then checks every one: --require-hashes). */
  hashed: boolean;
  problems: string[];
}

export interface PolicyOptions {
  /** The challenge allows source distributions (install.python.sdists). */
  sdists: boolean;
}

const NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;
const EXTRAS = /^\[\s*(?:[A-Za-z0-9][A-Za-z0-9._-]*\s*(?:,\s*[A-Za-z0-9][A-Za-z0-9._-]*\s*)*)?\]$/;
/** Version specifiers: `==1.0`, `>=2,<3`, `~=1.4.2`, `!=1.*`, `===x`, optionally in parentheses. */
const VERSION = String.raw`(?:\d+!)?[A-Za-z0-9][A-Za-z0-9.*+_-]*`;
const CLAUSE = String.raw`(?:===|==|!=|<=|>=|~=|<|>)\s*${VERSION}\s*`;
const VERSION_SPEC = new RegExp(String.raw`^\(?\s*(?:${CLAUSE}(?:,\s*${CLAUSE})*)?\)?$`);
const HASH = /^(?:sha256|sha384|sha512):[0-9a-fA-F]+$/;

const INDEX_OPTIONS = new Set(['-i', '--index-url', '--extra-index-url', '--no-index', '-f', '--find-links', '--trusted-host']);
const INCLUDE_OPTIONS = new Set(['-r', '--requirement', '-c', '--constraint']);
const ALLOWED_FLAGS = new Set(['--require-hashes', '--pre', '--prefer-binary']);
const FORMAT_OPTIONS = new Set(['--only-binary', '--no-binary']);

/** pip's logical lines: backslash continuations joined, comments and blank lines dropped. */
export function logicalLines(text: string): { line: string; number: number }[] {
  const out: { line: string; number: number }[] = [];
  const physical = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let pending = '';
  let start = 0;
  physical.forEach((raw, i) => {
    if (pending === '') start = i + 1;
    if (raw.endsWith('\\')) {
      pending += raw.slice(0, -1);
      return;
    }
    const joined = pending + raw;
    pending = '';
    const line = joined.replace(/(^|\s+)#.*$/, '').trim();
    if (line) out.push({ line, number: start });
  });
  const last = pending.replace(/(^|\s+)#.*$/, '').trim();
  if (last) out.push({ line: last, number: start });
  return out;
}

/** Splits an option line into [option, value] pairs the way optparse reads them (`-rX`, `-r X`, `--x=y`, `--x y`). */
function optionTokens(tokens: string[]): { option: string; value?: string }[] | string {
  const out: { option: string; value?: string }[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (!t.startsWith('-')) return `unexpected ${JSON.stringify(t.slice(0, 60))}`;
    const takesValue = (o: string) => INCLUDE_OPTIONS.has(o) || INDEX_OPTIONS.has(o) || FORMAT_OPTIONS.has(o) || o === '--hash' || o === '-e' || o === '--editable';
    if (t.startsWith('--')) {
      const eq = t.indexOf('=');
      if (eq > 0) out.push({ option: t.slice(0, eq), value: t.slice(eq + 1) });
      else if (takesValue(t) && i + 1 < tokens.length) out.push({ option: t, value: tokens[++i]! });
      else out.push({ option: t });
    } else {
      const option = t.slice(0, 2);
      const rest = t.slice(2).replace(/^=/, '');
      if (rest) out.push({ option, value: rest });
      else if (takesValue(option) && i + 1 < tokens.length) out.push({ option, value: tokens[++i]! });
      else out.push({ option });
    }
  }
  return out;
}

/** Why a requirement string is not a plain name-based requirement from the index, or undefined. */
export function requirementProblem(requirement: string): string | undefined {
  const semicolon = requirement.indexOf(';');
  const spec = (semicolon >= 0 ? requirement.slice(0, semicolon) : requirement).trim();
  const shown = JSON.stringify(requirement.slice(0, 80));
  if (/^[A-Za-z][A-Za-z0-9+.-]*\+[A-Za-z]+:\/\//.test(spec)) return `${shown} is a VCS requirement: install from the index instead`;
  if (/:\/\//.test(requirement) || /^[A-Za-z]+:/.test(spec)) return `${shown} is a URL: requirements come from the index`;
  if (spec.includes('@')) return `${shown} is a direct reference (name @ url): requirements come from the index`;
  if (/^[./~\\]/.test(spec) || spec.includes('/') || spec.includes('\\') || /\.(whl|zip|tar\.gz|tgz|tar\.bz2|egg)$/i.test(spec)) return `${shown} is a local path or archive: requirements come from the index`;
  const m = /^([A-Za-z0-9._-]+)\s*(\[[^\]]*\])?\s*(.*)$/.exec(spec);
  if (!m || !NAME.test(m[1]!)) return `${shown} is not a requirement (expected a package name, e.g. "flask>=3.0")`;
  if (m[2] !== undefined && !EXTRAS.test(m[2])) return `${shown} has malformed extras`;
  if (!VERSION_SPEC.test(m[3]!.trim())) return `${shown} has a malformed version specifier`;
  return undefined;
}

/** Normalised project name (PEP 503). */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/** Checks one requirements file's text. `where` names it in problems (e.g. "requirements.txt"). */
export function checkRequirements(text: string, where: string, opts: PolicyOptions): RequirementsCheck {
  const result: RequirementsCheck = { requirements: [], includes: [], hashed: false, problems: [] };
  const problem = (n: number, message: string) => result.problems.push(`${where}:${n}: ${message}`);
  for (const { line, number } of logicalLines(text)) {
    if (/\$\{[A-Za-z0-9_]+\}/.test(line)) {
      problem(number, 'environment variables (${...}) are not expanded here: write the value');
      continue;
    }
    if (line.startsWith('-')) {
      const options = optionTokens(line.split(/\s+/));
      if (typeof options === 'string') {
        problem(number, options);
        continue;
      }
      for (const { option, value } of options) {
        if (INDEX_OPTIONS.has(option)) problem(number, `${option} is not allowed: packages come from Assay's index only`);
        else if (option === '-e' || option === '--editable') problem(number, `${option} (editable installs) is not supported: list the packages your code needs`);
        else if (INCLUDE_OPTIONS.has(option)) {
          if (value === undefined || value === '') problem(number, `${option} needs a file name`);
          else result.includes.push(value);
        } else if (ALLOWED_FLAGS.has(option) && value === undefined) continue;
        else if (FORMAT_OPTIONS.has(option) && opts.sdists) continue;
        else if (FORMAT_OPTIONS.has(option)) problem(number, `${option} is not allowed: this challenge installs wheels only`);
        else problem(number, `${option} is not allowed in a requirements file here`);
      }
      continue;
    }
    // pip: the requirement is every token up to the first one starting with "-"; the rest are its options.
    const tokens = line.split(/\s+/);
    const firstOption = tokens.findIndex((t) => t.startsWith('-'));
    const requirement = (firstOption < 0 ? tokens : tokens.slice(0, firstOption)).join(' ');
    const bad = requirementProblem(requirement);
    if (bad) {
      problem(number, bad);
      continue;
    }
    result.requirements.push(requirement);
    const options = firstOption < 0 ? [] : optionTokens(tokens.slice(firstOption));
    if (typeof options === 'string') {
      problem(number, options);
      continue;
    }
    for (const { option, value } of options) {
      if (option !== '--hash') problem(number, `${option} is not allowed on a requirement (only --hash)`);
      else if (!value || !HASH.test(value)) problem(number, `--hash expects sha256:<hex> (got ${JSON.stringify((value ?? '').slice(0, 80))})`);
      else result.hashed = true;
    }
  }
  return result;
}

/**
 * Checks a requirements-file reference (`-r x` or `-c x`) made from `fromFile`: a relative path
 * inside the repository, resolved against the referring file's folder as pip does. Returns the
 * repository-relative path or the problem.
 */
export function resolveInclude(fromFile: string, ref: string): { path: string } | { problem: string } {
  const shown = JSON.stringify(ref.slice(0, 80));
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(ref)) return { problem: `${fromFile}: ${shown} is a URL: requirements files must be in the repository` };
  if (ref.startsWith('/') || ref.startsWith('~') || ref.includes('\\')) return { problem: `${fromFile}: ${shown} must be a relative path inside the repository` };
  const parts = [...fromFile.split('/').slice(0, -1), ...ref.split('/')];
  const out: string[] = [];
  for (const part of parts) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) return { problem: `${fromFile}: ${shown} leaves the repository` };
      out.pop();
    } else out.push(part);
  }
  if (out.length === 0) return { problem: `${fromFile}: ${shown} is not a file` };
  return { path: out.join('/') };
}
