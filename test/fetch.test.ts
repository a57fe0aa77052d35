/**
 * The fetch stage against real git over smart HTTP on loopback, including hostile servers
 * (redirects, trickling bytes, oversized packs) and hostile repository contents.
 */
import { randomBytes } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FetchPolicy } from '../runner/config.ts';
import { fetchRepository, type FetchInput } from '../runner/stages/fetch/index.ts';
import { eventually } from '../runner/devtools/eventually.ts';
import { useGitServer } from './support/grading.ts';

const loopback: FetchPolicy = { allowHttp: true, allowPrivate: true, allowedHosts: [] };
const TOKEN = 'secret-token-123';
const TOKEN_BASIC = Buffer.from(`x-access-token:${TOKEN}`).toString('base64');

const git = useGitServer();
const localhostIsIPv4 = (await lookup('localhost', { all: true, verbatim: true }))[0]?.address === '127.0.0.1';
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function tempDir(prefix = 'assay-fetch-test-'): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function input(repoUrl: string, overrides: Partial<FetchInput> = {}): Promise<FetchInput> {
  return {
    repoUrl,
    destDir: await tempDir(),
    policy: loopback,
    timeoutMs: 20_000,
    maxBytes: 10 * 1024 * 1024,
    lowSpeedBytesPerSecond: 1024,
    lowSpeedSeconds: 10,
    tokens: {},
    ...overrides,
  };
}

let seq = 0;
const repoName = (label: string) => `${label}-${process.pid}-${++seq}.git`;

/** A route answering the first git request and then sending one byte a second until the client leaves. */
function trickleRoute(prefix: string): void {
  git.server.route(prefix, (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/x-git-upload-pack-advertisement', 'Cache-Control': 'no-cache' });
    res.write('0');
    // The pause is the subject: a server this slow must be abandoned by the speed limit or the deadline.
    const timer = setInterval(() => res.write('0'), 1000);
    res.on('close', () => clearInterval(timer));
  });
}

describe('fetchRepository', () => {
  it('fetches the default branch, a branch, a tag and a full commit SHA', async () => {
    const files = { 'README.md': '# take-home\n', 'src/index.js': 'export const answer = 42;\n' };
    const repo = await git.server.addRepo(repoName('basic'), files, { tag: 'v1.0.0' });

    for (const ref of [undefined, 'main', 'refs/heads/main', 'v1.0.0', repo.commit]) {
      const job = await input(repo.url, { ref });
      const result = await fetchRepository(job);
      expect(result.commit).toBe(repo.commit);
      expect(result.ref).toBe(ref ?? 'HEAD');
      expect(result.bytes).toBeGreaterThan(0);
      expect(result.durationMs).toBeGreaterThanOrEqual(0);
      expect(existsSync(path.join(job.destDir, '.git'))).toBe(true);
      expect(await readFile(path.join(job.destDir, 'src/index.js'), 'utf8')).toBe(files['src/index.js']);
      expect((await readdir(job.destDir)).sort()).toEqual(['.git', 'README.md', 'src']);
    }
  });

  it('still fetches the submitted commit after the branch was rewritten', async () => {
    const name = repoName('moved');
    const original = await git.server.addRepo(name, { 'answer.txt': 'original\n' });
    const rewritten = await git.server.commit(name, { 'answer.txt': 'rewritten\n' }, { amend: true, force: true });
    expect(rewritten).not.toBe(original.commit);

    const old = await input(original.url, { ref: original.commit });
    expect((await fetchRepository(old)).commit).toBe(original.commit);
    expect(await readFile(path.join(old.destDir, 'answer.txt'), 'utf8')).toBe('original\n');

    const latest = await input(original.url, { ref: 'main' });
    expect((await fetchRepository(latest)).commit).toBe(rewritten);
    expect(await readFile(path.join(latest.destDir, 'answer.txt'), 'utf8')).toBe('rewritten\n');
  });

  it('reports an unknown repository or ref as REPO_NOT_FOUND', async () => {
    const repo = await git.server.addRepo(repoName('refs'), { 'a.txt': 'a' });
    await expect(fetchRepository(await input(`${git.server.url}/no-such-repo.git`))).rejects.toMatchObject({
      name: 'SubmissionError',
      code: 'REPO_NOT_FOUND',
      message: expect.stringMatching(/not found/),
    });
    await expect(fetchRepository(await input(repo.url, { ref: 'no-such-branch' }))).rejects.toMatchObject({
      code: 'REPO_NOT_FOUND',
      message: expect.stringMatching(/couldn't find remote ref no-such-branch/),
    });
    await expect(fetchRepository(await input(repo.url, { ref: 'f'.repeat(40) }))).rejects.toMatchObject({ code: 'REPO_NOT_FOUND' });
  });

  it('classifies by what git said, not by what the candidate named things', async () => {
    await expect(fetchRepository(await input(`${git.server.url}/connection-refused-ssl-error.git`))).rejects.toMatchObject({ code: 'REPO_NOT_FOUND' });
    const repo = await git.server.addRepo(repoName('names'), { 'a.txt': 'a' });
    await expect(fetchRepository(await input(repo.url, { ref: 'Connection-refused' }))).rejects.toMatchObject({ code: 'REPO_NOT_FOUND' });
  });

  it('reports a refused connection after one retry: the candidate\'s REPO_UNREACHABLE for their host, the platform\'s retryable FETCH_NETWORK for an allowed host', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const url = `http://127.0.0.1:${port}/repo.git`;
    // A host the candidate chose (no allow-list): their server is down, not ours to retry.
    await expect(fetchRepository(await input(url))).rejects.toMatchObject({
      name: 'SubmissionError',
      code: 'REPO_UNREACHABLE',
      retryable: false,
      message: expect.stringMatching(/\(2 attempts, 1 s apart\)$/),
    });
    // A host the operator put on the allow-list (a code host Assay depends on): the platform's, retried by the queue.
    await expect(fetchRepository(await input(url, { policy: { ...loopback, allowedHosts: ['127.0.0.1'] } }))).rejects.toMatchObject({
      name: 'PlatformError',
      code: 'FETCH_NETWORK',
      retryable: true,
      message: expect.stringMatching(/\(2 attempts, 1 s apart\)$/),
    });
  });

  it('does not follow a redirect', async () => {
    const target = await git.server.addRepo(repoName('target'), { 'a.txt': 'a' });
    const prefix = `/redirect-${seq}.git`;
    let redirected = 0;
    git.server.route(prefix, (req, res) => {
      redirected++;
      res.writeHead(302, { Location: `${target.url}${(req.url ?? '').slice(prefix.length)}` }).end();
    });
    const before = git.server.requests.length;
    await expect(fetchRepository(await input(`${git.server.url}${prefix}`))).rejects.toMatchObject({ code: 'REPO_NOT_FOUND' });
    expect(redirected).toBeGreaterThan(0);
    // Nothing after the redirect reached the target.
    expect(git.server.requests.slice(before).every((r) => r.url.startsWith(prefix))).toBe(true);
  });

  it('stops a repository larger than maxBytes', async () => {
    const repo = await git.server.addRepo(repoName('large'), { 'blob.bin': randomBytes(5 * 1024 * 1024) });
    const job = await input(repo.url, { maxBytes: 1024 * 1024 });
    const started = Date.now();
    await expect(fetchRepository(job)).rejects.toMatchObject({ name: 'SubmissionError', code: 'REPO_TOO_LARGE' });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(existsSync(path.join(job.destDir, 'blob.bin'))).toBe(false);
  });

  it('stops a small pack that would expand past maxBytes before checking it out', async () => {
    // 20 MB of zeros compresses to a few KB: only the tree's sizes give it away.
    const repo = await git.server.addRepo(repoName('bomb'), { 'zeros.bin': Buffer.alloc(20 * 1024 * 1024) });
    const job = await input(repo.url, { maxBytes: 1024 * 1024 });
    await expect(fetchRepository(job)).rejects.toMatchObject({ code: 'REPO_TOO_LARGE' });
    expect(existsSync(path.join(job.destDir, 'zeros.bin'))).toBe(false);
  });

  it('abandons a server that trickles bytes (low-speed limit)', async () => {
    const prefix = `/trickle-${++seq}.git`;
    trickleRoute(prefix);
    const started = Date.now();
    await expect(
      fetchRepository(await input(`${git.server.url}${prefix}`, { lowSpeedBytesPerSecond: 1024, lowSpeedSeconds: 2, timeoutMs: 5000 })),
    ).rejects.toMatchObject({ name: 'SubmissionError', code: 'REPO_TOO_SLOW' });
    expect(Date.now() - started).toBeLessThan(6_500);
  });

  it('abandons a fetch that outlives the deadline', async () => {
    const prefix = `/slow-${++seq}.git`;
    trickleRoute(prefix);
    const started = Date.now();
    // lowSpeedBytesPerSecond 0 turns curl's limit off, so only the deadline can stop it.
    await expect(
      fetchRepository(await input(`${git.server.url}${prefix}`, { lowSpeedBytesPerSecond: 0, lowSpeedSeconds: 1, timeoutMs: 1500 })),
    ).rejects.toMatchObject({ code: 'REPO_TOO_SLOW', message: expect.stringMatching(/within 1.5 s/) });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("rethrows the caller's abort reason", async () => {
    const prefix = `/abort-${++seq}.git`;
    trickleRoute(prefix);
    const controller = new AbortController();
    const reason = new Error('job canceled');
    const pending = fetchRepository(await input(`${git.server.url}${prefix}`, { lowSpeedBytesPerSecond: 0 }), controller.signal);
    await eventually(() => git.server.requests.some((r) => r.url.startsWith(prefix)), { timeoutMs: 5000, intervalMs: 20, message: `a request to ${prefix}` });
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
  });

  it('never runs hooks, filters or submodules, even with a hostile global config in the environment', async () => {
    const scratch = await tempDir('assay-fetch-marker-');
    const markers = ['hook', 'filter', 'submodule'].map((m) => path.join(scratch, m));
    const [hookMarker, filterMarker, submoduleMarker] = markers as [string, string, string];
    const hook = `#!/bin/sh\ntouch '${hookMarker}'\n`;
    const repo = await git.server.addRepo(
      repoName('hostile'),
      {
        '.githooks/post-checkout': hook,
        '.githooks/post-merge': hook,
        '.gitattributes': '*.txt filter=evil\n*.bin filter=lfs diff=lfs merge=lfs -text\n',
        'notes.txt': 'plain text\n',
        'big.bin': 'version https://git-lfs.github.com/spec/v1\noid sha256:0000\nsize 1\n',
        '.gitmodules': [
          '[submodule "evil"]',
          '\tpath = evil',
          `\turl = ext::sh -c touch% ${submoduleMarker}`,
          '[submodule "local"]',
          '\tpath = local',
          '\turl = /etc',
          '',
        ].join('\n'),
      },
      { executable: ['.githooks/post-checkout', '.githooks/post-merge'], gitlinks: { evil: 'a'.repeat(40), local: 'b'.repeat(40) } },
    );
    // What a developer's or a compromised host's git config could hold: if fetchRepository
    // let git see the worker's environment, each of these would fire.
    const globalConfig = path.join(scratch, 'gitconfig');
    await writeFile(
      globalConfig,
      [
        '[core]',
        '\thooksPath = .githooks',
        '[filter "evil"]',
        `\tsmudge = "touch '${filterMarker}'; cat"`,
        '\trequired = true',
        '[submodule]',
        '\trecurse = true',
        '[protocol]',
        '\tallow = always',
        '',
      ].join('\n'),
    );
    const saved = process.env.GIT_CONFIG_GLOBAL;
    process.env.GIT_CONFIG_GLOBAL = globalConfig;
    try {
      const job = await input(repo.url);
      const result = await fetchRepository(job);
      expect(result.commit).toBe(repo.commit);
      expect(await readFile(path.join(job.destDir, 'notes.txt'), 'utf8')).toBe('plain text\n');
      // The LFS pointer stays a pointer.
      expect(await readFile(path.join(job.destDir, 'big.bin'), 'utf8')).toMatch(/^version https:\/\/git-lfs/);
      for (const sub of ['evil', 'local']) {
        const dir = path.join(job.destDir, sub);
        expect(existsSync(dir) ? await readdir(dir) : []).toEqual([]);
      }
      expect(existsSync(path.join(job.destDir, '.git', 'modules'))).toBe(false);
    } finally {
      if (saved === undefined) delete process.env.GIT_CONFIG_GLOBAL;
      else process.env.GIT_CONFIG_GLOBAL = saved;
    }
    for (const marker of markers) expect(existsSync(marker), marker).toBe(false);
  });

  it('refuses a loopback address before git runs when private addresses are not allowed', async () => {
    const repo = await git.server.addRepo(repoName('private'), { 'a.txt': 'a' });
    const before = git.server.requests.length;
    const strict: FetchPolicy = { allowHttp: true, allowPrivate: false, allowedHosts: [] };
    for (const url of [repo.url, repo.url.replace('127.0.0.1', '2130706433'), repo.url.replace('127.0.0.1', 'localhost')]) {
      const job = await input(url, { policy: strict });
      await expect(fetchRepository(job)).rejects.toMatchObject({ code: 'URL_REJECTED', message: expect.stringMatching(/private/) });
      expect(await readdir(job.destDir)).toEqual([]);
    }
    expect(git.server.requests.length).toBe(before);
  });

  it('refuses a hostile ref before git runs', async () => {
    const repo = await git.server.addRepo(repoName('ref'), { 'a.txt': 'a' });
    const before = git.server.requests.length;
    await expect(fetchRepository(await input(repo.url, { ref: '--upload-pack=touch /tmp/x' }))).rejects.toMatchObject({ code: 'REF_INVALID' });
    await expect(fetchRepository(await input(repo.url, { ref: 'main:refs/heads/evil' }))).rejects.toMatchObject({ code: 'REF_INVALID' });
    expect(git.server.requests.length).toBe(before);
  });

  it('sends the token as Basic auth to its host only, and never shows it in errors', async () => {
    const repo = await git.server.addRepo(repoName('private-repo'), { 'a.txt': 'a' });
    const before = git.server.requests.length;
    const ok = await input(repo.url, { tokens: { '127.0.0.1': TOKEN } });
    expect((await fetchRepository(ok)).commit).toBe(repo.commit);
    const sent = git.server.requests.slice(before);
    expect(sent.length).toBeGreaterThan(0);
    for (const r of sent) expect(r.headers.authorization).toBe(`Basic ${TOKEN_BASIC}`);
    // The token lives in no file that stays behind.
    expect(await readFile(path.join(ok.destDir, '.git', 'config'), 'utf8')).not.toContain(TOKEN_BASIC);

    // A server that echoes the Authorization header back in its error must not leak it either.
    const prefix = `/echo-${++seq}.git`;
    git.server.route(prefix, (req, res) => {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="x"', 'Content-Type': 'text/plain' }).end(`bad credentials ${req.headers.authorization ?? ''}`);
    });
    const err: unknown = await fetchRepository(await input(`${git.server.url}${prefix}`, { tokens: { '127.0.0.1': TOKEN } })).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'REPO_NOT_FOUND' });
    const text = `${String(err)} ${JSON.stringify(err)} ${String((err as Error).cause)}`;
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(TOKEN_BASIC);

    // Another host's token is not sent here.
    const other = git.server.requests.length;
    await fetchRepository(await input(repo.url, { tokens: { 'github.com': TOKEN } }));
    for (const r of git.server.requests.slice(other)) expect(r.headers.authorization).toBeUndefined();
  });

  // The server listens on 127.0.0.1 only; where localhost resolves to ::1 first this cannot run.
  it.skipIf(!localhostIsIPv4)('fetches through a host name, pinned to the address that was checked', async () => {
    const repo = await git.server.addRepo(repoName('named'), { 'a.txt': 'a' });
    const result = await fetchRepository(await input(repo.url.replace('127.0.0.1', 'localhost')));
    expect(result.commit).toBe(repo.commit);
  });
});
