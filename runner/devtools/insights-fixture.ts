/**
 * A report's `insights` for UI tests and the screenshot script: what the analyses say of a
 * debug-app solution that fixed the bugs (a small diff against the starter, a few lint findings,
 * one of them on a changed line), with hostile candidate text (a <script> tag in a lint message,
 * a file name and the diff) where `hostile` is set.
 */
import type { History } from '../report/insights-history.ts';
import type { OwnTests } from '../report/insights-tests.ts';
import type { Insights } from '../report/insights.ts';
import { XSS } from './ui-fixture.ts';

export function fixtureInsights(opts: { hostile?: boolean; showCandidates?: boolean } = {}): Insights {
  const evil = opts.hostile ?? true ? ` ${XSS}` : '';
  const patch = [
    '--- a/src/app.js',
    '+++ b/src/app.js',
    '@@ -102,6 +102,7 @@',
    ' ',
    "     ['GET', /^\\/orders\\/([^/]+)$/, async (req, res, [id]) => {",
    '       const order = orders.get(id);',
    '+      if (order == null) throw notFound(`unknown order: ${id}`);',
    '       sendJson(res, 200, presentOrder(order));',
    '     }],',
    ' ',
    '--- a/src/money.js',
    '+++ b/src/money.js',
    '@@ -9,5 +9,5 @@',
    ' export function toCents(amount) {',
    '   if (typeof amount !== "number") throw new TypeError("amount must be a number");',
    '-  return Math.floor(amount * 100);',
    '+  return Math.round(amount * 100);',
    ' }',
    ' ',
    '--- /dev/null',
    `+++ b/test/regressions${evil ? '<script>' : ''}.test.js`,
    '@@ -0,0 +1,3 @@',
    "+import { test } from 'node:test';",
    `+// the order total${evil}`,
    "+test('totals are exact', () => {});",
    '',
  ].join('\n');
  return {
    lint: {
      tools: [{ name: 'eslint', version: '9.39.5' }],
      config: 'assay-lint@1',
      files: 7,
      lines: 412,
      errors: 2,
      warnings: 3,
      per1000Lines: 12.1,
      byRule: [
        { rule: 'eqeqeq', severity: 'warning', count: 2 },
        { rule: 'no-unused-vars', severity: 'error', count: 2 },
        { rule: 'complexity', severity: 'warning', count: 1 },
      ],
      top: [
        { file: 'src/orders.js', line: 14, column: 9, rule: 'no-unused-vars', severity: 'error', message: `'total' is assigned a value but never used.${evil}` },
        { file: 'src/orders.js', line: 61, column: 3, rule: 'no-unused-vars', severity: 'error', message: "'legacy' is defined but never used." },
        { file: 'src/app.js', line: 105, column: 17, rule: 'eqeqeq', severity: 'warning', message: "Expected '===' and instead saw '=='." },
        { file: 'src/app.js', line: 131, column: 7, rule: 'eqeqeq', severity: 'warning', message: "Expected '!==' and instead saw '!='." },
        { file: 'src/app.js', line: 117, column: 1, rule: 'complexity', severity: 'warning', message: "Async function 'handle' has a complexity of 16. Maximum allowed is 15." },
      ],
    },
    size: {
      files: 14,
      lines: 583,
      byLanguage: [
        { language: 'JavaScript', files: 10, lines: 490 },
        { language: 'JSON', files: 2, lines: 26 },
      ],
      longestFunctions: [
        { file: 'src/app.js', line: 75, name: 'createApp', lines: 75 },
        { file: 'src/app.js', line: 117, name: 'handle', lines: 30 },
        { file: 'src/orders.js', line: 50, name: 'create', lines: 25 },
      ],
      mostComplex: [
        { file: 'src/app.js', line: 117, name: 'handle', complexity: 16 },
        { file: 'src/orders.js', line: 20, name: '(map callback)', complexity: 8 },
        { file: 'src/files.js', line: 20, name: 'readPublicFile', complexity: 6 },
      ],
      duplicates: { blocks: 1, lines: 12, top: [{ lines: 6, at: [{ file: 'src/orders.js', line: 20 }, { file: 'src/inventory.js', line: 31 }] }] },
    },
    hygiene: {
      readme: { present: true, file: 'README.md', lines: 42, bytes: 1830 },
      gitignore: true,
      lockfiles: ['package-lock.json'],
      committed: [{ kind: 'env_file', files: 1, paths: ['.env'] }],
      secrets: [{ file: '.env', line: 2, kind: 'aws_access_key', masked: 'AKIA******** (20 chars)' }],
    },
    diff: {
      filesChanged: 3,
      linesAdded: 5,
      linesRemoved: 1,
      files: [
        { path: 'src/app.js', status: 'modified', added: 1, removed: 0 },
        { path: 'src/money.js', status: 'modified', added: 1, removed: 1 },
        { path: `test/regressions${evil ? '<script>' : ''}.test.js`, status: 'added', added: 3, removed: 0 },
      ],
      patch,
      patchCut: false,
    },
    ownTests: fixtureOwnTests(evil),
    history: fixtureHistory(evil),
    notes: [{ analysis: 'lint', code: 'partial', message: `1 file(s) could not be parsed (syntax errors): each is one parse-error finding${evil}` }],
    ...(opts.showCandidates ? { shownToCandidates: ['lint' as const] } : {}),
  };
}

/** The candidate's own tests of a debug-app solution: 11 passing with coverage, 5 of the 6 planted bugs caught. */
function fixtureOwnTests(evil: string): OwnTests {
  const caught = (id: string, description: string, test: string) => ({ id, description, outcome: 'caught' as const, durationMs: 1400, verdict: 'nonzero_exit', failed: 1, failedTests: [test] });
  return {
    status: 'passed',
    command: 'node --test test/*.test.js',
    runner: 'node-test',
    passed: 11,
    failed: 0,
    skipped: 0,
    total: 11,
    durationMs: 2145,
    verdict: 'ok',
    coverage: { tool: 'node', lines: 89.03, branches: 70.45, functions: 86 },
    notes: ['run as node itself (the test script is plainly node --test) with the TAP reporter and Node.js coverage'],
    log: { text: `TAP version 13\nok 1 - GET /health${evil}\n# tests 11\n# pass 11\n# fail 0\n`, totalBytes: 60, cutBytes: 0 },
    bugsCaught: {
      status: 'measured',
      caught: 5,
      of: 6,
      durationMs: 6960,
      details: [
        caught('last-units', 'The last units cannot be sold: the stock check is stock > quantity', 'the last units in stock can be sold'),
        caught('float-cents', 'Prices are converted to cents with Math.floor, so some come out a cent short', `decimal prices convert to exact cents${evil}`),
        caught('unknown-order-500', 'GET /orders/:id of an unknown order crashes (500) instead of answering 404', 'an unknown order answers 404'),
        caught('quantity-validation', 'Negative and fractional order quantities are accepted', 'quantities must be positive integers'),
        { id: 'oversell-race', description: 'The receipt is written between the stock check and the reservation, so concurrent orders can oversell', outcome: 'missed', durationMs: 1346, verdict: 'ok', failed: 0 },
        caught('receipt-traversal', 'readPublicFile joins the name onto its folder unchecked, so ../ reads files outside it', 'readPublicFile stays inside its folder'),
      ],
    },
  };
}

/** Four commits over four days by two authors, one of them adding tests. */
function fixtureHistory(evil: string): History {
  const commit = (n: number, at: string, author: string, subject: string, added: number, removed: number, files: number, touchesTests: boolean) => ({ sha: String(n).repeat(40), at, author, subject, added, removed, files, touchesTests });
  return {
    status: 'read',
    commits: 4,
    maxCommits: 200,
    truncated: false,
    firstAt: '2026-03-01T10:00:00+00:00',
    lastAt: '2026-03-04T09:00:00+00:00',
    activeDays: 3,
    authors: 2,
    testCommits: 2,
    linesAdded: 612,
    linesRemoved: 9,
    largestCommitShare: 0.86,
    fetchMs: 84,
    timeline: [
      commit(4, '2026-03-04T09:00:00+00:00', 'Grace Hopper', 'Fix 404, quantities, the race and receipts', 14, 5, 3, false),
      commit(3, '2026-03-02T23:00:00-05:00', `Ada Lovelace${evil}`, `Add regression tests${evil}`, 61, 0, 1, true),
      commit(2, '2026-03-01T15:00:00+00:00', 'Ada Lovelace', 'Fix rounding and the last units', 2, 2, 2, false),
      commit(1, '2026-03-01T10:00:00+00:00', 'Ada Lovelace', 'Start from the starter', 535, 2, 14, true),
    ],
  };
}
