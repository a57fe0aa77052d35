import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseYarnClassicEntries } from './lockfiles.ts';
import { restoredTreeMismatch, restoredTreeMismatchFor } from './restored-tree.ts';

const lock = {
  lockfileVersion: 3,
  packages: {
    '': { name: 'app', dependencies: { express: '^4.21.0' } },
    'node_modules/express': { version: '4.21.2', resolved: 'https://registry.npmjs.org/express/-/express-4.21.2.tgz', integrity: 'sha512-aaa' },
    'node_modules/fsevents': { version: '2.3.3', optional: true, integrity: 'sha512-fff' },
  },
};
const hidden = { lockfileVersion: 3, packages: { 'node_modules/express': { version: '4.21.2', resolved: 'https://registry.npmjs.org/express/-/express-4.21.2.tgz', integrity: 'sha512-aaa' } } };

describe('restoredTreeMismatch', () => {
  it('accepts the tree npm installed from this lockfile (optional packages may be absent)', () => {
    expect(restoredTreeMismatch(lock, hidden)).toBeUndefined();
  });

  it('refuses a tree whose package version or integrity differs (a poisoned entry)', () => {
    const poisoned = { packages: { 'node_modules/express': { ...hidden.packages['node_modules/express'], version: '4.17.1' } } };
    expect(restoredTreeMismatch(lock, poisoned)).toBe('node_modules/express version differs from the lockfile');
    const otherBytes = { packages: { 'node_modules/express': { ...hidden.packages['node_modules/express'], integrity: 'sha512-evil' } } };
    expect(restoredTreeMismatch(lock, otherBytes)).toBe('node_modules/express integrity differs from the lockfile');
  });

  it('refuses extra or missing packages, and a tree without a hidden lockfile', () => {
    expect(restoredTreeMismatch(lock, { packages: { ...hidden.packages, 'node_modules/evil': { version: '1.0.0' } } })).toBe('node_modules/evil is in the cached tree but not in the lockfile');
    expect(restoredTreeMismatch(lock, { packages: {} })).toBe('node_modules/express is in the lockfile but not in the cached tree');
    expect(restoredTreeMismatch(lock, undefined)).toBe('the cached tree has no node_modules/.package-lock.json');
    expect(restoredTreeMismatch({ lockfileVersion: 1, dependencies: {} }, hidden)).toMatch(/no "packages" section/);
  });
});

describe('restoredTreeMismatchFor: pnpm and yarn trees', () => {
  const real = (p: string) => readFileSync(`test/fixtures/realistic/${p}`, 'utf8');

  it("pnpm: node_modules/.pnpm/lock.yaml must list the lockfile's packages with their integrity", () => {
    const lock = real('pnpm/pnpm-lock.yaml');
    expect(restoredTreeMismatchFor({ kind: 'pnpm', lock }, Buffer.from(lock))).toBeUndefined();
    const tampered = lock.replace(/(express@4\.22\.3:\n\s+resolution: \{integrity: )sha512-[^}]+/, '$1sha512-AAAA');
    expect(restoredTreeMismatchFor({ kind: 'pnpm', lock }, Buffer.from(tampered))).toBe('express@4.22.3 integrity differs from the lockfile');
    expect(restoredTreeMismatchFor({ kind: 'pnpm', lock }, undefined)).toMatch(/no node_modules\/\.pnpm\/lock\.yaml/);
  });

  it("yarn classic: node_modules/.yarn-integrity's entries must be the lockfile's", () => {
    const lock = real('yarn-classic/yarn.lock');
    const entries = parseYarnClassicEntries(lock)!;
    const record = (e: Record<string, string>) => Buffer.from(JSON.stringify({ flags: ['ignoreScripts'], lockfileEntries: e }));
    expect(restoredTreeMismatchFor({ kind: 'yarn-classic', lock }, record(entries))).toBeUndefined();
    expect(restoredTreeMismatchFor({ kind: 'yarn-classic', lock }, record({ ...entries, 'express@^4.21.2': 'https://registry.yarnpkg.com/express/-/express-4.17.1.tgz' }))).toBe('express@^4.21.2 resolved differs from the lockfile');
    expect(restoredTreeMismatchFor({ kind: 'yarn-classic', lock }, record({ 'evil@^1.0.0': 'https://registry.yarnpkg.com/evil/-/evil-1.0.0.tgz' }))).toMatch(/evil@\^1\.0\.0 is in the cached tree but not in the lockfile/);
  });

  it("yarn berry: node_modules/.yarn-state.yml's locators must be the lockfile's resolutions", () => {
    const lock = real('yarn-berry/yarn.lock');
    const state = (locators: string[]) => Buffer.from(`__metadata:\n  version: 1\n  nmMode: classic\n\n${locators.map((l) => `"${l}":\n  locations:\n    - "node_modules/x"\n`).join('\n')}`);
    expect(restoredTreeMismatchFor({ kind: 'yarn-berry', lock }, state(['express@npm:5.3.0', 'tasks-api@workspace:.']))).toBeUndefined();
    expect(restoredTreeMismatchFor({ kind: 'yarn-berry', lock }, state(['express@npm:4.17.1']))).toBe('express@npm:4.17.1 is in the cached tree but not in the lockfile');
    // packages with peer dependencies are installed under virtual locators
    expect(restoredTreeMismatchFor({ kind: 'yarn-berry', lock }, state(['debug@virtual:3b713870fec3bdc11b92dc8791b38ff35d53760d9083658808493c176e3373a2d9cdb7721aa2fe09cb3367a2670011522c808ddcfe307cd5a580f5c60123cb42#npm:4.4.3']))).toBeUndefined();
  });
});
