/**
 * Which of the candidate's own test commands runs, decided from their files alone (lstat and
 * JSON, like runner/stages/plan/): nothing here runs their code. The command then runs in a
 * sandbox of its own (./stage.ts).
 * - Node: the package.json `test` script, unless it is missing or npm's placeholder. A script
 *   that is plainly `node --test [patterns]` runs as node itself with Assay's TAP reporter and
 *   Node's built-in coverage; anything else runs as `npm test` (npm runs pretest and posttest
 *   too), under c8 when the project depends on it and measures no coverage itself.
 * - Python: when there are test files (test_*.py, *_test.py), pytest if the submission's
 *   dependencies installed it (with coverage.py when installed too), else the standard library's
 *   `unittest discover`: pytest is not in the image, and nothing is installed for the tests.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Coverage, OwnTestRunner } from '../../report/insights-tests.ts';
import { readJson } from '../plan/files.ts';
import type { RuntimePlan } from '../plan/index.ts';

export type OwnTestsPlan =
  | { kind: 'none'; reason: string }
  | {
      kind: 'run';
      argv: string[];
      /** The same tests without the coverage Assay adds (the mutant runs: only pass or fail counts there). */
      bareArgv: string[];
      env: Record<string, string>;
      /** What a reviewer would type. */
      command: string;
      /** The runner the script names, when it names one (parsing tries every known format anyway). */
      runner?: OwnTestRunner;
      /** The coverage tool Assay added, if any. */
      coverage?: Coverage['tool'];
      notes: string[];
    };

/** Set for every run: no colours, no watch mode, no interactive prompts. */
const COMMON_ENV = { CI: 'true', NO_COLOR: '1', FORCE_COLOR: '0', NODE_ENV: 'test' };

/** `node --test` followed only by plain words (patterns, files, flags with values): safe to run without a shell. */
const PLAIN_NODE_TEST = /^node\s+--test((?:\s+[A-Za-z0-9_./*{}@,=:+-]+)*)\s*$/;
const NPM_PLACEHOLDER = /no test specified/;
/** The script measures coverage itself: Assay adds nothing. */
const OWN_COVERAGE = /\b(c8|nyc)\b|--coverage|--experimental-test-coverage|--cov\b/;

/** Directories never searched for Python tests: dependencies, build output, VCS. */
const SKIPPED_DIRS = new Set(['.git', '.venv', 'venv', 'env', 'node_modules', '__pycache__', 'site-packages', '.tox', '.nox', 'dist', 'build']);
/** Entries looked at while searching for Python tests; a huge tree is not walked to its end. */
const MAX_ENTRIES = 5000;
const MAX_DEPTH = 6;

/**
 * Python, decided inside the sandbox (what pip installed is only known there). A fixed script:
 * nothing of the candidate's is interpolated. The first line it prints names the runner; with
 * the argument `bare` it measures no coverage.
 */
export const PYTHON_TESTS_SCRIPT = [
  'PY=python3',
  '[ -x .venv/bin/python ] && PY=.venv/bin/python',
  'if "$PY" -c "import pytest" >/dev/null 2>&1; then',
  '  if [ "${1-}" != bare ] && "$PY" -c "import coverage" >/dev/null 2>&1; then',
  '    echo "assay-own-tests: pytest coverage.py"',
  '    COVERAGE_FILE=/tmp/.assay-coverage "$PY" -m coverage run -m pytest -p no:cacheprovider',
  '    rc=$?',
  '    COVERAGE_FILE=/tmp/.assay-coverage "$PY" -m coverage report',
  '    exit $rc',
  '  fi',
  '  echo "assay-own-tests: pytest"',
  '  exec "$PY" -m pytest -p no:cacheprovider',
  'fi',
  'echo "assay-own-tests: unittest"',
  'if [ -d tests ] && [ ! -f tests/__init__.py ]; then exec "$PY" -m unittest discover -v -s tests; fi',
  'exec "$PY" -m unittest discover -v',
].join('\n');

export async function planOwnTests(dir: string, plan: RuntimePlan): Promise<OwnTestsPlan> {
  return plan.runtime === 'python' ? planPython(dir, plan) : planNode(dir);
}

async function planNode(dir: string): Promise<OwnTestsPlan> {
  const pkg = await readJson(path.join(dir, 'package.json'));
  if (!isObject(pkg)) return { kind: 'none', reason: 'no package.json' };
  const scripts = isObject(pkg.scripts) ? pkg.scripts : {};
  const script = typeof scripts.test === 'string' ? scripts.test.trim() : '';
  if (!script) return { kind: 'none', reason: 'package.json has no test script' };
  if (NPM_PLACEHOLDER.test(script)) return { kind: 'none', reason: "package.json's test script is npm's placeholder (no test specified)" };

  const plain = PLAIN_NODE_TEST.exec(script);
  const words = plain?.[1]?.trim().split(/\s+/).filter(Boolean) ?? [];
  const hooks = typeof scripts.pretest === 'string' || typeof scripts.posttest === 'string';
  if (plain && !hooks && !words.some((w) => w.startsWith('--test-reporter'))) {
    const coverage = words.includes('--experimental-test-coverage') ? [] : ['--experimental-test-coverage'];
    return {
      kind: 'run',
      argv: ['node', '--test', '--test-reporter=tap', ...coverage, ...words],
      bareArgv: ['node', '--test', '--test-reporter=tap', ...words],
      env: COMMON_ENV,
      command: script,
      runner: 'node-test',
      coverage: 'node',
      notes: ['run as node itself (the test script is plainly node --test) with the TAP reporter and Node.js coverage'],
    };
  }
  const deps = { ...(isObject(pkg.dependencies) ? pkg.dependencies : {}), ...(isObject(pkg.devDependencies) ? pkg.devDependencies : {}) };
  const withC8 = 'c8' in deps && !OWN_COVERAGE.test(script);
  // A reporter of our own for node:test runs inside the script, unless the script picks one (two would need two destinations).
  const env = { ...COMMON_ENV, ...(script.includes('--test-reporter') ? {} : { NODE_OPTIONS: '--test-reporter=tap' }) };
  return {
    kind: 'run',
    argv: withC8 ? ['node_modules/.bin/c8', '--reporter=text-summary', 'npm', 'test'] : ['npm', 'test'],
    bareArgv: ['npm', 'test'],
    env,
    command: withC8 ? 'c8 npm test' : 'npm test',
    runner: runnerNamedIn(script),
    ...(withC8 ? { coverage: 'c8' as const } : {}),
    notes: withC8 ? ['coverage measured by the project’s own c8'] : OWN_COVERAGE.test(script) ? [] : ['no coverage: the script measures none, and only node --test scripts and projects with c8 get it from Assay'],
  };
}

async function planPython(dir: string, plan: RuntimePlan): Promise<OwnTestsPlan> {
  const found = await findPythonTests(dir);
  if (!found) return { kind: 'none', reason: 'no Python test files (test_*.py, *_test.py)' };
  return {
    kind: 'run',
    argv: ['sh', '-c', PYTHON_TESTS_SCRIPT],
    bareArgv: ['sh', '-c', PYTHON_TESTS_SCRIPT, 'sh', 'bare'],
    env: { ...COMMON_ENV, ...(plan.startEnv ?? {}), PYTHONDONTWRITEBYTECODE: '1' },
    command: 'pytest (when installed), else python3 -m unittest discover',
    notes: [],
  };
}

/** Whether a test_*.py or *_test.py file exists, looking at no more than MAX_ENTRIES entries (symlinks are not followed). */
async function findPythonTests(root: string): Promise<boolean> {
  let seen = 0;
  const queue: { dir: string; depth: number }[] = [{ dir: root, depth: 0 }];
  while (queue.length > 0 && seen < MAX_ENTRIES) {
    const { dir, depth } = queue.shift()!;
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      if (++seen > MAX_ENTRIES) break;
      if (e.isFile() && /^(test_.*|.*_test)\.py$/.test(e.name)) return true;
      if (e.isDirectory() && depth < MAX_DEPTH && !SKIPPED_DIRS.has(e.name)) queue.push({ dir: path.join(dir, e.name), depth: depth + 1 });
    }
  }
  return false;
}

function runnerNamedIn(script: string): OwnTestRunner | undefined {
  if (/\bnode\s+--test\b/.test(script)) return 'node-test';
  if (/\bvitest\b/.test(script)) return 'vitest';
  if (/\bjest\b/.test(script)) return 'jest';
  if (/\bmocha\b/.test(script)) return 'mocha';
  return undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
