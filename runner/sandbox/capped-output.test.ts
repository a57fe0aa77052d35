import { describe, expect, it } from 'vitest';
import { CappedOutput } from './capped-output.ts';

describe('CappedOutput', () => {
  it('keeps everything under the limit', () => {
    const out = new CappedOutput(100);
    out.write(Buffer.from('hello '));
    out.write(Buffer.from('world'));
    expect(out.snapshot()).toEqual({ text: 'hello world', totalBytes: 11, cutBytes: 0 });
  });

  it('keeps head and tail and counts the cut bytes', () => {
    const out = new CappedOutput(10);
    for (let i = 0; i < 100; i++) out.write(Buffer.from(String(i % 10)));
    const snap = out.snapshot();
    expect(snap.totalBytes).toBe(100);
    expect(snap.cutBytes).toBe(90);
    expect(snap.text.startsWith('01234')).toBe(true);
    expect(snap.text.endsWith('56789')).toBe(true);
    expect(snap.text).toContain('[90 bytes cut]');
  });

  it('stays bounded under a flood of large chunks', () => {
    const out = new CappedOutput(1024);
    const chunk = Buffer.alloc(64 * 1024, 'x');
    for (let i = 0; i < 200; i++) out.write(chunk);
    const snap = out.snapshot();
    expect(snap.totalBytes).toBe(200 * 64 * 1024);
    expect(Buffer.byteLength(snap.text)).toBeLessThan(1024 + 100);
  });
});
