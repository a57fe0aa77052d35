/**
 * The fetch over https:// from a git host whose certificate a private CA signed (a company's own
 * GitLab, or any host seen through a TLS-inspecting proxy): refused until the operator gives that
 * CA (ASSAY_FETCH_CA_FILE), then fetched. Real git over HTTPS on loopback; the CA and the host's
 * certificate are made by openssl for this run.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FetchPolicy } from '../runner/config.ts';
import { startGitServer, type GitServer } from '../runner/devtools/git-server.ts';
import { fetchRepository, type FetchInput } from '../runner/stages/fetch/index.ts';

const openssl = (cwd: string, ...args: string[]) => promisify(execFile)('openssl', args, { cwd });
const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

let dir: string;
let server: GitServer;
let repo: { url: string; commit: string };

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'assay-fetch-tls-'));
  await openssl(dir, 'req', '-x509', ...EC_KEY, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Assay test CA');
  await openssl(dir, 'req', ...EC_KEY, '-keyout', 'host.key', '-out', 'host.csr', '-subj', '/CN=127.0.0.1');
  await writeFile(path.join(dir, 'host.ext'), 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n');
  await openssl(dir, 'x509', '-req', '-in', 'host.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'host.pem', '-days', '2', '-extfile', 'host.ext');
  server = await startGitServer({ tls: { key: await readFile(path.join(dir, 'host.key')), cert: await readFile(path.join(dir, 'host.pem')) } });
  repo = await server.addRepo('private-ca.git', { 'server.js': "require('node:http').createServer((q, s) => s.end('ok')).listen(process.env.PORT);\n" });
});

afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

async function fetchWith(policy: Partial<FetchPolicy>) {
  const destDir = await mkdtemp(path.join(os.tmpdir(), 'assay-fetch-tls-dest-'));
  const input: FetchInput = {
    repoUrl: repo.url,
    destDir,
    // https only, as in production; loopback allowed for the test's host.
    policy: { allowHttp: false, allowPrivate: true, allowedHosts: [], ...policy },
    timeoutMs: 20_000,
    maxBytes: 10 * 1024 * 1024,
    lowSpeedBytesPerSecond: 1024,
    lowSpeedSeconds: 10,
    tokens: {},
  };
  try {
    return await fetchRepository(input);
  } finally {
    await rm(destDir, { recursive: true, force: true });
  }
}

describe('fetch over https from a host signed by a private CA', () => {
  it('is refused without that CA: the system bundle does not know it', async () => {
    expect(repo.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\//);
    // The operator's side (every https host would fail alike behind such a proxy): retried, and
    // the message says which setting fixes it.
    await expect(fetchWith({})).rejects.toMatchObject({ fault: 'platform', code: 'FETCH_NETWORK', retryable: true, message: expect.stringMatching(/certificate verification failed.*ASSAY_FETCH_CA_FILE/) });
  });

  it('is fetched with the CA given as the fetch CA file, which adds to the system bundle', async () => {
    const result = await fetchWith({ extraCaFile: path.join(dir, 'ca.pem') });
    expect(result.commit).toBe(repo.commit);
  });

  it('a CA file that cannot be read is the platform failing, named as such', async () => {
    await expect(fetchWith({ extraCaFile: path.join(dir, 'missing.pem') })).rejects.toMatchObject({ fault: 'platform', message: expect.stringMatching(/ASSAY_FETCH_CA_FILE/) });
  });
});
