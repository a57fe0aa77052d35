import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RuntimePlan } from '../plan/index.ts';
import { planOwnTests } from './plan.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function project(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'assay-own-plan-'));
  dirs.push(dir);
  for (const [rel, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), content);
  }
  return dir;
}

const node = { runtime: 'node', install: { kind: 'skip', reason: '' }, startArgv: [] } as RuntimePlan;
const python = { runtime: 'python', install: { kind: 'skip', reason: '' }, startArgv: [], startEnv: { PATH: '/workspace/.venv/bin:/usr/bin' } } as RuntimePlan;
const pkg = (scripts: Record<string, string>, extra: object = {}) => ({ 'package.json': JSON.stringify({ scripts, ...extra }) });

describe('planOwnTests', () => {
  it('has nothing to run without a test script, or with npm’s placeholder', async () => {
    expect(await planOwnTests(await project({}), node)).toEqual({ kind: 'none', reason: 'no package.json' });
    expect(await planOwnTests(await project(pkg({ start: 'node server.js' })), node)).toEqual({ kind: 'none', reason: 'package.json has no test script' });
    expect(await planOwnTests(await project(pkg({ test: 'echo "Error: no test specified" && exit 1' })), node)).toMatchObject({ kind: 'none', reason: /placeholder/ });
  });

  it('runs a plain node --test script as node itself, with TAP and coverage', async () => {
    const plan = await planOwnTests(await project(pkg({ test: 'node --test test/*.test.js' })), node);
    expect(plan).toMatchObject({ kind: 'run', argv: ['node', '--test', '--test-reporter=tap', '--experimental-test-coverage', 'test/*.test.js'], bareArgv: ['node', '--test', '--test-reporter=tap', 'test/*.test.js'], runner: 'node-test', coverage: 'node', command: 'node --test test/*.test.js' });
  });

  it('runs anything else as npm test, nothing of the script reaching argv', async () => {
    const quoted = await planOwnTests(await project(pkg({ test: 'node --test "test/**/*.js"; rm -rf /' })), node);
    expect(quoted).toMatchObject({ kind: 'run', argv: ['npm', 'test'], env: { NODE_OPTIONS: '--test-reporter=tap' }, runner: 'node-test' });
    const hooked = await planOwnTests(await project(pkg({ test: 'node --test', pretest: 'node build.js' })), node);
    expect(hooked).toMatchObject({ argv: ['npm', 'test'] });
    const ownReporter = await planOwnTests(await project(pkg({ test: 'node --test --test-reporter=spec' })), node);
    expect(ownReporter).toMatchObject({ argv: ['npm', 'test'] });
    expect(ownReporter.kind === 'run' && ownReporter.env.NODE_OPTIONS).toBeUndefined();
    expect(await planOwnTests(await project(pkg({ test: 'jest --ci' })), node)).toMatchObject({ argv: ['npm', 'test'], runner: 'jest' });
  });

  it('wraps npm test in the project’s own c8, unless the script measures coverage itself', async () => {
    expect(await planOwnTests(await project(pkg({ test: 'mocha' }, { devDependencies: { c8: '^10.0.0', mocha: '^10.0.0' } })), node)).toMatchObject({
      argv: ['node_modules/.bin/c8', '--reporter=text-summary', 'npm', 'test'],
      bareArgv: ['npm', 'test'],
      coverage: 'c8',
      runner: 'mocha',
    });
    expect(await planOwnTests(await project(pkg({ test: 'c8 mocha' }, { devDependencies: { c8: '^10.0.0' } })), node)).toMatchObject({ argv: ['npm', 'test'] });
  });

  it('finds Python tests (not in the virtual environment, not through symlinks) and runs the fixed script', async () => {
    expect(await planOwnTests(await project({ 'main.py': '', '.venv/lib/test_x.py': '' }), python)).toEqual({ kind: 'none', reason: 'no Python test files (test_*.py, *_test.py)' });
    const linked = await project({ 'main.py': '' });
    const elsewhere = await project({ 'tests/test_app.py': '' });
    await symlink(path.join(elsewhere, 'tests'), path.join(linked, 'tests'));
    expect(await planOwnTests(linked, python)).toMatchObject({ kind: 'none' });
    const plan = await planOwnTests(await project({ 'main.py': '', 'tests/test_app.py': '' }), python);
    expect(plan).toMatchObject({ kind: 'run', argv: ['sh', '-c', expect.stringContaining('unittest discover')], bareArgv: ['sh', '-c', expect.any(String), 'sh', 'bare'], env: { PATH: '/workspace/.venv/bin:/usr/bin', CI: 'true' } });
    expect(await planOwnTests(await project({ 'app/calc_test.py': '' }), python)).toMatchObject({ kind: 'run' });
  });
});
