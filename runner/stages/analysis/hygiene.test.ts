import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { countReadmeLines, hygieneOf, listRepository, readmeOf, type ListedEntry, type Listing } from './hygiene.ts';

const file = (p: string, size = 10): ListedEntry => ({ path: p, kind: 'file', size });
const dir = (p: string): ListedEntry => ({ path: p, kind: 'dir', size: 0 });
const listing = (...entries: ListedEntry[]): Listing => ({ entries, capped: false });

describe('hygieneOf', () => {
  it('a tidy repository: README, .gitignore, a lockfile, nothing committed that should not be', () => {
    const h = hygieneOf(listing(file('.gitignore'), file('README.md', 1200), file('package.json'), file('package-lock.json'), dir('src'), file('src/index.js')), 40);
    expect(h).toEqual({ readme: { present: true, file: 'README.md', bytes: 1200, lines: 40 }, gitignore: true, lockfiles: ['package-lock.json'], committed: [], secrets: [] });
  });

  it('an untidy one: node_modules, a virtual environment, build output and .env committed, no README', () => {
    const h = hygieneOf(
      listing(
        dir('node_modules'), dir('node_modules/left-pad'), file('node_modules/left-pad/index.js'), file('node_modules/left-pad/README.md'),
        dir('node_modules/left-pad/node_modules'), file('node_modules/left-pad/node_modules/x.js'),
        dir('env'), file('env/pyvenv.cfg'), file('env/bin/python'),
        dir('dist'), file('dist/index.js'),
        file('.env'), file('.env.example'), file('config/.env.production'),
        file('main.py'),
      ),
    );
    expect(h.readme).toEqual({ present: false }); // the README inside node_modules is not the project's
    expect(h.gitignore).toBe(false);
    expect(h.lockfiles).toEqual([]);
    expect(h.committed).toEqual([
      { kind: 'node_modules', files: 3, paths: ['node_modules'] }, // the nested one counts once, under the outer
      { kind: 'virtualenv', files: 2, paths: ['env'] },
      { kind: 'build_output', files: 1, paths: ['dist'] },
      { kind: 'env_file', files: 2, paths: ['.env', 'config/.env.production'] }, // not the template
    ]);
  });

  it('takes the README closest to the root, and a .gitignore only at the root', () => {
    const h = hygieneOf(listing(file('docs/README.md'), file('readme.rst', 5), file('sub/.gitignore')));
    expect(h.readme).toEqual({ present: true, file: 'readme.rst', bytes: 5 });
    expect(h.gitignore).toBe(false);
    expect(readmeOf(listing(file('a/README'), file('b/c/README.md')))?.path).toBe('a/README');
  });
});

describe('listRepository and countReadmeLines on a real folder', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'assay-hygiene-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('lists with lstat (links are listed, never followed), skips .git, stops at the entry cap', async () => {
    await mkdir(path.join(root, '.git/objects'), { recursive: true });
    await mkdir(path.join(root, 'src'));
    await writeFile(path.join(root, 'src/a.js'), 'x');
    await writeFile(path.join(root, 'README.md'), '# t\n\nline\nlast without newline');
    await symlink('/etc', path.join(root, 'etc-link'));
    const l = await listRepository(root);
    expect(l.capped).toBe(false);
    expect(l.entries.map((e) => `${e.kind}:${e.path}`)).toEqual(['file:README.md', 'other:etc-link', 'dir:src', 'file:src/a.js']);
    expect(await countReadmeLines(root, 'README.md')).toBe(4);
    expect(await countReadmeLines(root, 'etc-link')).toBeUndefined(); // a link is not opened
    const capped = await listRepository(root, 2);
    expect(capped).toMatchObject({ capped: true });
    expect(capped.entries).toHaveLength(2);
  });
});
