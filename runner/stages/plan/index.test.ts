import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildCommand, planRuntime, type PlanOptions } from './index.ts';

const NODE = { available: [{ major: 22, version: '22.23.5' }, { major: 24, version: '24.22.3' }, { major: 26, version: '26.12.1' }], defaultMajor: 26 };
const OPTS: PlanOptions = { allowed: ['node', 'python'], npmRegistry: 'https://registry.npmjs.org/', node: NODE };

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

async function repo(files: Record<string, string>): Promise<string> {
  dir = await mkdtemp(path.join(os.tmpdir(), 'assay-plan-'));
  for (const [name, content] of Object.entries(files)) await writeFile(path.join(dir, name), content);
  return dir;
}

const pkg = (extra: object) => JSON.stringify({ name: 'x', version: '1.0.0', ...extra });

describe('planRuntime', () => {
  it('plans the build script as its own step, and no build without one', async () => {
    const withBuild = await planRuntime(await repo({ 'package.json': pkg({ scripts: { build: 'tsc', start: 'node dist/index.js' } }) }), OPTS);
    expect(withBuild).toMatchObject({ runtime: 'node', build: { argv: ['sh', '-c', expect.any(String), 'build', 'tsc'] }, startArgv: ['node', 'dist/index.js'], startFrom: 'convention' });
    expect((withBuild as { build: { env: Record<string, string> } }).build.env.npm_config_offline).toBe('true');
    await rm(dir!, { recursive: true });
    const without = await planRuntime(await repo({ 'package.json': pkg({ scripts: { start: 'node server.js', build: '' } }) }), OPTS);
    expect(without).not.toHaveProperty('build');
  });

  it('runs the build script straight, and through npm where the project needs what only npm gives', () => {
    expect(buildCommand({ build: 'tsc' }, { name: 'tasks', version: '1.2.3' })).toMatchObject({
      argv: ['sh', '-c', expect.stringContaining('node_modules/.bin'), 'build', 'tsc'],
      env: { npm_package_name: 'tasks', npm_package_version: '1.2.3', npm_lifecycle_event: 'build', npm_lifecycle_script: 'tsc', npm_config_offline: 'true' },
      label: 'the build script',
    });
    // Only strings become variables, without NUL (the engine refuses it).
    const odd = buildCommand({ build: 'tsc' }, { name: { evil: true }, version: '1\u00002' }).env;
    expect(odd).not.toHaveProperty('npm_package_name');
    expect(odd.npm_package_version).toBe('12');
    expect(buildCommand({ build: 'tsc', prebuild: 'rm -rf dist' }).argv).toEqual(['npm', 'run', 'build']);
    expect(buildCommand({ build: 'tsc', postbuild: 'cp -r static dist' }).argv).toEqual(['npm', 'run', 'build']);
    expect(buildCommand({ build: 'esbuild src/index.ts --define:VERSION=\\"$npm_package_version\\"' }).label).toBe('npm run build');
    expect(buildCommand({ build: 'echo ${npm_package_name}' }).label).toBe('npm run build');
  });

  it("takes the Procfile's web command ahead of the runtime's convention, through sh in the sandbox", async () => {
    const plan = await planRuntime(await repo({ 'package.json': pkg({ scripts: { start: 'node a.js' } }), Procfile: 'web: node server.js --port $PORT\n' }), OPTS);
    expect(plan).toMatchObject({ runtime: 'node', startFrom: 'Procfile' });
    const argv = (plan as { startArgv: string[] }).startArgv;
    expect(argv[0]).toBe('sh');
    expect(argv.at(-1)).toBe('node server.js --port $PORT');
  });

  it('picks the Node major the files ask for, and flags what cannot be met', async () => {
    expect(await planRuntime(await repo({ 'package.json': pkg({}), '.nvmrc': '22\n' }), OPTS)).toMatchObject({ nodeVersion: { major: 22, version: '22.23.5' } });
    await rm(dir!, { recursive: true });
    const old = await planRuntime(await repo({ 'package.json': pkg({ engines: { node: '16.x' } }) }), OPTS);
    expect(old).toMatchObject({ nodeVersion: { major: 22 }, flags: [{ code: 'runtime_version', message: expect.stringContaining('engines.node asks for "16.x"') }] });
    await rm(dir!, { recursive: true });
    const plain = await planRuntime(await repo({ 'package.json': pkg({}) }), OPTS);
    expect(plain).toMatchObject({ nodeVersion: { major: 26 } });
    expect(plain).not.toHaveProperty('flags');
    // Without a list of images (an old image manifest), no version is chosen.
    expect(await planRuntime(dir!, { ...OPTS, node: undefined })).not.toHaveProperty('nodeVersion');
  });

  it('says where it looked when nothing runnable is there', async () => {
    expect(await planRuntime(await repo({ 'README.md': '# hi' }), { ...OPTS, where: 'in the folder "backend"' })).toEqual({
      missing: 'no package.json (Node.js) or main.py, app.py or requirements.txt (Python 3) in the folder "backend"',
    });
  });
});
