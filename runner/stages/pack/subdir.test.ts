import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveServiceDir } from './subdir.ts';

let repo: string;
beforeAll(async () => {
  repo = await mkdtemp(path.join(os.tmpdir(), 'assay-subdir-'));
  await mkdir(path.join(repo, 'services/api'), { recursive: true });
  await writeFile(path.join(repo, 'README.md'), 'hi');
  await symlink('services', path.join(repo, 'link'));
  await symlink('/etc', path.join(repo, 'out'));
});
afterAll(() => rm(repo, { recursive: true, force: true }));

describe('resolveServiceDir', () => {
  it('is the root without a path, else the real subdirectory', async () => {
    expect(await resolveServiceDir(repo, undefined)).toBe(repo);
    expect(await resolveServiceDir(repo, '.')).toBe(repo);
    expect(await resolveServiceDir(repo, 'services/api/')).toBe(path.join(repo, 'services/api'));
  });

  it('refuses missing folders, files and symbolic links with a reason the candidate can act on', async () => {
    await expect(resolveServiceDir(repo, 'backend')).rejects.toMatchObject({ code: 'PATH_INVALID', message: expect.stringMatching(/does not exist/) });
    await expect(resolveServiceDir(repo, 'README.md')).rejects.toMatchObject({ code: 'PATH_INVALID', message: expect.stringMatching(/not a folder/) });
    await expect(resolveServiceDir(repo, 'link/api')).rejects.toMatchObject({ code: 'PATH_INVALID', message: expect.stringMatching(/symbolic link \("link"\)/) });
    await expect(resolveServiceDir(repo, 'out')).rejects.toMatchObject({ code: 'PATH_INVALID' });
    await expect(resolveServiceDir(repo, '../x')).rejects.toMatchObject({ code: 'PATH_INVALID' });
  });
});
