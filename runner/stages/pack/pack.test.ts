/**
 * The pack stage on real directories in a temp dir (no git, no Docker): what the sandbox
 * receives from a repository, and what is left out and why.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SubmissionError } from '../../errors.ts';
import { SANDBOX_UID } from '../../sandbox/index.ts';
import { pack, type PackInput } from './pack.ts';
import { listTar } from './tar.ts';

const run = promisify(execFile);

let base: string;
let repo: string;

beforeEach(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'assay-pack-test-'));
  repo = path.join(base, 'repo');
  await mkdir(repo);
});

afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

async function put(rel: string, content: string | Buffer = `${rel}\n`): Promise<void> {
  await mkdir(path.dirname(path.join(repo, rel)), { recursive: true });
  await writeFile(path.join(repo, rel), content);
}

async function link(rel: string, target: string): Promise<void> {
  await mkdir(path.dirname(path.join(repo, rel)), { recursive: true });
  await symlink(target, path.join(repo, rel));
}

function packRepo(overrides: Partial<PackInput> = {}) {
  return pack({ repoDir: repo, limits: { maxFiles: 100, maxBytes: 1024 * 1024 }, reservedPaths: [], droppedNames: [], extraFiles: [], ...overrides });
}

async function entriesOf(tar: Buffer) {
  const entries = await listTar(tar);
  return { entries, byPath: new Map(entries.map((e) => [e.path, e])) };
}

const droppedMap = (dropped: { path: string; reason: string }[]) => Object.fromEntries(dropped.map((d) => [d.path, d.reason]));

describe('pack', () => {
  it('keeps files and directories with their content, in name order, owned by the sandbox user, executables kept executable', async () => {
    await put('b.txt', 'bee\n');
    await put('a.txt', 'ay\n');
    await put('src/index.js', 'export const answer = 42;\n');
    await put('bin/run.sh', '#!/bin/sh\necho hi\n');
    await chmod(path.join(repo, 'bin/run.sh'), 0o755);
    const packed = await packRepo();
    const { entries, byPath } = await entriesOf(packed.tar);
    expect(entries.map((e) => e.path)).toEqual(['a.txt', 'b.txt', 'bin', 'bin/run.sh', 'src', 'src/index.js']);
    expect(byPath.get('src')?.type).toBe('directory');
    expect(byPath.get('bin/run.sh')?.mode).toBe(0o755);
    expect(byPath.get('a.txt')?.mode).toBe(0o644);
    for (const e of entries) expect(e.uid, e.path).toBe(SANDBOX_UID);
    expect(packed.tar.includes('export const answer = 42;')).toBe(true);
    expect(packed).toMatchObject({ files: 6, bytes: 'bee\n'.length + 'ay\n'.length + 'export const answer = 42;\n'.length + '#!/bin/sh\necho hi\n'.length, dropped: [], droppedCount: 0 });
  });

  it('leaves out .git wherever it is, without listing it as dropped', async () => {
    await put('.git/config', '[core]\n');
    await put('vendor/lib/.git/HEAD', 'ref: refs/heads/main\n');
    await put('vendor/lib/index.js');
    const packed = await packRepo();
    const { byPath } = await entriesOf(packed.tar);
    expect([...byPath.keys()]).toEqual(['vendor', 'vendor/lib', 'vendor/lib/index.js']);
    expect(packed.dropped).toEqual([]);
  });

  it('drops the configured names wherever they appear, and says why', async () => {
    await put('.npmrc', 'registry=http://evil.example/\n');
    await put('packages/app/.npmrc', 'ignore-scripts=false\n');
    await put('packages/app/index.js');
    const packed = await packRepo({ droppedNames: ['.npmrc'] });
    const { byPath } = await entriesOf(packed.tar);
    expect(droppedMap(packed.dropped)).toEqual({ '.npmrc': 'not allowed in submissions', 'packages/app/.npmrc': 'not allowed in submissions' });
    expect(byPath.has('.npmrc')).toBe(false);
    expect(byPath.has('packages/app/.npmrc')).toBe(false);
    expect(byPath.has('packages/app/index.js')).toBe(true);
  });

  it('keeps symlinks that stay inside the repository as links, loops included, without following them', async () => {
    await put('ok.txt', 'kept\n');
    await link('inside', 'ok.txt');
    await link('sub/up', '../ok.txt');
    await link('loop', '.');
    await link('self', 'self');
    await link('dangling', 'does-not-exist');
    const packed = await packRepo();
    const { byPath } = await entriesOf(packed.tar);
    expect(byPath.get('inside')).toMatchObject({ type: 'symlink', target: 'ok.txt' });
    expect(byPath.get('sub/up')).toMatchObject({ type: 'symlink', target: '../ok.txt' });
    expect(byPath.get('loop')).toMatchObject({ type: 'symlink', target: '.' });
    expect(byPath.get('self')).toMatchObject({ type: 'symlink', target: 'self' });
    expect(byPath.get('dangling')).toMatchObject({ type: 'symlink', target: 'does-not-exist' });
    expect(packed.dropped).toEqual([]);
  });

  it('drops symlinks leaving the repository, absolute ones and ones into .git, and never reads their targets', async () => {
    const canary = `canary-${randomUUID()}`;
    const canaryPath = path.join(base, 'canary.txt');
    await writeFile(canaryPath, canary);
    await put('.git/config', '[core]\n');
    await link('passwd', '/etc/passwd');
    await link('environ', '/proc/self/environ');
    await link('canary', canaryPath);
    await link('rel-escape', '../canary.txt');
    await link('deep/escape', '../../../../../../../../..' + canaryPath);
    await link('abs-inside', path.join(repo, 'ok.txt'));
    await link('into-git', '.git/config');
    await link('dir-escape', '/tmp');
    await put('ok.txt');
    const packed = await packRepo();
    const { byPath } = await entriesOf(packed.tar);
    const outside = 'symlink pointing outside the repository';
    expect(droppedMap(packed.dropped)).toEqual({ passwd: outside, environ: outside, canary: outside, 'rel-escape': outside, 'deep/escape': outside, 'abs-inside': outside, 'into-git': outside, 'dir-escape': outside });
    expect([...byPath.keys()].sort()).toEqual(['deep', 'ok.txt']);
    expect(packed.tar.includes(canary)).toBe(false);
    expect(packed.tar.includes(readFileSync('/etc/passwd').subarray(0, 64))).toBe(false);
  });

  it('drops FIFOs and sockets as special files', async () => {
    await put('ok.txt');
    await run('mkfifo', [path.join(repo, 'fifo')]);
    const sock = net.createServer();
    await new Promise<void>((resolve) => sock.listen(path.join(repo, 'socket'), resolve));
    try {
      const packed = await packRepo();
      const special = 'special file (device, FIFO or socket)';
      expect(droppedMap(packed.dropped)).toEqual({ fifo: special, socket: special });
      expect([...(await entriesOf(packed.tar)).byPath.keys()]).toEqual(['ok.txt']);
    } finally {
      await new Promise((resolve) => sock.close(resolve));
    }
  });

  it('drops a file whose name is not valid UTF-8', async () => {
    await put('ok.txt');
    await writeFile(Buffer.concat([Buffer.from(`${repo}/bad-`), Buffer.from([0xff, 0xfe]), Buffer.from('.txt')]), 'x');
    const packed = await packRepo();
    expect(packed.dropped).toEqual([{ path: expect.stringMatching(/^bad-/), reason: 'file name is not valid UTF-8' }]);
    expect([...(await entriesOf(packed.tar)).byPath.keys()]).toEqual(['ok.txt']);
  });

  it('drops reserved paths, what is under them, and anything standing where their folders must be', async () => {
    await put('.assay/tests/unit.test.mjs', 'fake test\n');
    await put('.assay/nonce', 'forged\n');
    await put('fixtures', 'a file where the challenge needs a folder\n');
    await link('data', '/etc');
    await put('ok.txt');
    const packed = await packRepo({ reservedPaths: ['.assay/', 'fixtures/users', 'data/seed.json'] });
    expect(droppedMap(packed.dropped)).toEqual({ '.assay': 'reserved path', fixtures: 'reserved path', data: 'reserved path' });
    expect([...(await entriesOf(packed.tar)).byPath.keys()]).toEqual(['ok.txt']);
    expect(packed.tar.includes('fake test')).toBe(false);
  });

  it("appends the challenge's files last, with their folders, so only the challenge's copy is extracted", async () => {
    await put('src/money.js', 'export const cents = (x) => x * 100;\n');
    await put('.assay/tests/unit.test.mjs', 'fake test\n');
    const packed = await packRepo({
      reservedPaths: ['.assay'],
      extraFiles: [
        { path: '.assay/tests/unit.test.mjs', content: Buffer.from('real hidden test\n') },
        { path: '.assay/nonce', content: Buffer.from('n0nce') },
      ],
    });
    const { entries } = await entriesOf(packed.tar);
    expect(entries.map((e) => e.path)).toEqual(['src', 'src/money.js', '.assay', '.assay/tests', '.assay/tests/unit.test.mjs', '.assay/nonce']);
    expect(packed.tar.includes('real hidden test')).toBe(true);
    expect(packed.tar.includes('fake test')).toBe(false);
    // The challenge's files are not the candidate's: they do not count against the limits.
    expect(packed.files).toBe(2);
  });

  it('fails with REPO_TOO_MANY_FILES past the file limit, counting folders, and not at it', async () => {
    for (let i = 0; i < 4; i++) await put(`d/f${i}.txt`);
    await expect(packRepo({ limits: { maxFiles: 5, maxBytes: 1024 * 1024 } })).resolves.toMatchObject({ files: 5 });
    const err: unknown = await packRepo({ limits: { maxFiles: 4, maxBytes: 1024 * 1024 } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SubmissionError);
    expect(err).toMatchObject({ code: 'REPO_TOO_MANY_FILES', message: 'the repository has more than 4 files' });
  });

  it('fails with REPO_TOO_LARGE when the files add up past the byte limit, and not at it', async () => {
    await put('a.bin', Buffer.alloc(600));
    await put('b.bin', Buffer.alloc(424));
    await expect(packRepo({ limits: { maxFiles: 100, maxBytes: 1024 } })).resolves.toMatchObject({ bytes: 1024 });
    await expect(packRepo({ limits: { maxFiles: 100, maxBytes: 1023 } })).rejects.toMatchObject({ name: 'SubmissionError', code: 'REPO_TOO_LARGE' });
  });

  it('lists the first 100 dropped paths and counts them all', async () => {
    for (let i = 0; i < 120; i++) await put(`d${String(i).padStart(3, '0')}/.npmrc`, 'x');
    const packed = await packRepo({ limits: { maxFiles: 1000, maxBytes: 1024 * 1024 }, droppedNames: ['.npmrc'] });
    expect(packed.dropped).toHaveLength(100);
    expect(packed.droppedCount).toBe(120);
    expect(packed.dropped[0]).toEqual({ path: 'd000/.npmrc', reason: 'not allowed in submissions' });
  });

  it('stops when its signal is aborted', async () => {
    await put('a.txt');
    const reason = new Error('job canceled');
    await expect(pack({ repoDir: repo, limits: { maxFiles: 10, maxBytes: 1024 }, reservedPaths: [], droppedNames: [], extraFiles: [] }, AbortSignal.abort(reason))).rejects.toBe(reason);
  });
});
