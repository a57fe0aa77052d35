/**
 * The install step on the real path: npm ci from the registry (through the proxy CA when the
 * host has one), the dependency cache (cold, then warm), a candidate unable to poison the cache,
 * and dependencies from anywhere but the registry rejected before install.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listTar } from '../runner/stages/pack/tar.ts';
import { useGradingStack } from './support/grading.ts';

const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'assay-deps-cache-'));
const grading = useGradingStack({ env: { ASSAY_DEPS_CACHE_DIR: cacheDir, ASSAY_WORKER_CONCURRENCY: '1' } });

async function grade(dir: string, files?: Record<string, string>) {
  return (await grading.grade(files ?? { dir }, { timeoutMs: 240_000 })).report!;
}

describe('install', () => {
  it('installs from the registry, then restores the same lockfile from the cache', async () => {
    const cold = await grade('test/fixtures/simple-api/express');
    const coldInstall = cold.steps.find((s) => s.name === 'install')!;
    expect(coldInstall.status, coldInstall.log?.text).toBe('passed');
    expect(coldInstall.reason ?? '').not.toContain('cache');
    expect(cold.score.percent).toBe(100);
    expect(readdirSync(cacheDir).filter((f) => f.endsWith('.tar'))).toHaveLength(1);

    const warm = await grade('test/fixtures/simple-api/express');
    const warmInstall = warm.steps.find((s) => s.name === 'install')!;
    expect(warmInstall.reason).toMatch(/restored node_modules from the dependency cache/);
    expect(warm.score.percent).toBe(100);
  });

  it('keeps the cache clean when a candidate rewrites its dependencies', async () => {
    await grade('test/fixtures/simple-api/express-poisoner');
    const [entry] = readdirSync(cacheDir).filter((f) => f.endsWith('.tar'));
    const entries = await listTar(readFileSync(path.join(cacheDir, entry!)));
    expect(entries.some((e) => e.path.includes('POISONED'))).toBe(false);
    const after = await grade('test/fixtures/simple-api/express');
    expect(after.score.percent).toBe(100);
  });

  it('rejects dependencies that do not come from the registry, before installing', async () => {
    const report = await grade('', {
      'package.json': JSON.stringify({ name: 'x', scripts: { start: 'node server.js' }, dependencies: { evil: 'git+https://127.0.0.1/evil.git', other: 'http://172.17.0.1:6379/x.tgz' } }),
      'server.js': 'require("node:http").createServer((q, s) => s.end()).listen(process.env.PORT)',
    });
    const install = report.steps.find((s) => s.name === 'install')!;
    expect(install.status).toBe('failed');
    expect(install.reason).toMatch(/dependencies rejected: .*evil.*must come from the registry/);
    expect(install.durationMs).toBe(0);
    expect(report.score.points).toBe(0);
  });
});
