import { describe, expect, it } from 'vitest';
import { restoredTreeMismatch } from './restored-tree.ts';

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
