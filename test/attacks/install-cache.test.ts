/**
 * Attacks on the install step and the dependency cache, on the real path (real registry through
 * the host's proxy CA, real Docker, Redis and git over HTTP):
 * - cache poisoning with npm-shrinkwrap.json: a poisoner commits an honest package-lock.json byte
 *   for byte plus a shrinkwrap pinning another express; a later honest submission with that
 *   lockfile must run its own locked express, as if the poisoner never ran;
 * - a cache entry tampered with on disk is refused on restore (checked against the lockfile);
 * - a registry that cannot be reached is the platform's failure (retried, never the candidate's),
 *   while a package that does not exist is the candidate's.
 */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { cp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../runner/devtools/stack.ts';
import type { Report } from '../../runner/report/schema.ts';
import { createTar } from '../../runner/stages/pack/tar.ts';
import { useGradingStack } from '../support/grading.ts';

const HONEST = 'test/fixtures/simple-api/express';
const POISONER_FILES = 'test/fixtures/install-cache/poisoner';
const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'assay-poison-cache-'));
const grading = useGradingStack({ env: { ASSAY_DEPS_CACHE_DIR: cacheDir, ASSAY_WORKER_CONCURRENCY: '1' } });

/** The honest Express fixture, printing the express version it runs; `overlay` adds or replaces files. */
async function submission(overlay?: string): Promise<{ dir: string }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'assay-poison-repo-'));
  await cp(HONEST, dir, { recursive: true });
  if (overlay) await cp(overlay, dir, { recursive: true });
  const server = await readFile(path.join(dir, 'server.js'), 'utf8');
  await writeFile(path.join(dir, 'server.js'), server.replace("const express = require('express');", "const express = require('express');\nconsole.log(`EXPRESS ${require('express/package.json').version}`);"));
  return { dir };
}

async function grade(on: Stack, files: { dir: string } | Record<string, string>): Promise<Report> {
  return (await grading.grade(files, { on, timeoutMs: 240_000 })).report!;
}

const step = (r: Report, name: string) => r.steps.find((s) => s.name === name);
const expressRan = (r: Report) => /EXPRESS (\S+)/.exec(step(r, 'start')?.log?.text ?? '')?.[1];
let locked: string;
beforeAll(async () => {
  const lock = JSON.parse(await readFile(`${HONEST}/package-lock.json`, 'utf8')) as { packages: Record<string, { version: string }> };
  locked = lock.packages['node_modules/express']!.version;
  expect(locked).not.toBe('4.17.1');
});

describe('dependency cache poisoning', () => {
  it('an honest lockfile graded after a shrinkwrap poisoner runs its own locked tree', async () => {
    const poisoner = await grade(grading.stack, await submission(POISONER_FILES));
    expect(step(poisoner, 'install')?.status, step(poisoner, 'install')?.log?.text).toBe('passed');
    expect(expressRan(poisoner), 'npm installs from npm-shrinkwrap.json').toBe('4.17.1');

    const honest = await grade(grading.stack, await submission());
    expect(step(honest, 'install')?.reason ?? '', 'the poisoner\'s cache entry is not the honest one\'s').not.toMatch(/restored/);
    expect(expressRan(honest), 'the honest submission runs the express its lockfile pins').toBe(locked);
    expect(honest.score.percent).toBe(100);

    const again = await grade(grading.stack, await submission());
    expect(step(again, 'install')?.reason).toMatch(/restored node_modules from the dependency cache/);
    expect(expressRan(again)).toBe(locked);
  });

  it('refuses a cache entry whose tree does not match the lockfile, and installs afresh', async () => {
    // Overwrite every entry with a tree claiming another express: as if the cache dir were tampered with.
    const forged = await createTar([
      { type: 'file', path: 'node_modules/.package-lock.json', content: Buffer.from(JSON.stringify({ lockfileVersion: 3, packages: { 'node_modules/express': { version: '4.17.1' } } })) },
      { type: 'file', path: 'node_modules/express/package.json', content: Buffer.from('{"name":"express","version":"4.17.1"}') },
    ]);
    const entries = readdirSync(cacheDir).filter((f) => f.endsWith('.tar'));
    expect(entries.length).toBeGreaterThan(0);
    for (const f of entries) writeFileSync(path.join(cacheDir, f), forged);

    const honest = await grade(grading.stack, await submission());
    expect(step(honest, 'install')?.reason ?? '').not.toMatch(/restored/);
    expect(expressRan(honest)).toBe(locked);
    expect(honest.score.percent).toBe(100);
  });

  it('refuses a cache entry that is not a tar archive at all (garbage, as a torn write would leave), and installs afresh', async () => {
    const entries = readdirSync(cacheDir).filter((f) => f.endsWith('.tar'));
    expect(entries.length).toBeGreaterThan(0);
    for (const f of entries) writeFileSync(path.join(cacheDir, f), Buffer.alloc(4096, 0x41));

    const honest = await grade(grading.stack, await submission());
    expect(step(honest, 'install')?.reason ?? '').not.toMatch(/restored/);
    expect(honest.status).toBe('completed');
    expect(expressRan(honest)).toBe(locked);
    expect(honest.score.percent).toBe(100);
  });
});

describe('whose fault a failed install is', () => {
  it('a registry that cannot be reached is a platform failure, retried and never blamed on the candidate', async () => {
    const offline = await startStack(grading.redis.url, { ASSAY_NPM_REGISTRY: 'http://127.0.0.1:9/', ASSAY_JOB_ATTEMPTS: '2', ASSAY_DEPS_CACHE_DIR: mkdtempSync(path.join(os.tmpdir(), 'assay-c-')) });
    try {
      await offline.startWorker();
      const report = await grade(offline, await submission());
      expect(report.status).toBe('failed');
      expect(report.error).toMatchObject({ fault: 'platform', code: 'REGISTRY_UNAVAILABLE' });
      expect(report.error?.message).toMatch(/not the candidate's fault/);
    } finally {
      await offline.close();
    }
  });

  it('a dependency that does not exist is the candidate\'s failure, with npm\'s reason', async () => {
    const pkg = JSON.parse(await readFile(`${HONEST}/package.json`, 'utf8')) as { dependencies: Record<string, string> };
    pkg.dependencies['assay-no-such-package-3f9c2e'] = '1.0.0';
    const report = await grade(grading.stack, { 'package.json': JSON.stringify(pkg), 'server.js': 'require("express")' });
    expect(report.status).toBe('completed');
    expect(step(report, 'install')?.status).toBe('failed');
    expect(step(report, 'install')?.log?.text).toMatch(/E404|404 Not Found/);
    expect(report.score.points).toBe(0);
  });
});
