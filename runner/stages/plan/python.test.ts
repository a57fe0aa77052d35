import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { planPython, satisfiesSpecifiers } from './python.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'assay-plan-python-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function put(files: Record<string, string>): Promise<void> {
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), text);
  }
}

describe('planPython', () => {
  it('is not Python without main.py, app.py, requirements.txt or pyproject.toml', async () => {
    await put({ 'server.py': 'print(1)\n' });
    expect(await planPython(dir)).toBeUndefined();
  });

  it('runs main.py, else app.py, with the standard library only when nothing is declared', async () => {
    await put({ 'app.py': '' });
    expect(await planPython(dir)).toEqual({ runtime: 'python', startArgv: ['python3', 'app.py'], install: { kind: 'skip', reason: expect.stringMatching(/standard library only/) } });
    await put({ 'main.py': '' });
    expect((await planPython(dir))?.startArgv).toEqual(['python3', 'main.py']);
  });

  it('installs requirements.txt into /workspace/.venv, wheels only, and starts with the environment on PATH', async () => {
    await put({ 'app.py': '', 'requirements.txt': 'flask==3.0.3\n-r requirements/extra.txt\n', 'requirements/extra.txt': 'tinyid>=2\n' });
    const plan = await planPython(dir);
    expect(plan).toMatchObject({
      runtime: 'python',
      startArgv: ['python3', 'app.py'],
      startEnv: { PATH: expect.stringMatching(/^\/workspace\/\.venv\/bin:/), VIRTUAL_ENV: '/workspace/.venv' },
      install: { kind: 'run', manager: 'pip', argv: ['/opt/assay/bin/pip-install', '--only-binary=:all:', '-r', 'requirements.txt'], dependencies: 2, outputs: ['.venv'] },
    });
    expect(plan?.install.kind === 'run' && plan.install.locked?.inputsHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('keys the cache on every requirements file read, included ones too', async () => {
    await put({ 'main.py': '', 'requirements.txt': '-r base.txt\n', 'base.txt': 'flask==3.0.3\n' });
    const hash = async () => {
      const plan = await planPython(dir);
      return plan?.install.kind === 'run' ? plan.install.locked?.inputsHash : undefined;
    };
    const before = await hash();
    await put({ 'base.txt': 'flask==3.0.2\n' });
    expect(await hash()).not.toBe(before);
  });

  it('lets a challenge allow sdists', async () => {
    await put({ 'main.py': '', 'requirements.txt': 'flask\n' });
    const plan = await planPython(dir, { sdists: true });
    expect(plan?.install.kind === 'run' && plan.install.argv).toEqual(['/opt/assay/bin/pip-install', '--prefer-binary', '-r', 'requirements.txt']);
  });

  it('rejects requirements that leave the index, with file and line', async () => {
    await put({ 'main.py': '', 'requirements.txt': 'flask\n--extra-index-url https://evil.example/simple\nrequests @ https://evil.example/r.whl\n' });
    const plan = await planPython(dir);
    expect(plan?.install).toEqual({ kind: 'reject', reason: expect.stringMatching(/requirements\.txt:2: --extra-index-url is not allowed.*requirements\.txt:3: .*direct reference|requirements\.txt:3: .*URL/) });
  });

  it('rejects an include outside the repository, missing or a symlink', async () => {
    await put({ 'main.py': '', 'requirements.txt': '-r ../../etc/passwd\n-r missing.txt\n-c link.txt\n' });
    await symlink('/etc/hostname', path.join(dir, 'link.txt'));
    const plan = await planPython(dir);
    expect(plan?.install.kind).toBe('reject');
    const reason = plan?.install.kind === 'reject' ? plan.install.reason : '';
    expect(reason).toMatch(/leaves the repository/);
    expect(reason).toMatch(/missing\.txt is not a regular file/);
    expect(reason).toMatch(/link\.txt is not a regular file/);
  });

  it('follows an include loop once', async () => {
    await put({ 'main.py': '', 'requirements.txt': '-r a.txt\nflask\n', 'a.txt': '-r requirements.txt\nrequests\n' });
    expect((await planPython(dir))?.install).toMatchObject({ kind: 'run', dependencies: 2 });
  });

  it('installs pyproject.toml [project] dependencies as arguments after "--" when there is no requirements.txt', async () => {
    await put({ 'app.py': '', 'pyproject.toml': '[project]\nname = "svc"\nversion = "0.1.0"\ndependencies = ["tinyid>=2", "base-kit[fast]; python_version >= \'3.8\'"]\n' });
    const plan = await planPython(dir);
    expect(plan?.install).toMatchObject({ kind: 'run', argv: ['/opt/assay/bin/pip-install', '--only-binary=:all:', '--', 'tinyid>=2', "base-kit[fast]; python_version >= '3.8'"], dependencies: 2 });
  });

  it('prefers requirements.txt over pyproject.toml (a pinned export beats ranges)', async () => {
    await put({ 'app.py': '', 'requirements.txt': 'tinyid==2.0.1\n', 'pyproject.toml': '[project]\ndependencies = ["tinyid>=2"]\n' });
    expect((await planPython(dir))?.install).toMatchObject({ argv: ['/opt/assay/bin/pip-install', '--only-binary=:all:', '-r', 'requirements.txt'] });
  });

  it('rejects a pyproject dependency from a URL, and a pyproject that is not TOML', async () => {
    await put({ 'app.py': '', 'pyproject.toml': '[project]\ndependencies = ["x @ https://evil.example/x.whl"]\n' });
    expect((await planPython(dir))?.install).toEqual({ kind: 'reject', reason: expect.stringMatching(/pyproject\.toml \[project\] dependencies: .*(URL|direct reference)/) });
    await put({ 'pyproject.toml': '[project\n' });
    expect((await planPython(dir))?.install).toEqual({ kind: 'reject', reason: expect.stringMatching(/pyproject\.toml is not valid TOML/) });
  });

  it('says what to do with Poetry dependencies, which pip does not read', async () => {
    await put({ 'app.py': '', 'pyproject.toml': '[tool.poetry.dependencies]\npython = "^3.11"\nflask = "^3.0"\n' });
    expect((await planPython(dir))?.install).toEqual({ kind: 'reject', reason: expect.stringMatching(/1 dependencies under \[tool\.poetry\.dependencies\].*poetry export/) });
  });

  it('flags a requires-python the image does not meet, and still plans the run', async () => {
    await put({ 'main.py': '', 'pyproject.toml': '[project]\nrequires-python = ">=3.12"\n' });
    const plan = await planPython(dir);
    expect(plan?.flags).toEqual([{ code: 'runtime_version', message: expect.stringMatching(/requires-python ">=3\.12" is not met by the sandbox's Python 3\.11\.2; the service was run with it anyway/) }]);
    expect(plan?.startArgv).toEqual(['python3', 'main.py']);
    await put({ 'pyproject.toml': '[project]\nrequires-python = ">=3.9"\n' });
    expect((await planPython(dir))?.flags).toBeUndefined();
  });
});

describe('satisfiesSpecifiers', () => {
  it.each([
    ['>=3.9', true],
    ['>=3.9,<4', true],
    ['>=3.12', false],
    ['<3.11', false],
    ['~=3.10', true],
    ['~=3.11.3', false],
    ['~=3.10.1', false],
    ['==3.11.*', true],
    ['==3.10.*', false],
    ['!=3.11.*', false],
    ['>3.11', true],
    ['>=3.11.4', false],
    ['==3.11', false],
    ['==3.11.2', true],
    ['>=3.12.0rc1', false],
    ['', true],
  ])('3.11.2 against %j → %s', (spec, expected) => {
    expect(satisfiesSpecifiers('3.11.2', spec)).toBe(expected);
  });

  it('cannot tell for what it cannot read', () => {
    expect(satisfiesSpecifiers('3.11.2', '>=three')).toBeUndefined();
    expect(satisfiesSpecifiers('3.11.2', '>=3.*')).toBeUndefined();
  });
});
