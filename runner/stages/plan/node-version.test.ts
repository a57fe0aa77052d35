import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { chooseNodeVersion, readNodeRequirements, type NodeRequirement } from './node-version.ts';

const AVAILABLE = [
  { major: 22, version: '22.23.5' },
  { major: 24, version: '24.22.3' },
  { major: 26, version: '26.12.1' },
];
const choose = (...requested: NodeRequirement[]) => chooseNodeVersion(requested, AVAILABLE, 26);
const nvmrc = (spec: string): NodeRequirement => ({ source: '.nvmrc', spec });
const engines = (spec: string): NodeRequirement => ({ source: 'engines.node', spec });

describe('chooseNodeVersion', () => {
  it('keeps the default when nothing is asked or the default meets it', () => {
    expect(choose()).toEqual({ major: 26, version: '26.12.1', requested: [] });
    expect(choose(engines('>=18'))).toMatchObject({ major: 26 });
    expect(choose(nvmrc('lts/*'))).toMatchObject({ major: 26 });
    expect(choose(nvmrc('system'))).toMatchObject({ major: 26 });
    expect(choose(nvmrc('node')).unmet).toBeUndefined();
  });

  it('picks the major a version file names, at the major', () => {
    expect(choose(nvmrc('22'))).toMatchObject({ major: 22, version: '22.23.5' });
    expect(choose(nvmrc('v24.1.0'))).toMatchObject({ major: 24 });
    expect(choose({ source: '.node-version', spec: '22.11' })).toMatchObject({ major: 22 });
    expect(choose(nvmrc('lts/jod'))).toMatchObject({ major: 22 });
    expect(choose(nvmrc('lts/-1'))).toMatchObject({ major: 24 });
    expect(choose(nvmrc('lts/krypton')).unmet).toBeUndefined();
  });

  it('checks engines.node ranges against the exact versions and prefers the newest that fits', () => {
    expect(choose(engines('^22.12.0'))).toMatchObject({ major: 22 });
    expect(choose(engines('>=22 <26'))).toMatchObject({ major: 24 });
    expect(choose(engines('22.x || 24.x'))).toMatchObject({ major: 24 });
  });

  it('meets every requirement together when it can', () => {
    expect(choose(nvmrc('24'), engines('>=20'))).toMatchObject({ major: 24 });
    expect(choose(engines('>=20'), nvmrc('22'))).toMatchObject({ major: 22 });
  });

  it('falls back to the closest major and says what could not be met', () => {
    const old = choose(engines('18.x'));
    expect(old.major).toBe(22);
    expect(old.unmet).toBe('engines.node asks for "18.x". Assay has Node.js 22, 24, 26; this submission was graded with 22.23.5, the closest');
    expect(choose(nvmrc('20'))).toMatchObject({ major: 22, unmet: expect.stringContaining('.nvmrc asks for "20"') });
    expect(choose(engines('>=28'))).toMatchObject({ major: 26, unmet: expect.stringContaining('>=28') });
    expect(choose(nvmrc('25'))).toMatchObject({ major: 26 }); // a tie goes to the newer
    expect(choose(engines('^22.40.0'))).toMatchObject({ major: 22, unmet: expect.any(String) }); // the major matches, the minor does not
    // Conflicting files: the first (the version file) decides, the other is reported.
    expect(choose(nvmrc('22'), engines('>=24'))).toMatchObject({ major: 22, unmet: expect.stringContaining('engines.node asks for ">=24"') });
  });

  it('reports what it cannot read and keeps the default', () => {
    expect(choose(engines('banana'))).toMatchObject({ major: 26, unmet: expect.stringMatching(/^engines.node is "banana", which is not a version range\. .*graded with 26\.12\.1$/) });
    expect(choose(nvmrc('lts/unknownium'))).toMatchObject({ major: 26, unmet: expect.stringContaining('LTS name') });
  });
});

describe('readNodeRequirements', () => {
  it('reads .nvmrc, .node-version (first line, comments dropped) and engines.node, never through a symlink', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'assay-nodever-'));
    try {
      await writeFile(path.join(dir, '.nvmrc'), '# pinned\nv22.11.0 # jod\n');
      await symlink('/etc/hostname', path.join(dir, '.node-version'));
      expect(await readNodeRequirements(dir, { engines: { node: ' >=22 ' } })).toEqual([
        { source: '.nvmrc', spec: 'v22.11.0' },
        { source: 'engines.node', spec: '>=22' },
      ]);
      expect(await readNodeRequirements(dir, { engines: 'node 22' })).toEqual([{ source: '.nvmrc', spec: 'v22.11.0' }]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
