import { describe, expect, it } from 'vitest';
import { parseTestOutput } from './parse.ts';

// Abridged from node --test --test-reporter=tap --experimental-test-coverage on debug-app's reference with a mutant.
const NODE_TAP = `TAP version 13
# Subtest: GET /health
ok 1 - GET /health
  ---
  duration_ms: 33.148488
  ...
# Subtest: decimal prices convert to exact cents
not ok 7 - decimal prices convert to exact cents
  ---
  error: |-
    1998 !== 1999
  ...
1..11
# tests 11
# suites 0
# pass 10
# fail 1
# cancelled 0
# skipped 0
# todo 0
# duration_ms 413.788706
# start of coverage report
# ----------------------------------------------------------------
# file          | line % | branch % | funcs % | uncovered lines
# ----------------------------------------------------------------
#  money.js     |  93.75 |    77.78 |  100.00 | 12-13
# ----------------------------------------------------------------
# all files     |  89.03 |    68.97 |   86.00 |
# ----------------------------------------------------------------
# end of coverage report
`;

const NODE_SPEC = `✔ GET /health (30.1ms)
✖ decimal prices convert to exact cents (2.872195ms)
ℹ tests 11
ℹ suites 0
ℹ pass 10
ℹ fail 1
ℹ cancelled 0
ℹ skipped 1
ℹ todo 1
ℹ duration_ms 413.788706

✖ failing tests:

✖ decimal prices convert to exact cents (2.872195ms)
`;

describe('parseTestOutput', () => {
  it('reads node:test TAP with Node.js coverage', () => {
    expect(parseTestOutput(NODE_TAP, { runner: 'node-test', coverage: 'node' })).toEqual({
      runner: 'node-test',
      passed: 10,
      failed: 1,
      skipped: 0,
      total: 11,
      coverage: { tool: 'node', lines: 89.03, branches: 68.97, functions: 86 },
      failedTests: ['decimal prices convert to exact cents'],
    });
  });

  it("reads node:test's spec reporter, in colour too", () => {
    const coloured = NODE_SPEC.replace(/ℹ/g, '\u001b[34mℹ\u001b[39m');
    expect(parseTestOutput(coloured)).toMatchObject({ runner: 'node-test', passed: 10, failed: 1, skipped: 2, total: 11, failedTests: ['decimal prices convert to exact cents'] });
  });

  it('reads jest with an istanbul table', () => {
    const out = `FAIL test/a.test.js
  ● money › rounds

Tests:       1 failed, 2 skipped, 5 passed, 8 total
Snapshots:   0 total
----------|---------|----------|---------|---------|
File      | % Stmts | % Branch | % Funcs | % Lines |
----------|---------|----------|---------|---------|
All files |   85.71 |    66.67 |     100 |   83.33 |
`;
    expect(parseTestOutput(out, { runner: 'jest' })).toEqual({
      runner: 'jest',
      passed: 5,
      failed: 1,
      skipped: 2,
      total: 8,
      coverage: { tool: 'istanbul', statements: 85.71, branches: 66.67, functions: 100, lines: 83.33 },
      failedTests: ['money › rounds'],
    });
  });

  it('reads vitest, mocha and c8 text summaries', () => {
    expect(parseTestOutput(' Test Files  1 failed | 2 passed (3)\n      Tests  1 failed | 4 passed | 1 skipped (6)\n')).toMatchObject({ runner: 'vitest', passed: 4, failed: 1, skipped: 1, total: 6 });
    expect(parseTestOutput('  3 passing (20ms)\n  1 pending\n  2 failing\n\n  1) adds\n', { coverage: 'c8' })).toMatchObject({ runner: 'mocha', passed: 3, failed: 2, skipped: 1, total: 6 });
    const c8 = 'Statements   : 85.71% ( 12/14 )\nBranches     : 50% ( 1/2 )\nFunctions    : 100% ( 3/3 )\nLines        : 85.71% ( 12/14 )\n';
    expect(parseTestOutput(`  2 passing (5ms)\n${c8}`, { coverage: 'c8' }).coverage).toEqual({ tool: 'c8', statements: 85.71, branches: 50, functions: 100, lines: 85.71 });
  });

  it('reads pytest with coverage.py, and unittest', () => {
    const py = 'assay-own-tests: pytest coverage.py\n....F.s\nFAILED tests/test_app.py::test_total - assert 1 == 2\n==== 1 failed, 5 passed, 1 skipped in 0.12s ====\nName    Stmts   Miss  Cover\nTOTAL     120     20    83%\n';
    expect(parseTestOutput(py)).toEqual({
      runner: 'pytest',
      passed: 5,
      failed: 1,
      skipped: 1,
      total: 7,
      coverage: { tool: 'coverage.py', lines: 83 },
      failedTests: ['tests/test_app.py::test_total'],
    });
    const ut = 'assay-own-tests: unittest\ntest_a (test_app.T) ... ok\n\n======\nFAIL: test_b (test_app.T.test_b)\n------\nRan 4 tests in 0.002s\n\nFAILED (failures=1, skipped=1)\n';
    expect(parseTestOutput(ut)).toMatchObject({ runner: 'unittest', passed: 2, failed: 1, skipped: 1, total: 4, failedTests: ['test_b (test_app.T.test_b)'] });
    expect(parseTestOutput('assay-own-tests: unittest\n\nRan 0 tests in 0.000s\n\nNO TESTS RAN\n')).toMatchObject({ runner: 'unittest', total: 0 });
    expect(parseTestOutput('assay-own-tests: pytest\nno tests ran in 0.01s\n')).toMatchObject({ runner: 'pytest', total: 0 });
  });

  it('finds no counts in output that has none, and takes the last summary when there are several', () => {
    expect(parseTestOutput('hello\nall good\n')).toEqual({ runner: 'unknown', failedTests: [] });
    expect(parseTestOutput('# tests 1\n# pass 1\n# fail 0\n...\n# tests 3\n# pass 2\n# fail 1\n')).toMatchObject({ passed: 2, failed: 1, total: 3 });
  });
});
