import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeText, isRegularFileWithin } from './files.ts';

describe('decodeText', () => {
  it('reads UTF-8 with or without a byte order mark', () => {
    expect(decodeText(Buffer.from('\uFEFF{"name":"x"}', 'utf8'))).toBe('{"name":"x"}');
    expect(decodeText(Buffer.from('tâche', 'utf8'))).toBe('tâche');
  });

  it('reads UTF-16 when its byte order mark says so (PowerShell 5 redirection)', () => {
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('tinyid==2.0.1\r\n', 'utf16le')]);
    expect(decodeText(le)).toBe('tinyid==2.0.1\r\n');
    const be = Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(Buffer.from('flask', 'utf16le')).swap16()]);
    expect(decodeText(be)).toBe('flask');
  });

  it('drops an odd last byte of UTF-16 instead of throwing', () => {
    expect(decodeText(Buffer.from([0xfe, 0xff, 0x00, 0x61, 0x00]))).toBe('a');
  });
});

describe('isRegularFileWithin', () => {
  it('reaches a file through real folders only', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'assay-within-'));
    try {
      await mkdir(path.join(root, 'repo', 'bin'), { recursive: true });
      await mkdir(path.join(root, 'outside'));
      await writeFile(path.join(root, 'repo', 'bin', 'start.sh'), 'exec node .\n');
      await writeFile(path.join(root, 'outside', 'start.sh'), 'secret\n');
      await symlink('../outside', path.join(root, 'repo', 'linked'));
      const repo = path.join(root, 'repo');
      expect(await isRegularFileWithin(repo, 'bin/start.sh')).toBe(true);
      expect(await isRegularFileWithin(repo, 'linked/start.sh')).toBe(false);
      expect(await isRegularFileWithin(repo, 'bin/../bin/start.sh')).toBe(false);
      expect(await isRegularFileWithin(repo, 'bin')).toBe(false);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
