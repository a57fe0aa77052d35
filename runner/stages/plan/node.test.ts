import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mainEntry, planNode, startCommand } from './node.ts';
import type { RuntimePlan } from './types.ts';

describe('startCommand', () => {
  it('runs a plain `node <file>` start script directly', () => {
    expect(startCommand({ scripts: { start: 'node server.js' } }, true)).toEqual(['node', 'server.js']);
    expect(startCommand({ scripts: { start: 'node src/index.js' } }, false)).toEqual(['node', 'src/index.js']);
  });

  it("uses npm's default when there is no start script but a server.js", () => {
    expect(startCommand({}, true)).toEqual(['node', 'server.js']);
  });

  it('leaves anything else to npm start', () => {
    for (const start of ['node --require ./x.js server.js', 'node server.js && echo hi', 'ts-node src/a.ts', 'node -e 1', 'node $(cat f)']) {
      expect(startCommand({ scripts: { start } }, true)).toEqual(['npm', 'start', '--silent']);
    }
    expect(startCommand({ scripts: { start: 'node server.js', prestart: 'echo' } }, true)).toEqual(['npm', 'start', '--silent']);
  });

  it("runs what `node .` runs when there is neither a start script nor a server.js", () => {
    expect(startCommand({ main: 'index.js' }, false, 'index.js')).toEqual(['node', 'index.js']);
    expect(startCommand({}, true, 'index.js')).toEqual(['node', 'server.js']);
    expect(startCommand({ scripts: { start: 'nodemon app.js' } }, false, 'index.js')).toEqual(['npm', 'start', '--silent']);
  });

  it("lets npm say a start script is missing when nothing else can start", () => {
    expect(startCommand({}, false)).toEqual(['npm', 'start']);
  });
});

describe('mainEntry', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'assay-main-'));
    await mkdir(path.join(dir, 'lib'));
    await writeFile(path.join(dir, 'lib', 'index.js'), '');
    await writeFile(path.join(dir, 'app.js'), '');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('finds main as given, with .js or as a folder, else index.js', async () => {
    expect(await mainEntry(dir, { main: 'app.js' })).toBe('app.js');
    expect(await mainEntry(dir, { main: './app' })).toBe('app.js');
    expect(await mainEntry(dir, { main: 'lib' })).toBe('lib/index.js');
    expect(await mainEntry(dir, {})).toBeUndefined();
    await writeFile(path.join(dir, 'index.js'), '');
    expect(await mainEntry(dir, {})).toBe('index.js');
  });

  it('never looks outside the project', async () => {
    expect(await mainEntry(path.join(dir, 'lib'), { main: '../app.js' })).toBeUndefined();
    expect(await mainEntry(dir, { main: path.join(dir, 'app.js') })).toBeUndefined();
    expect(await mainEntry(dir, { main: 'missing.js' })).toBeUndefined();
  });
});

describe('planNode: which package manager, argv and environment', () => {
  const REG = 'https://registry.npmjs.org/';
  const MIRROR = 'https://npm.example.internal/';
  const fixture = (name: string) => `test/fixtures/realistic/${name}`;
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'assay-plan-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  async function repo(files: Record<string, string | object>, from?: string): Promise<string> {
    if (from) await cp(fixture(from), dir, { recursive: true });
    for (const [name, content] of Object.entries(files)) await writeFile(path.join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
    return dir;
  }
  const run = (plan: RuntimePlan) => {
    if (plan.install.kind !== 'run') throw new Error(`expected a run plan, got ${JSON.stringify(plan.install)}`);
    return plan.install;
  };

  it('pnpm-lock.yaml: the pnpm packageManager names, frozen, no scripts, no pnpmfile', async () => {
    const install = run(await planNode(await repo({}, 'pnpm'), REG));
    expect(install.manager).toBe('pnpm');
    expect(install.tool).toEqual({ name: 'pnpm', version: expect.stringMatching(/^9\./) as string });
    expect(install.argv).toEqual(['node', '/opt/assay/pm/pnpm-9/bin/pnpm.cjs', 'install', '--frozen-lockfile', '--ignore-scripts', '--ignore-pnpmfile', '--reporter=append-only']);
    expect(install.rebuildArgv).toEqual(['node', '/opt/assay/pm/pnpm-9/bin/pnpm.cjs', 'rebuild']);
    expect(install.locked?.inputsHash).toMatch(/^[0-9a-f]{64}$/);
    expect(install.installFiles).toBeUndefined(); // v9 lockfiles carry no URLs
    expect(install.notes).toBeUndefined();
  });

  it('yarn.lock v1: yarn classic, frozen, with the public URLs mapped to the configured registry for the install only', async () => {
    const install = run(await planNode(await repo({}, 'yarn-classic'), MIRROR));
    expect(install.manager).toBe('yarn');
    expect(install.tool?.version).toMatch(/^1\.22\./);
    expect(install.argv).toEqual(['node', '/opt/assay/pm/yarn-1/bin/yarn.js', 'install', '--frozen-lockfile', '--ignore-scripts', '--non-interactive', '--no-default-rc', '--no-progress']);
    expect(install.installFiles?.map((f) => f.path)).toEqual(['yarn.lock']);
    const text = install.installFiles![0]!.content.toString();
    expect(text).toContain(`resolved "${MIRROR}express/-/express-`);
    expect(text).not.toMatch(/registry\.(yarnpkg|npmjs)\.(com|org)/);
  });

  it("berry's yarn.lock: yarn 4, immutable, builds skipped", async () => {
    const install = run(await planNode(await repo({}, 'yarn-berry'), REG));
    expect(install.tool?.version).toMatch(/^4\./);
    expect(install.argv).toEqual(['node', '/opt/assay/pm/yarn-4/bin/yarn.js', 'install', '--immutable', '--mode=skip-build']);
    expect(install.notes).toBeUndefined();
  });

  it('a packageManager major Assay does not have: the closest, with a note', async () => {
    const pkg = JSON.parse(await readFile(path.join(fixture('pnpm'), 'package.json'), 'utf8')) as Record<string, unknown>;
    const install = run(await planNode(await repo({ 'package.json': { ...pkg, packageManager: 'pnpm@8.15.6' } }, 'pnpm'), REG));
    expect(install.tool?.version).toMatch(/^9\./);
    expect(install.notes?.join()).toMatch(/asks for pnpm@8\.15\.6/);
  });

  it('npm lockfiles: npm ci as before, and several lockfiles are named in a note', async () => {
    const npmOnly = run(await planNode(await repo({}, 'bcrypt-deny'), REG));
    expect(npmOnly.argv).toEqual(['npm', 'ci', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=warn']);
    expect(npmOnly.rebuildArgv).toEqual(['npm', 'rebuild', '--foreground-scripts']);
    expect(npmOnly.locked?.verify?.kind).toBe('npm');
    await cp(path.join(fixture('yarn-classic'), 'yarn.lock'), path.join(dir, 'yarn.lock'));
    const both = run(await planNode(dir, REG));
    expect(both.manager).toBe('npm');
    expect(both.notes?.join()).toMatch(/several lockfiles are committed \(package-lock\.json, yarn\.lock\); package-lock\.json was used/);
  });

  it('a lockfile off the registry is rejected before anything installs', async () => {
    const lock = (await readFile(path.join(fixture('yarn-classic'), 'yarn.lock'), 'utf8')).replace('https://registry.yarnpkg.com/express/', 'http://172.17.0.1:4873/express/');
    const plan = await planNode(await repo({ 'yarn.lock': lock }, 'yarn-classic'), REG);
    expect(plan.install).toMatchObject({ kind: 'reject', reason: expect.stringMatching(/172\.17\.0\.1/) as string });
  });

  it("Plug'n'Play: a note when only its files are committed, a refusal when the scripts load it", async () => {
    const noted = run(await planNode(await repo({ '.pnp.cjs': '// pnp', '.yarnrc.yml': 'nodeLinker: pnp\n' }, 'yarn-berry'), REG));
    expect(noted.notes?.join()).toMatch(/Plug'n'Play is not supported: the dependencies were installed into node_modules .*\.pnp\.cjs/);
    const pkg = JSON.parse(await readFile(path.join(fixture('yarn-berry'), 'package.json'), 'utf8')) as Record<string, unknown>;
    const refused = await planNode(await repo({ 'package.json': { ...pkg, scripts: { start: 'node -r ./.pnp.cjs server.js' } } }), REG);
    expect(refused.install).toMatchObject({ kind: 'reject', reason: expect.stringMatching(/Plug'n'Play/) as string });
  });

  it('pnpm-workspace.yaml: build allow-lists pass, other settings are refused', async () => {
    expect((await planNode(await repo({ 'pnpm-workspace.yaml': 'onlyBuiltDependencies:\n  - bcrypt\n' }, 'pnpm'), REG)).install.kind).toBe('run');
    expect((await planNode(await repo({ 'pnpm-workspace.yaml': 'registry: http://10.0.0.5/\n' }), REG)).install).toMatchObject({ kind: 'reject' });
  });
});
