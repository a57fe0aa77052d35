import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeSkipped, isNative, parseCachedScripts, parseScan, rebuildNames, type ScriptedPackage } from './install-scripts.ts';

const SCANNER = 'sandbox-images/node/install-scripts.mjs';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'assay-scan-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function pkg(dir: string, manifest: Record<string, unknown>, files: string[] = []): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify(manifest));
  for (const f of files) {
    mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    writeFileSync(path.join(dir, f), '');
  }
}

/** Runs the image's scanner on a tree (the same script, with the host's node). */
function scan(root: string): ScriptedPackage[] | undefined {
  return parseScan(execFileSync(process.execPath, [SCANNER, root], { encoding: 'utf8' }));
}

describe('the scanner in the image (install-scripts.mjs) and parseScan', () => {
  it('finds install scripts and binding.gyp in an npm/yarn tree, nested and scoped', () => {
    const nm = path.join(tmp, 'npm', 'node_modules');
    pkg(path.join(nm, 'express'), { name: 'express', version: '4.22.3', scripts: { test: 'mocha' } });
    pkg(path.join(nm, 'bcrypt'), { name: 'bcrypt', version: '5.1.1', scripts: { install: 'node-pre-gyp install --fallback-to-build' } }, ['binding.gyp']);
    pkg(path.join(nm, 'esbuild'), { name: 'esbuild', version: '0.25.0', scripts: { postinstall: 'node install.js' } });
    pkg(path.join(nm, '@scope', 'gyp-only'), { name: '@scope/gyp-only', version: '1.0.0' }, ['binding.gyp']);
    pkg(path.join(nm, 'a', 'node_modules', 'bufferutil'), { name: 'bufferutil', version: '4.0.9', scripts: { install: 'node-gyp-build' } }, ['binding.gyp', 'prebuilds/linux-x64/x.node']);
    const found = scan(nm)!;
    expect(found.map((p) => p.name).sort()).toEqual(['@scope/gyp-only', 'bcrypt', 'bufferutil', 'esbuild']);
    expect(found.find((p) => p.name === 'bcrypt')).toEqual({ name: 'bcrypt', version: '5.1.1', scripts: { install: 'node-pre-gyp install --fallback-to-build' }, gyp: true, prebuilds: false });
  });

  it("reads pnpm's .pnpm folder once and never follows its links", () => {
    const nm = path.join(tmp, 'pnpm', 'node_modules');
    const real = path.join(nm, '.pnpm', 'bcrypt@5.1.1', 'node_modules', 'bcrypt');
    pkg(real, { name: 'bcrypt', version: '5.1.1', scripts: { install: 'node-pre-gyp install --fallback-to-build' } }, ['binding.gyp']);
    symlinkSync(real, path.join(nm, 'bcrypt'));
    symlinkSync('/etc', path.join(nm, 'etc-link'));
    expect(scan(nm)!.map((p) => p.name)).toEqual(['bcrypt']);
  });

  it('refuses output that is not the scanner’s', () => {
    expect(parseScan('not json')).toBeUndefined();
    expect(parseScan(JSON.stringify({ packages: [{ name: 'x' }], truncated: false }))).toBeUndefined();
    expect(parseScan(JSON.stringify({ packages: [{ name: '--evil', version: '1', scripts: {}, gyp: true, prebuilds: false }], truncated: false }))).toEqual([]);
  });
});

const bcrypt: ScriptedPackage = { name: 'bcrypt', version: '5.1.1', scripts: { install: 'node-pre-gyp install --fallback-to-build' }, gyp: true, prebuilds: false };
const esbuild: ScriptedPackage = { name: 'esbuild', version: '0.25.0', scripts: { postinstall: 'node install.js' }, gyp: false, prebuilds: false };
const bufferutil: ScriptedPackage = { name: 'bufferutil', version: '4.0.9', scripts: { install: 'node-gyp-build' }, gyp: true, prebuilds: true };

describe('what the report says under deny', () => {
  it('names a native addon in a flag, with its pure-JS alternative', () => {
    const { flag, note } = describeSkipped([bcrypt, esbuild]);
    expect(flag).toEqual({ code: 'install_scripts_needed', message: note });
    expect(note).toBe('bcrypt needs its install script (it builds a native addon), which this challenge does not run (a pure-JS alternative is bcryptjs); install scripts not run: esbuild');
  });

  it('only notes packages whose scripts are not a native build (or that ship prebuilt binaries)', () => {
    expect(isNative(bufferutil)).toBe(false);
    expect(describeSkipped([esbuild, bufferutil])).toEqual({ note: 'install scripts not run: esbuild, bufferutil' });
    expect(describeSkipped([])).toEqual({});
  });

  it('keeps the list through the cache', () => {
    expect(parseCachedScripts({ scripted: [bcrypt] })).toEqual([bcrypt]);
    expect(parseCachedScripts(undefined)).toBeUndefined();
    expect(parseCachedScripts({ scripted: 'x' })).toBeUndefined();
  });
});

describe('rebuildNames', () => {
  it('passes each valid name once, never an option', () => {
    expect(rebuildNames([bcrypt, bcrypt, esbuild, { ...esbuild, name: '-rf' }])).toEqual(['bcrypt', 'esbuild']);
  });
});
