import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixedPort, isCrlfScript, namedPaths, npxDownloads, skippedLifecycleHint, startScriptHints } from './start-scripts.ts';

describe('namedPaths', () => {
  it('finds the relative paths a command line names', () => {
    expect(namedPaths('sh ./start.sh')).toEqual(['sh', 'start.sh']);
    expect(namedPaths('npm run migrate && bin/serve --port "$PORT"')).toContain('bin/serve');
    expect(namedPaths("bash -c './scripts/run.sh'")).toContain('scripts/run.sh');
  });

  it('never names a path outside the project', () => {
    expect(namedPaths('sh ../outside.sh /etc/passwd a/../../b')).toEqual(['sh']);
  });
});

describe('fixedPort', () => {
  it('finds a port the command line sets itself', () => {
    expect(fixedPort('PORT=3000 node server.js')).toBe('3000');
    expect(fixedPort('cross-env NODE_ENV=production PORT=4000 node .')).toBe('4000');
    expect(fixedPort('export PORT=5000; python3 main.py')).toBe('5000');
    expect(fixedPort('flask run --host 0.0.0.0 --port 5000')).toBe('5000');
    expect(fixedPort('uvicorn main:app --port=8000')).toBe('8000');
  });

  it('leaves the PORT the grader gives alone', () => {
    for (const command of ['node server.js --port $PORT', 'PORT=${PORT:-3000} node server.js', 'node server.js', 'APP_PORT=3000 node x.js']) expect(fixedPort(command), command).toBeUndefined();
  });
});

describe('npxDownloads', () => {
  it('names what npx would download: packages the dependencies do not name', () => {
    expect(npxDownloads('npx nodemon server.js', {})).toEqual(['nodemon']);
    expect(npxDownloads('npx --yes ts-node src/index.ts && npm exec serve', { dependencies: { serve: '14' } })).toEqual(['ts-node']);
    expect(npxDownloads('npx @nestjs/cli@10 start', {})).toEqual(['@nestjs/cli']);
  });

  it('knows a bin by its package, and nothing without npx', () => {
    expect(npxDownloads('npx tsc && node dist/index.js', { devDependencies: { typescript: '5' } })).toEqual([]);
    expect(npxDownloads('npx nodemon server.js', { devDependencies: { nodemon: '3' } })).toEqual([]);
    expect(npxDownloads('node server.js', {})).toEqual([]);
  });
});

describe('isCrlfScript', () => {
  it('is a script with CRLF endings, by name or shebang', () => {
    expect(isCrlfScript('start.sh', Buffer.from('set -e\r\nnode server.js\r\n'))).toBe(true);
    expect(isCrlfScript('run', Buffer.from('#!/bin/sh\r\nexec node .\r\n'))).toBe(true);
    expect(isCrlfScript('start.sh', Buffer.from('set -e\nnode server.js\n'))).toBe(false);
    expect(isCrlfScript('notes.txt', Buffer.from('a\r\nb\r\n'))).toBe(false);
  });
});

describe('startScriptHints', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'assay-start-scripts-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('names a CRLF script the command runs, and only that one', async () => {
    await writeFile(path.join(dir, 'start.sh'), '#!/bin/sh\r\nset -e\r\nexec node server.js\r\n');
    await writeFile(path.join(dir, 'ok.sh'), '#!/bin/sh\nexec node server.js\n');
    expect(await startScriptHints(dir, 'sh ./start.sh')).toEqual([expect.stringMatching(/^start\.sh has Windows \(CRLF\) line endings.*LF endings/)]);
    expect(await startScriptHints(dir, 'sh ok.sh')).toEqual([]);
    expect(await startScriptHints(dir, 'node server.js')).toEqual([]);
  });

  it('names an env file the start command reads and the repository lacks', async () => {
    await writeFile(path.join(dir, '.env.example'), 'PORT=3000\n');
    expect(await startScriptHints(dir, 'node --env-file=.env server.js')).toEqual([expect.stringMatching(/^the start command reads \.env \(--env-file\), which is not in the repository/)]);
    expect(await startScriptHints(dir, 'node --env-file .env server.js')).toHaveLength(1);
    expect(await startScriptHints(dir, 'node --env-file=.env.example server.js')).toEqual([]);
  });
});

describe('skippedLifecycleHint', () => {
  it('names the lifecycle script that would have built the project, when there is no build script', () => {
    expect(skippedLifecycleHint({ scripts: { postinstall: 'tsc', start: 'node dist/index.js' } })).toMatch(/^package\.json's "postinstall" script \("tsc"\) was not run.*name the script "build"/);
    expect(skippedLifecycleHint({ scripts: { 'heroku-postbuild': 'npm run compile' } })).toMatch(/"heroku-postbuild"/);
  });

  it('says nothing with a build script or without such scripts', () => {
    expect(skippedLifecycleHint({ scripts: { postinstall: 'tsc', build: 'tsc' } })).toBeUndefined();
    expect(skippedLifecycleHint({ scripts: { start: 'node .' } })).toBeUndefined();
    expect(skippedLifecycleHint(undefined)).toBeUndefined();
  });
});
