/**
 * Counts and coverage from the output of a candidate's own test command, best effort: node:test
 * (TAP, which Assay asks for, or the spec reporter), jest, vitest, mocha, pytest and unittest
 * summaries; coverage tables of Node.js, istanbul (jest, vitest, nyc, c8's text), c8's text
 * summary and coverage.py. The output is the candidate's, so a test can print anything here:
 * the numbers are an insight about their own tests, never a score. Pure.
 */
import type { Coverage, OwnTestRunner } from '../../report/insights-tests.ts';

export interface ParsedTests {
  runner: OwnTestRunner;
  passed?: number;
  failed?: number;
  skipped?: number;
  total?: number;
  coverage?: Coverage;
  /** Names of failing tests as printed, first ones only. */
  failedTests: string[];
}

const MAX_FAILED_NAMES = 5;
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]/g;

export function parseTestOutput(raw: string, hint: { runner?: OwnTestRunner; coverage?: Coverage['tool'] } = {}): ParsedTests {
  const text = raw.replace(ANSI, '').replace(/\r/g, '');
  const parsers: [OwnTestRunner, (t: string) => Counts | undefined][] = [
    ['node-test', nodeTest],
    ['jest', jest],
    ['vitest', vitest],
    ['mocha', mocha],
    ['pytest', pytest],
    ['unittest', unittest],
  ];
  // The runner the command names (or Python's script printed) first, then every other format.
  const marker = /^assay-own-tests: (pytest|unittest)\b/m.exec(text)?.[1] as OwnTestRunner | undefined;
  const first = marker ?? hint.runner;
  const ordered = first ? [...parsers.filter(([r]) => r === first), ...parsers.filter(([r]) => r !== first)] : parsers;
  let found: { runner: OwnTestRunner; counts: Counts } | undefined;
  for (const [runner, parse] of ordered) {
    const counts = parse(text);
    if (counts) {
      found = { runner, counts };
      break;
    }
  }
  const coverage = parseCoverage(text, hint.coverage);
  return {
    runner: found?.runner ?? marker ?? hint.runner ?? 'unknown',
    ...(found ? found.counts : {}),
    ...(coverage ? { coverage } : {}),
    failedTests: failedNames(text),
  };
}

interface Counts {
  passed: number;
  failed: number;
  skipped: number;
  total: number;
}

function counts(passed: number, failed: number, skipped: number, total = passed + failed + skipped): Counts {
  return { passed, failed, skipped, total };
}

/** The last value of `# <key> N` (TAP) or `ℹ <key> N` (spec) lines. */
function nodeTest(text: string): Counts | undefined {
  const values: Record<string, number> = {};
  for (const m of text.matchAll(/^(?:#|ℹ)\s+(tests|pass|fail|cancelled|skipped|todo)\s+(\d+)\s*$/gm)) values[m[1]!] = Number(m[2]);
  if (values.tests === undefined || values.pass === undefined) return undefined;
  const failed = (values.fail ?? 0) + (values.cancelled ?? 0);
  const skipped = (values.skipped ?? 0) + (values.todo ?? 0);
  return counts(values.pass, failed, skipped, values.tests);
}

/** `Tests:       1 failed, 2 skipped, 5 passed, 8 total` */
function jest(text: string): Counts | undefined {
  const line = lastMatch(text, /^Tests:\s+(.*\d+ total.*)$/gm);
  if (!line) return undefined;
  const n = (word: string) => Number(new RegExp(`(\\d+) ${word}`).exec(line)?.[1] ?? 0);
  return counts(n('passed'), n('failed'), n('skipped') + n('todo') + n('pending'), n('total'));
}

/** ` Tests  1 failed | 4 passed | 1 skipped (6)` */
function vitest(text: string): Counts | undefined {
  const line = lastMatch(text, /^\s*Tests\s+(\d+ \w+(?: \| \d+ \w+)*\s+\(\d+\))\s*$/gm);
  if (!line) return undefined;
  const n = (word: string) => Number(new RegExp(`(\\d+) ${word}`).exec(line)?.[1] ?? 0);
  const total = Number(/\((\d+)\)/.exec(line)?.[1] ?? 0);
  return counts(n('passed'), n('failed'), n('skipped') + n('todo'), total);
}

/** `  5 passing (20ms)`, `  2 failing`, `  1 pending` */
function mocha(text: string): Counts | undefined {
  const passing = lastMatch(text, /^\s+(\d+) passing\b/gm);
  if (passing === undefined) return undefined;
  const failing = Number(lastMatch(text, /^\s+(\d+) failing\b/gm) ?? 0);
  const pending = Number(lastMatch(text, /^\s+(\d+) pending\b/gm) ?? 0);
  return counts(Number(passing), failing, pending);
}

/** `==== 2 failed, 5 passed, 1 skipped in 0.12s ====` or `no tests ran in 0.01s` */
function pytest(text: string): Counts | undefined {
  const line = lastMatch(text, /^=*\s*((?:\d+ \w+(?:, )?)+|no tests ran) in [\d.]+s(?: \([^)]*\))?\s*=*\s*$/gm);
  if (!line) return undefined;
  const n = (word: string) => Number(new RegExp(`(\\d+) ${word}`).exec(line)?.[1] ?? 0);
  return counts(n('passed') + n('xpassed'), n('failed') + n('errors?'), n('skipped') + n('xfailed') + n('deselected'));
}

/** `Ran 5 tests in 0.001s` then `OK`, `OK (skipped=1)` or `FAILED (failures=1, errors=1)` */
function unittest(text: string): Counts | undefined {
  const ran = lastMatch(text, /^Ran (\d+) tests? in [\d.]+s$/gm);
  if (ran === undefined) return undefined;
  const verdict = lastMatch(text, /^((?:OK|FAILED)(?: \(.*\))?)\s*$/gm) ?? '';
  const n = (word: string) => Number(new RegExp(`${word}=(\\d+)`).exec(verdict)?.[1] ?? 0);
  const failed = n('failures') + n('errors') + n('unexpected successes');
  const skipped = n('skipped') + n('expected failures');
  const total = Number(ran);
  return counts(Math.max(0, total - failed - skipped), failed, skipped, total);
}

function parseCoverage(text: string, tool: Coverage['tool'] | undefined): Coverage | undefined {
  // Node.js: `# all files | 84.06 | 63.38 | 72.00 |` (line, branch, funcs)
  const node = lastMatch(text, /^(?:#|ℹ)\s+all files\s*\|\s*([\d.]+)\s*\|\s*([\d.]+)\s*\|\s*([\d.]+)\s*\|/gm, 0);
  if (node) {
    const [, lines, branches, functions] = node.match(/([\d.]+)\s*\|\s*([\d.]+)\s*\|\s*([\d.]+)/)!;
    return pct({ tool: 'node', lines, branches, functions });
  }
  // istanbul's text table: `All files |   85.71 |    66.67 |     100 |   85.71 |` (stmts, branch, funcs, lines)
  const table = lastMatch(text, /^All files\s*\|\s*([\d.]+)\s*\|\s*([\d.]+)\s*\|\s*([\d.]+)\s*\|\s*([\d.]+)\s*\|/gm, 0);
  if (table) {
    const [, statements, branches, functions, lines] = table.match(/([\d.]+)\s*\|\s*([\d.]+)\s*\|\s*([\d.]+)\s*\|\s*([\d.]+)/)!;
    return pct({ tool: tool === 'c8' ? 'c8' : 'istanbul', statements, branches, functions, lines });
  }
  // istanbul's text-summary (c8 --reporter=text-summary): `Lines        : 85.71% ( 12/14 )`
  const summary = (name: string) => lastMatch(text, new RegExp(`^${name}\\s*:\\s*([\\d.]+)%`, 'gm'));
  if (summary('Lines') !== undefined) {
    return pct({ tool: tool === 'c8' ? 'c8' : 'istanbul', statements: summary('Statements'), branches: summary('Branches'), functions: summary('Functions'), lines: summary('Lines') });
  }
  // coverage.py: `TOTAL    120     20    83%`
  const total = lastMatch(text, /^TOTAL\s+(?:\d+\s+)+(\d+(?:\.\d+)?)%\s*$/gm);
  if (total !== undefined) return pct({ tool: 'coverage.py', lines: total });
  return undefined;
}

function pct(values: { tool: Coverage['tool'] } & Partial<Record<'lines' | 'branches' | 'functions' | 'statements', string | undefined>>): Coverage {
  const out: Coverage = { tool: values.tool };
  for (const key of ['lines', 'branches', 'functions', 'statements'] as const) {
    const v = Number(values[key]);
    if (values[key] !== undefined && Number.isFinite(v) && v >= 0 && v <= 100) out[key] = v;
  }
  return out;
}

/** Failing tests' names: TAP `not ok`, spec `✖`, jest `●`, mocha `1) name`, pytest `FAILED`, unittest `FAIL:`/`ERROR:`. */
function failedNames(text: string): string[] {
  const names = new Set<string>();
  const patterns = [
    /^\s*not ok \d+ - (.+?)(?:\s+#\s.*)?$/gm,
    /^\s*✖ (.+?)(?: \([\d.]+m?s\))?$/gm,
    /^\s*● (.+?)$/gm,
    /^\s+\d+\) (.+?)$/gm,
    /^FAILED (\S+::\S+)/gm,
    /^(?:FAIL|ERROR): (.+?)$/gm,
  ];
  for (const re of patterns) {
    for (const m of text.matchAll(re)) {
      const name = m[1]!.trim().slice(0, 200);
      if (name && !/^(failing tests|tests? \d+)/i.test(name)) names.add(name);
      if (names.size >= MAX_FAILED_NAMES) return [...names];
    }
  }
  return [...names];
}

/** The given group (default 1) of the last match of a global regex. */
function lastMatch(text: string, re: RegExp, group = 1): string | undefined {
  let last: string | undefined;
  for (const m of text.matchAll(re)) last = m[group];
  return last;
}
