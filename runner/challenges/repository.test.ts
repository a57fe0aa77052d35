import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChallengeRepository } from './repository.ts';

const MAXIMA = { memoryMb: 4096, cpus: 4, pids: 1024, stepTimeoutMs: 600_000 };

let root: string;

async function challenge(id: string, suite: Record<string, string>, include?: string[]): Promise<void> {
  const dir = path.join(root, id);
  await mkdir(path.join(dir, 'suite'), { recursive: true });
  const manifest = { id, title: id, version: '1.0.0', kind: 'service', runtimes: ['node'], suite: include ? { include } : {}, tests: [{ id: 'a', name: 'a', category: 'c', points: 1 }] };
  await writeFile(path.join(dir, 'challenge.json'), JSON.stringify(manifest));
  for (const [file, content] of Object.entries(suite)) {
    await mkdir(path.dirname(path.join(dir, 'suite', file)), { recursive: true });
    await writeFile(path.join(dir, 'suite', file), content);
  }
}

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'assay-repo-test-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('suite.include', () => {
  it("copies each included challenge's suite under include/<id>/, and the included files count in the suite hash", async () => {
    await challenge('base', { 'tests.mjs': 'export default () => {}', 'lib/util.mjs': 'export const x = 1;' });
    await challenge('extended', { 'tests.mjs': "import base from './include/base/tests.mjs';" }, ['base']);
    const repo = new ChallengeRepository(root, MAXIMA);
    const before = await repo.load('extended');
    expect(before.suiteFiles.map((f) => f.path)).toEqual(['tests.mjs', 'include/base/lib/util.mjs', 'include/base/tests.mjs']);

    await writeFile(path.join(root, 'base', 'suite', 'lib', 'util.mjs'), 'export const x = 2;');
    const after = await new ChallengeRepository(root, MAXIMA).load('extended');
    expect(after.suiteHash).not.toBe(before.suiteHash);
  });

  it('refuses an include of a challenge that does not exist, of itself, or one that would replace a file of its own', async () => {
    await challenge('base', { 'tests.mjs': '' });
    await challenge('missing', { 'tests.mjs': '' }, ['nope']);
    await challenge('self', { 'tests.mjs': '' }, ['self']);
    await challenge('clash', { 'tests.mjs': '', 'include/base/tests.mjs': '' }, ['base']);
    const repo = new ChallengeRepository(root, MAXIMA);
    await expect(repo.load('missing')).rejects.toThrow(/suite\.include: no challenge "nope"/);
    await expect(repo.load('self')).rejects.toThrow(/names the challenge itself/);
    await expect(repo.load('clash')).rejects.toThrow(/include\/base\/tests\.mjs would be replaced/);
  });
});
