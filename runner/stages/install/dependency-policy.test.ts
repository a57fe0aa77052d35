import { describe, expect, it } from 'vitest';
import { checkDependencies, WORKSPACES_UNSUPPORTED } from './dependency-policy.ts';

const REG = 'https://registry.npmjs.org/';

describe('checkDependencies', () => {
  it('accepts registry ranges, tags and npm aliases', () => {
    const r = checkDependencies({ dependencies: { express: '^5.1.0', lodash: 'latest', a: 'npm:left-pad@^1.3.0', b: '1.x || 2.x' } }, undefined, REG);
    expect(r).toEqual({ count: 4, problems: [] });
  });

  it.each([
    ['git+https://github.com/x/y.git'],
    ['github:x/y'],
    ['x/y'],
    ['file:../secret'],
    ['link:/etc'],
    ['http://172.17.0.1:6379/evil.tgz'],
    ['https://example.com/a.tgz'],
  ])('rejects %s', (spec) => {
    const r = checkDependencies({ dependencies: { evil: spec } }, undefined, REG);
    expect(r.problems[0]).toMatch(/must come from the registry/);
  });

  it('rejects lockfile entries resolved outside the registry', () => {
    const lock = { packages: { '': {}, 'node_modules/x': { resolved: 'http://10.0.0.5/x.tgz' }, 'node_modules/y': { resolved: 'https://registry.npmjs.org/y/-/y-1.0.0.tgz' } } };
    const r = checkDependencies({ dependencies: { x: '1.0.0', y: '1.0.0' } }, lock, REG);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toContain('node_modules/x');
  });

  it('counts zero dependencies', () => {
    expect(checkDependencies({ name: 'x', scripts: { start: 'node a.js' } }, undefined, REG)).toEqual({ count: 0, problems: [] });
  });
});

describe('overrides, resolutions and workspaces', () => {
  it('accepts overrides that stay on the registry, nested or by reference', () => {
    const r = checkDependencies({ dependencies: { express: '^5.1.0' }, overrides: { qs: '6.13.0', express: { 'body-parser': '$body-parser' } } }, undefined, REG);
    expect(r.problems).toEqual([]);
  });

  it.each([
    ['overrides', { qs: 'https://evil.example/qs.tgz' }],
    ['overrides', { express: { qs: 'git+https://github.com/x/qs.git' } }],
    ['resolutions', { 'left-pad': 'file:../../etc' }],
  ])('rejects %s pointing outside the registry', (field, value) => {
    const r = checkDependencies({ dependencies: { express: '^5.1.0' }, [field]: value }, undefined, REG);
    expect(r.problems.join('\n')).toMatch(/must come from the registry/);
  });

  it('rejects workspaces (they install local folders as links)', () => {
    const r = checkDependencies({ dependencies: { a: '1.0.0' }, workspaces: ['packages/*'] }, undefined, REG);
    expect(r.problems).toEqual([WORKSPACES_UNSUPPORTED]);
    expect(WORKSPACES_UNSUPPORTED).toMatch(/submission's path/);
  });
});
