#!/usr/bin/env node
// Assay's analyser: the trusted program of the analysis image. It reads files and never runs
// them: the candidate's configuration files, plugins and scripts are ignored.
// Takes: /workspace (or argv[2]): the candidate's files as packed, the challenge's starter under
//   .assay/starter/ (when it has one) and the options in .assay/analysis.json:
//   { exclude: string[], budgetMs, maxFiles, maxFileBytes, maxPatchBytes, similarity? }
//   (similarity: { maxPrints, maxSourceChars, maxFileBytes } when the similarity fingerprints are wanted).
// Does: walks the files (no link followed; dependencies, build output, vendored, minified and
//   lockfiles left out), measures size, repeated blocks and functions, finds secret-looking
//   strings, diffs against the starter, and lints the sources the candidate wrote or changed
//   (JavaScript and TypeScript with ESLint, Python with Ruff's WebAssembly build) with the pinned
//   configuration of lint-config.mjs. Anything it cannot do in its budget, or for a file it
//   cannot read or parse, becomes a note; it still prints what it has. Beside these, a child
//   process (fingerprint.mjs) takes the Dolos fingerprints the worker compares across submissions.
// Prints: one JSON object on stdout: { lint?, size, secrets, diff?, similarity?, notes } (the worker checks it
//   against runner/stages/analysis/result.ts). Exits 0 unless it could not start.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, lstatSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { countLines, findDuplicates, findSecrets, isBinary, isLockfile, isMinified, languageOf, maskSecretsIn, pythonFunctions, SOURCE_LANGUAGES } from './measures.mjs';

const started = Date.now();
const root = path.resolve(process.argv[2] ?? '/workspace');
const STARTER = '.assay/starter';
const defaults = { exclude: [], budgetMs: 25_000, maxFiles: 3000, maxFileBytes: 1024 * 1024, maxPatchBytes: 256 * 1024 };
const options = { ...defaults, ...readOptions() };
const deadline = started + options.budgetMs;
const notes = [];
const note = (analysis, code, message) => notes.push({ analysis, code, message: message.slice(0, 500) });
const MAX_ENTRIES = 50_000;
const MAX_DEPTH = 40;
/** Folders that hold dependencies, build output, caches or vendored code: never the candidate's work. */
const EXCLUDED_DIRS = new Set(['node_modules', '.git', 'dist', 'build', 'out', 'coverage', '.venv', 'venv', 'vendor', '__pycache__', '.next', '.nuxt', '.cache', 'bower_components', 'site-packages', '.tox', '.mypy_cache', '.pytest_cache', '.ruff_cache', '.turbo', '.parcel-cache']);

function readOptions() {
  try {
    return JSON.parse(readFileSync(path.join(root, '.assay/analysis.json'), 'utf8'));
  } catch {
    return {};
  }
}

const clip = (s, n = 300) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const overBudget = () => Date.now() > deadline;

/** Files under `base` (relative paths), lstat only, bounded in entries and depth. */
function walk(base, { skip = [] } = {}) {
  const files = [];
  const stats = { entries: 0, deep: 0, excludedDirs: 0, capped: false };
  const stack = [{ rel: '', depth: 0 }];
  while (stack.length) {
    const { rel, depth } = stack.pop();
    let names;
    try {
      names = readdirSync(path.join(base, rel)).sort().reverse();
    } catch {
      continue;
    }
    for (const name of names) {
      const childRel = rel ? `${rel}/${name}` : name;
      if (++stats.entries > MAX_ENTRIES) {
        stats.capped = true;
        return { files, stats };
      }
      if (skip.some((s) => childRel === s || childRel.startsWith(`${s}/`))) continue;
      let st;
      try {
        st = lstatSync(path.join(base, childRel));
      } catch {
        continue;
      }
      if (st.isDirectory()) {
        if (EXCLUDED_DIRS.has(name) || existsQuiet(path.join(base, childRel, 'pyvenv.cfg'))) {
          stats.excludedDirs++;
          continue;
        }
        if (depth + 1 > MAX_DEPTH) {
          stats.deep++;
          continue;
        }
        stack.push({ rel: childRel, depth: depth + 1 });
      } else if (st.isFile()) {
        files.push({ path: childRel, size: st.size });
      }
    }
  }
  files.sort((a, b) => (a.path < b.path ? -1 : 1));
  return { files, stats };
}

function existsQuiet(p) {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** Counts newlines of a file too large to analyse, in chunks. */
function countNewlines(abs) {
  const fd = openSync(abs, 'r');
  const buf = Buffer.alloc(1 << 20);
  let count = 0;
  let last = 10;
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      for (let i = 0; i < n; i++) if (buf[i] === 10) count++;
      last = buf[n - 1];
    }
  } finally {
    closeSync(fd);
  }
  return count + (last === 10 ? 0 : 1);
}

const sha = (buf) => createHash('sha256').update(buf).digest('hex');

// --- the candidate's files, and the starter's -------------------------------------------------
const skip = ['.assay', ...options.exclude];
const candidateWalk = walk(root, { skip });
if (candidateWalk.stats.capped) note('size', 'capped', `more than ${MAX_ENTRIES} entries: the files after them are left out`);
if (candidateWalk.stats.deep) note('size', 'capped', `${candidateWalk.stats.deep} folders nested deeper than ${MAX_DEPTH} levels are left out`);
const starterRoot = path.join(root, STARTER);
const hasStarter = existsQuiet(starterRoot);
const starterFiles = hasStarter ? walk(starterRoot).files : [];
const starterByPath = new Map(starterFiles.map((f) => [f.path, f]));

/** Each candidate file read once: text (or why not), language, whether it is the starter's unchanged. */
const files = [];
let binarySources = 0;
const large = [];
let minified = 0;
for (const f of candidateWalk.files) {
  const entry = { ...f, language: languageOf(f.path), lockfile: isLockfile(f.path) };
  files.push(entry);
  const abs = path.join(root, f.path);
  if (f.size > options.maxFileBytes) {
    entry.kind = 'large';
    large.push(f.path);
    continue;
  }
  let buf;
  try {
    buf = readFileSync(abs);
  } catch {
    entry.kind = 'unreadable';
    continue;
  }
  entry.hash = sha(buf);
  const starter = starterByPath.get(f.path);
  if (starter && starter.size === f.size) {
    try {
      entry.unchanged = sha(readFileSync(path.join(starterRoot, f.path))) === entry.hash;
    } catch {
      entry.unchanged = false;
    }
  }
  if (isBinary(buf)) {
    entry.kind = 'binary';
    if (entry.language && SOURCE_LANGUAGES.has(entry.language)) binarySources++;
    continue;
  }
  entry.text = buf.toString('utf8');
  if (isMinified(f.path, entry.text)) {
    entry.kind = 'minified';
    minified++;
    continue;
  }
  entry.kind = 'text';
}
if (large.length) note('size', 'capped', `${large.length} file(s) larger than ${Math.round(options.maxFileBytes / 1024)} KiB counted by lines only, not analysed: ${large.slice(0, 3).map((p) => clip(p, 80)).join(', ')}`);
if (binarySources) note('lint', 'partial', `${binarySources} source file(s) are binary and were skipped`);
if (minified) note('lint', 'skipped', `${minified} minified file(s) left out`);

const sources = files.filter((f) => f.kind === 'text' && !f.lockfile && f.language && SOURCE_LANGUAGES.has(f.language));

// --- size --------------------------------------------------------------------------------------
function measureSize() {
  const byLanguage = new Map();
  let total = 0;
  let lines = 0;
  for (const f of files) {
    if (f.lockfile || f.kind === 'binary' || f.kind === 'unreadable') continue;
    let counted;
    if (f.kind === 'large' || f.kind === 'minified') {
      try {
        counted = { lines: countNewlines(path.join(root, f.path)), nonBlank: undefined };
      } catch {
        continue;
      }
    } else counted = countLines(f.text);
    total++;
    lines += counted.lines;
    if (!f.language) continue;
    const l = byLanguage.get(f.language) ?? { language: f.language, files: 0, lines: 0 };
    l.files++;
    l.lines += counted.nonBlank ?? counted.lines;
    byLanguage.set(f.language, l);
  }
  let duplicates = { blocks: 0, lines: 0, top: [] };
  try {
    duplicates = findDuplicates(sources.slice(0, options.maxFiles).map((f) => ({ file: f.path, text: f.text })));
  } catch (err) {
    note('size', 'partial', `repeated blocks not measured: ${err.message}`);
  }
  return { files: total, lines, byLanguage: [...byLanguage.values()].sort((a, b) => b.lines - a.lines), duplicates };
}
const size = measureSize();

// --- secrets -------------------------------------------------------------------------------------
const secrets = [];
for (const f of files) {
  if (f.kind !== 'text' && f.kind !== 'minified') continue;
  if (f.unchanged || f.lockfile || secrets.length >= 20) continue;
  for (const s of findSecrets(f.text, 20 - secrets.length)) secrets.push({ file: f.path, ...s });
}

// --- diff against the starter ---------------------------------------------------------------------
async function diffAgainstStarter() {
  const { structuredPatch, formatPatch } = await import('diff');
  const out = { filesChanged: 0, linesAdded: 0, linesRemoved: 0, files: [], patch: '', patchCut: false };
  const candidateByPath = new Map(files.map((f) => [f.path, f]));
  const paths = [...new Set([...candidateByPath.keys(), ...starterByPath.keys()])].sort();
  let patchBytes = 0;
  let timedOut = false;
  const textOf = (f) => (f ? f.text : '');
  for (const p of paths) {
    const cand = candidateByPath.get(p);
    if (cand?.unchanged) continue;
    const start = starterByPath.get(p);
    let starterText = '';
    let starterKind = 'text';
    if (start) {
      if (start.size > options.maxFileBytes) starterKind = 'large';
      else {
        const buf = readFileSync(path.join(starterRoot, p));
        if (isBinary(buf)) starterKind = 'binary';
        else starterText = buf.toString('utf8');
      }
    }
    const status = !start ? 'added' : !cand ? 'removed' : 'modified';
    const candText = textOf(cand);
    const entry = { path: clip(p, 300), status, added: 0, removed: 0 };
    const skipped = cand?.lockfile || isLockfile(p) ? 'generated' : cand?.kind === 'binary' || starterKind === 'binary' ? 'binary' : cand?.kind === 'large' || starterKind === 'large' || cand?.kind === 'minified' ? 'large' : undefined;
    if (skipped || timedOut) {
      entry.skipped = skipped ?? 'large';
      if (entry.skipped !== 'binary') {
        entry.added = cand ? (candText !== undefined ? countLines(candText).lines : safeCount(p)) : 0;
        entry.removed = start && starterKind === 'text' ? countLines(starterText).lines : 0;
      }
    } else {
      // Secrets are masked before diffing: the diff shows the candidate's lines to reviewers (and webhooks).
      const patch = structuredPatch(`a/${p}`, `b/${p}`, maskSecretsIn(start ? starterText : ''), maskSecretsIn(candText ?? ''), undefined, undefined, { context: 3, timeout: 2000 });
      if (!patch) {
        entry.skipped = 'large';
        entry.added = countLines(candText ?? '').lines;
        entry.removed = countLines(starterText).lines;
      } else {
        for (const h of patch.hunks) {
          for (const l of h.lines) {
            if (l[0] === '+') entry.added++;
            else if (l[0] === '-') entry.removed++;
          }
        }
        if (!start) patch.oldFileName = '/dev/null';
        if (!cand) patch.newFileName = '/dev/null';
        const text = formatPatch(patch, { includeIndex: false, includeUnderline: false, includeFileHeaders: true });
        const body = text.replace(/^=+\n/m, '');
        if (!out.patchCut && patchBytes + body.length <= options.maxPatchBytes) {
          out.patch += body.endsWith('\n') ? body : `${body}\n`;
          patchBytes += body.length;
        } else out.patchCut = true;
      }
      if (overBudget()) timedOut = true;
    }
    if (entry.added === 0 && entry.removed === 0 && status === 'modified' && !entry.skipped) continue;
    out.filesChanged++;
    out.linesAdded += entry.added;
    out.linesRemoved += entry.removed;
    if (out.files.length < 500) out.files.push(entry);
  }
  if (out.files.length < out.filesChanged) note('diff', 'capped', `${out.filesChanged} files changed: the first 500 are listed`);
  if (out.patchCut) note('diff', 'capped', `the diff is longer than ${Math.round(options.maxPatchBytes / 1024)} KiB: the rest is cut`);
  if (timedOut) note('diff', 'timeout', 'the analysis ran out of time while diffing: the remaining files are counted, not diffed');
  return out;
}

function safeCount(p) {
  try {
    return countNewlines(path.join(root, p));
  } catch {
    return 0;
  }
}

// --- functions and lint ------------------------------------------------------------------------------
/** Assay's own ESLint rule: measures each function (lines and cyclomatic complexity), reports nothing. */
function metricsPlugin(sink) {
  const DECISIONS = ['IfStatement', 'ConditionalExpression', 'ForStatement', 'ForInStatement', 'ForOfStatement', 'WhileStatement', 'DoWhileStatement', 'CatchClause'];
  const FUNCTIONS = ['FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression'];
  const nameOf = (node) => {
    if (node.id?.name) return node.id.name;
    const p = node.parent;
    if (p?.type === 'VariableDeclarator' && p.id.type === 'Identifier') return p.id.name;
    if ((p?.type === 'MethodDefinition' || p?.type === 'Property' || p?.type === 'PropertyDefinition') && p.key) return p.key.name ?? (typeof p.key.value === 'string' ? p.key.value : '(computed)');
    if (p?.type === 'AssignmentExpression' && p.left.type === 'MemberExpression' && p.left.property?.name) return p.left.property.name;
    if (p?.type === 'CallExpression') {
      const callee = p.callee.type === 'MemberExpression' ? p.callee.property?.name : p.callee.name;
      return callee ? `(${callee} callback)` : '(anonymous)';
    }
    return '(anonymous)';
  };
  return {
    rules: {
      metrics: {
        meta: { type: 'suggestion', schema: [] },
        create() {
          const stack = [];
          const bump = () => {
            if (stack.length) stack[stack.length - 1].complexity++;
          };
          const handlers = {};
          for (const t of FUNCTIONS) {
            handlers[t] = () => stack.push({ complexity: 1 });
            handlers[`${t}:exit`] = (node) => {
              const m = stack.pop();
              sink.push({ name: clip(nameOf(node), 120), line: node.loc.start.line, lines: node.loc.end.line - node.loc.start.line + 1, complexity: m.complexity });
            };
          }
          for (const t of DECISIONS) handlers[t] = bump;
          handlers.LogicalExpression = bump;
          handlers.SwitchCase = (node) => {
            if (node.test) bump();
          };
          handlers.AssignmentExpression = (node) => {
            if (['&&=', '||=', '??='].includes(node.operator)) bump();
          };
          return handlers;
        },
      },
    },
  };
}

async function lintAndMeasure() {
  const linted = sources.filter((f) => !f.unchanged);
  const unchangedStarter = sources.length - linted.length;
  const functions = [];
  const findings = [];
  const tools = [];
  let lines = 0;
  let filesLinted = 0;
  let parseErrors = 0;
  let crashed = 0;
  let capped = 0;
  const js = sources.filter((f) => f.language === 'JavaScript' || f.language === 'TypeScript');
  const py = sources.filter((f) => f.language === 'Python');
  const lintSet = new Set(linted);
  let budgetHit = false;
  const { LINT_CONFIG, MAX_COMPLEXITY, eslintConfig, RUFF_SETTINGS, RUFF_WARNING_PREFIXES } = await import('./lint-config.mjs');

  if (js.length) {
    const { Linter } = await import('eslint/universal'); // the Linter alone: no file system, a third faster to load
    const eslintPkg = JSON.parse(readFileSync(new URL(import.meta.resolve('eslint/package.json')), 'utf8'));
    tools.push({ name: 'eslint', version: eslintPkg.version });
    const hasTs = js.some((f) => f.language === 'TypeScript');
    let tseslint;
    if (hasTs) {
      tseslint = (await import('typescript-eslint')).default;
      const tsPkg = JSON.parse(readFileSync(new URL(import.meta.resolve('typescript-eslint/package.json')), 'utf8'));
      tools.push({ name: 'typescript-eslint', version: tsPkg.version });
    }
    const sink = [];
    const linter = new Linter({ cwd: root, configType: 'flat' });
    const config = eslintConfig({ tseslint, metricsPlugin: metricsPlugin(sink) });
    for (const f of js) {
      if (overBudget()) {
        budgetHit = true;
        break;
      }
      if (filesLinted >= options.maxFiles) {
        capped++;
        continue;
      }
      sink.length = 0;
      let messages;
      try {
        messages = linter.verify(f.text, config, { filename: path.join(root, f.path), allowInlineConfig: false });
      } catch (err) {
        crashed++;
        note('lint', 'partial', `${clip(f.path, 120)} could not be analysed: ${clip(String(err?.message ?? err), 160)}`);
        continue;
      }
      for (const m of sink) functions.push({ file: f.path, ...m });
      if (!lintSet.has(f)) continue;
      filesLinted++;
      lines += countLines(f.text).nonBlank;
      for (const m of messages) {
        if (m.fatal) parseErrors++;
        findings.push({ file: f.path, line: m.line ?? 1, column: m.column, rule: m.fatal ? 'parse-error' : m.ruleId ?? 'eslint', severity: m.fatal || m.severity === 2 ? 'error' : 'warning', message: clip(m.message) });
      }
    }
  }

  if (py.length && !budgetHit) {
    const { Workspace, PositionEncoding } = await import('@astral-sh/ruff-wasm-nodejs');
    tools.push({ name: 'ruff', version: Workspace.version() });
    let lintWs = new Workspace(RUFF_SETTINGS, PositionEncoding.Utf16);
    for (const f of py) {
      if (overBudget()) {
        budgetHit = true;
        break;
      }
      if (filesLinted >= options.maxFiles) {
        capped++;
        continue;
      }
      try {
        // One pass: mccabe at 0 reports every function's complexity; above MAX_COMPLEXITY it is a finding too.
        const complexityAt = new Map();
        const diagnostics = [];
        for (const d of lintWs.check(f.text)) {
          const m = d.code === 'C901' ? /is too complex \((\d+) > 0\)/.exec(d.message) : null;
          if (!m) {
            diagnostics.push(d);
            continue;
          }
          const complexity = Number(m[1]);
          complexityAt.set(d.start_location.row, complexity);
          if (complexity > MAX_COMPLEXITY) diagnostics.push({ ...d, message: d.message.replace('> 0)', `> ${MAX_COMPLEXITY})`) });
        }
        for (const fn of pythonFunctions(f.text)) functions.push({ file: f.path, name: fn.name, line: fn.line, lines: fn.lines, complexity: complexityAt.get(fn.line) ?? 1 });
        if (!lintSet.has(f)) continue;
        filesLinted++;
        lines += countLines(f.text).nonBlank;
        for (const d of diagnostics) {
          const syntax = d.code === null || d.code === 'invalid-syntax';
          if (syntax) parseErrors++;
          const code = syntax ? 'parse-error' : `ruff/${d.code}`;
          const warning = !syntax && RUFF_WARNING_PREFIXES.some((p) => d.code.startsWith(p));
          findings.push({ file: f.path, line: d.start_location.row, column: d.start_location.column, rule: code, severity: warning ? 'warning' : 'error', message: clip(d.message) });
        }
      } catch (err) {
        crashed++;
        note('lint', 'partial', `${clip(f.path, 120)} could not be analysed: ${clip(String(err?.message ?? err), 160)}`);
        // A WebAssembly instance that failed mid-call may be left in a bad state: start afresh.
        lintWs = new Workspace(RUFF_SETTINGS, PositionEncoding.Utf16);
      }
    }
  }

  if (budgetHit) note('lint', 'timeout', `the analysis ran out of its ${Math.round(options.budgetMs / 1000)} s: lint covers ${filesLinted} of ${linted.length} files`);
  if (capped) note('lint', 'capped', `more than ${options.maxFiles} source files: ${capped} left out`);
  if (parseErrors) note('lint', 'partial', `${parseErrors} file(s) could not be parsed (syntax errors): each is one parse-error finding`);
  if (crashed > 3) note('lint', 'partial', `${crashed} files could not be analysed in all`);
  if (!sources.length) note('lint', 'skipped', 'no JavaScript, TypeScript or Python sources');
  else if (!linted.length) note('lint', 'skipped', `every source file is the starter's, unchanged (${unchangedStarter})`);

  const byRuleMap = new Map();
  let errors = 0;
  let warnings = 0;
  for (const f of findings) {
    if (f.severity === 'error') errors++;
    else warnings++;
    const key = `${f.rule}\n${f.severity}`;
    const r = byRuleMap.get(key) ?? { rule: f.rule, severity: f.severity, count: 0 };
    r.count++;
    byRuleMap.set(key, r);
  }
  const order = (f) => (f.severity === 'error' ? 0 : 1);
  const top = [...findings].sort((a, b) => order(a) - order(b) || (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line)).slice(0, 25).map((f) => ({ ...f, file: clip(f.file, 300) }));
  const lint =
    linted.length && filesLinted
      ? {
          tools,
          config: LINT_CONFIG,
          files: filesLinted,
          lines,
          errors,
          warnings,
          per1000Lines: lines ? Math.round(((errors + warnings) * 1000 * 10) / lines) / 10 : 0,
          byRule: [...byRuleMap.values()].sort((a, b) => b.count - a.count || (a.rule < b.rule ? -1 : 1)).slice(0, 100),
          top,
        }
      : undefined;
  const loc = (f) => ({ file: clip(f.file, 300), line: f.line, name: f.name });
  const longestFunctions = [...functions].sort((a, b) => b.lines - a.lines).slice(0, 10).map((f) => ({ ...loc(f), lines: f.lines }));
  const mostComplex = [...functions].sort((a, b) => b.complexity - a.complexity).slice(0, 10).map((f) => ({ ...loc(f), complexity: f.complexity }));
  return { lint, longestFunctions, mostComplex };
}

// --- similarity fingerprints ------------------------------------------------------------------------
/**
 * Runs fingerprint.mjs in a process of its own on the files the candidate wrote or changed
 * (unchanged starter files left out) and the starter's. Its result carries its own notes (they
 * are the reviewers' only: the worker keeps them with the fingerprints, not in the report).
 */
function fingerprint() {
  const wanted = files.filter((f) => f.kind === 'text' && !f.lockfile && !f.unchanged).map((f) => f.path);
  const input = { ...options.similarity, root, starterRoot, files: wanted, starterFiles: starterFiles.map((f) => f.path) };
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--max-semi-space-size=32', new URL('./fingerprint.mjs', import.meta.url).pathname], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out = [];
    let outBytes = 0;
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), Math.max(1000, deadline - Date.now()));
    child.stdout.on('data', (chunk) => {
      outBytes += chunk.length;
      if (outBytes <= 4 * 1024 * 1024) out.push(chunk);
      else child.kill('SIGKILL');
    });
    child.stderr.on('data', (chunk) => (err = (err + chunk).slice(-400)));
    child.stdin.on('error', () => undefined);
    child.stdin.end(JSON.stringify(input));
    const failed = (why) => resolve({ files: [], prints: [], starterPrints: 0, notes: [{ code: 'failed', message: `the similarity fingerprints could not be taken: ${clip(why, 300)}` }] });
    child.on('error', (e) => failed(e.message));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) return failed(signal === 'SIGKILL' ? 'out of time or output' : `${signal ?? `exit ${code}`} (${clip(err.trim().split('\n').pop() ?? '', 200)})`);
      try {
        resolve(JSON.parse(Buffer.concat(out).toString('utf8')));
      } catch (e) {
        failed(`its output could not be read (${e.message})`);
      }
    });
  });
}

async function main() {
  // Beside the diff and the lint: a process of its own (its parsers are native code).
  const fingerprinted = options.similarity ? fingerprint() : Promise.resolve(undefined);
  let diff;
  if (hasStarter) {
    try {
      diff = await diffAgainstStarter();
    } catch (err) {
      note('diff', 'failed', `the diff could not be computed: ${clip(String(err?.message ?? err), 200)}`);
    }
  }
  let measured = { longestFunctions: [], mostComplex: [] };
  try {
    measured = await lintAndMeasure();
  } catch (err) {
    note('lint', 'failed', `lint could not run: ${clip(String(err?.message ?? err), 200)}`);
  }
  const similarity = await fingerprinted;
  const result = {
    ...(measured.lint ? { lint: measured.lint } : {}),
    size: { files: size.files, lines: size.lines, byLanguage: size.byLanguage, longestFunctions: measured.longestFunctions, mostComplex: measured.mostComplex, duplicates: size.duplicates },
    secrets,
    ...(diff ? { diff } : {}),
    ...(similarity ? { similarity } : {}),
    notes: notes.slice(0, 50),
    durationMs: Date.now() - started,
    // The whole process's, from its start (receive.mjs's preloading included): CPU time is what a
    // busy machine cannot inflate.
    processMs: Math.round(performance.now()),
    cpuMs: Math.round((process.cpuUsage().user + process.cpuUsage().system) / 1000),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
