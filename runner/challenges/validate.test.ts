import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  buildFailureTable,
  checkRuns,
  compareTestIds,
  findFlakyTests,
  renderFailureTable,
  scanTopLevelTestNames,
  testsNoSolutionFails,
  type GradingRun,
  type Solution,
  validateChallenge,
} from './validate.ts';

const TESTS = ['a', 'b', 'c'];

function run(solution: string, n: number, passed: Partial<Record<string, boolean>>, extra: Partial<GradingRun> = {}): GradingRun {
  const role = solution.startsWith('reference') ? 'reference' : solution === 'starter' ? 'starter' : 'variant';
  const full = Object.fromEntries(TESTS.map((t) => [t, passed[t] ?? false]));
  const percent = Math.round((Object.values(full).filter(Boolean).length / TESTS.length) * 10000) / 100;
  return { solution, role, run: n, outcome: 'graded', percent, durationMs: 1000, passed: full, messages: {}, flags: [], ...extra };
}

describe('findFlakyTests', () => {
  it('names a test whose outcome differs between runs of one solution, with its counts', () => {
    const runs = [
      run('reference/node', 1, { a: true, b: true, c: true }),
      run('reference/node', 2, { a: true, b: false, c: true }),
      run('reference/node', 3, { a: true, b: true, c: true }),
    ];
    expect(findFlakyTests(runs, TESTS)).toEqual([{ testId: 'b', solution: 'reference/node', passedRuns: 2, runs: 3 }]);
  });

  it('does not call a test flaky when it differs only between solutions', () => {
    const runs = [run('reference/node', 1, { a: true, b: true, c: true }), run('starter', 1, { a: true }), run('starter', 2, { a: true })];
    expect(findFlakyTests(runs, TESTS)).toEqual([]);
  });

  it('ignores runs that were not graded (they are reported on their own)', () => {
    const runs = [run('reference/node', 1, { a: true, b: true, c: true }), run('reference/node', 2, {}, { outcome: 'error', error: 'SUITE_BROKEN' })];
    expect(findFlakyTests(runs, TESTS)).toEqual([]);
  });
});

describe('buildFailureTable', () => {
  const runs = [
    run('reference/node', 1, { a: true, b: true, c: true }),
    run('reference/node', 2, { a: true, b: true, c: false }),
    run('starter', 1, { a: true }),
    run('starter', 2, { a: true }),
  ];

  it('has a row per test some solution fails and a column per solution', () => {
    const table = buildFailureTable(runs, TESTS, ['reference/node', 'starter']);
    expect(table.columns).toEqual(['reference/node', 'starter']);
    expect(table.rows).toEqual([
      { testId: 'b', cells: [{ failedRuns: 0, runs: 2 }, { failedRuns: 2, runs: 2 }] },
      { testId: 'c', cells: [{ failedRuns: 1, runs: 2 }, { failedRuns: 2, runs: 2 }] },
    ]);
  });

  it('renders ✗ for every run, k/n for some runs and · for none', () => {
    const text = renderFailureTable(buildFailureTable(runs, TESTS, ['reference/node', 'starter']));
    expect(text.split('\n')).toEqual(['test  reference/node  starter', 'b     ·               ✗', 'c     1/2             ✗']);
  });

  it('lists the tests no solution fails', () => {
    expect(testsNoSolutionFails(runs, TESTS)).toEqual(['a']);
    expect(testsNoSolutionFails([], TESTS)).toEqual([]);
  });
});

describe('checkRuns', () => {
  const solutions: Solution[] = [
    { label: 'reference/node', role: 'reference', dir: '/r' },
    { label: 'starter', role: 'starter', dir: '/s' },
    { label: 'variants/half', role: 'variant', dir: '/v', expected: { minPercent: 30, maxPercent: 40 } },
  ];
  const manifest = { starter: { maxPercent: 50 } };

  it('accepts a passing reference, a low starter and a variant in range', () => {
    expect(checkRuns([run('reference/node', 1, { a: true, b: true, c: true }), run('starter', 1, {}), run('variants/half', 1, { a: true })], solutions, manifest)).toEqual([]);
  });

  it('reports a reference below 100%, naming the failed test and its message', () => {
    const problems = checkRuns([run('reference/node', 1, { a: true, b: true }, { messages: { c: '[failed] boom' } })], solutions, manifest);
    expect(problems).toEqual([expect.stringMatching(/reference\/node run 1: scored 66.67%.*failed: c \[failed\] boom/)]);
  });

  it('reports a starter at or above its threshold', () => {
    const problems = checkRuns([run('starter', 2, { a: true, b: true })], solutions, manifest);
    expect(problems).toEqual([expect.stringContaining('not below its threshold starter.maxPercent = 50%')]);
  });

  it('reports a variant outside its range, and runs that could not be graded', () => {
    const problems = checkRuns([run('variants/half', 1, { a: true, b: true }), run('starter', 1, {}, { outcome: 'not_graded', error: 'RUNTIME_NOT_DETECTED: no package.json' })], solutions, manifest);
    expect(problems).toEqual([expect.stringContaining('outside its expected range 30–40%'), expect.stringContaining('starter run 1: could not be graded: RUNTIME_NOT_DETECTED')]);
  });

  it('reports results for undeclared tests', () => {
    const problems = checkRuns([run('reference/node', 1, { a: true, b: true, c: true }, { flags: ['unknown_tests: results were reported for tests the challenge does not declare: x'] })], solutions, manifest);
    expect(problems).toEqual([expect.stringContaining('the suite reports tests the manifest does not declare')]);
  });
});

describe('compareTestIds', () => {
  it('finds ids missing either way and duplicates', () => {
    expect(compareTestIds(['a', 'b', 'c'], ['a', 'a', 'c', 'd'])).toEqual({ unregistered: ['b'], undeclared: ['d'], duplicates: ['a'] });
  });
});

describe('scanTopLevelTestNames', () => {
  it('reads literal top-level names and counts computed ones', () => {
    const source = [
      "import { test } from 'node:test';",
      "test('money.to-cents', () => {",
      "  test('nested is not top-level', () => {});",
      '});',
      'test("http.404", async () => {});',
      'test.skip(`tpl.plain`, () => {});',
      'test(`tpl.${x}`, () => {});',
      'test(name, () => {});',
      "describe('group', () => {});",
    ].join('\n');
    expect(scanTopLevelTestNames(source)).toEqual({ ids: ['money.to-cents', 'http.404', 'tpl.plain', 'group'], dynamic: 2 });
  });
});

describe('validateChallenge on a tests-kind suite with suite.include', () => {
  it("counts the included suite's test files as the grader runs them", async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'assay-validate-include-'));
    try {
      const write = async (file: string, content: string) => {
        await mkdir(path.dirname(path.join(root, file)), { recursive: true });
        await writeFile(path.join(root, file), content);
      };
      const manifest = (id: string, tests: string[], include?: string[]) =>
        JSON.stringify({ id, title: id, version: '1.0.0', kind: 'tests', runtimes: ['node'], suite: include ? { include } : {}, tests: tests.map((t) => ({ id: t, name: t, category: 'c', points: 1 })) });
      await write('base/challenge.json', manifest('base', ['base-a']));
      await write('base/suite/a.test.mjs', "test('base-a', () => {});\n");
      await write('extended/challenge.json', manifest('extended', ['base-a', 'own-b'], ['base']));
      await write('extended/suite/b.test.mjs', "test('own-b', () => {});\n");
      const grade = () => Promise.reject(new Error('not graded in this test'));
      const result = await validateChallenge({ rootDir: root, id: 'extended', runs: 1, maxima: { memoryMb: 4096, cpus: 4, pids: 1024, stepTimeoutMs: 600_000 }, grade });
      expect(result.problems.join('\n')).not.toMatch(/test "base-a"/);
      // An undeclared test in the included suite is found too: the grader would run it.
      await write('base/suite/c.test.mjs', "test('base-c', () => {});\n");
      const again = await validateChallenge({ rootDir: root, id: 'extended', runs: 1, maxima: { memoryMb: 4096, cpus: 4, pids: 1024, stepTimeoutMs: 600_000 }, grade });
      expect(again.problems.join('\n')).toMatch(/base-c/);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
