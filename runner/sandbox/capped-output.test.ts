import { describe, expect, it } from 'vitest';
import { CappedOutput, STDERR_REPEATED_LABEL } from './capped-output.ts';

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

  it('repeats the end of stderr at the end when much output arrived after it', () => {
    const out = new CappedOutput(4096, { stderrTailBytes: 256 });
    out.write(Buffer.from('Error: Cannot find module ./db\n    at boot (server.js:3:9)\n'), 'stderr');
    for (let i = 0; i < 300; i++) out.write(Buffer.from(`request ${i} handled\n`));
    const snap = out.snapshot();
    expect(snap.text.endsWith(`${STDERR_REPEATED_LABEL}\nError: Cannot find module ./db\n    at boot (server.js:3:9)\n`)).toBe(true);
    expect(snap.totalBytes).toBe(out.totalBytes); // a repetition, not output
  });

  it('does not repeat stderr that already stands near the end, or when asked to keep none', () => {
    const near = new CappedOutput(4096, { stderrTailBytes: 256 });
    for (let i = 0; i < 300; i++) near.write(Buffer.from(`request ${i} handled\n`));
    near.write(Buffer.from('Error: boom\n'), 'stderr');
    near.write(Buffer.from('shutting down\n'));
    expect(near.snapshot().text).not.toContain(STDERR_REPEATED_LABEL);
    const none = new CappedOutput(4096);
    none.write(Buffer.from('Error: boom\n'), 'stderr');
    for (let i = 0; i < 300; i++) none.write(Buffer.from(`request ${i} handled\n`));
    expect(none.snapshot().text).not.toContain(STDERR_REPEATED_LABEL);
  });

  it('repeats the end of stderr when stdout came between its lines, even near the end', () => {
    const out = new CappedOutput(4096, { stderrTailBytes: 256 });
    for (let i = 0; i < 100; i++) out.write(Buffer.from(`request ${i} handled\n`));
    out.write(Buffer.from('Error: connect ECONNREFUSED\n'), 'stderr');
    out.write(Buffer.from('request 100 handled\n'));
    out.write(Buffer.from('    at boot (server.js:4:9)\n'), 'stderr');
    expect(out.snapshot().text.endsWith(`${STDERR_REPEATED_LABEL}\nError: connect ECONNREFUSED\n    at boot (server.js:4:9)\n`)).toBe(true);
    // Whole and at the end already: stated once.
    const whole = new CappedOutput(4096, { stderrTailBytes: 256 });
    whole.write(Buffer.from('request handled\n'));
    whole.write(Buffer.from('Error: connect ECONNREFUSED\n'), 'stderr');
    whole.write(Buffer.from('    at boot (server.js:4:9)\n'), 'stderr');
    expect(whole.snapshot().text).not.toContain(STDERR_REPEATED_LABEL);
    // Stdout between chunks that have slid out of the kept tail does not count.
    const slid = new CappedOutput(4096, { stderrTailBytes: 32 });
    slid.write(Buffer.from('old error\n'), 'stderr');
    slid.write(Buffer.from('request handled\n'));
    slid.write(Buffer.from(`${'x'.repeat(40)}\n`), 'stderr');
    expect(slid.snapshot().text).not.toContain(STDERR_REPEATED_LABEL);
  });

  it('keeps only the last stderr bytes, from a line start, and never half a private key', () => {
    const out = new CappedOutput(4096, { stderrTailBytes: 150 });
    // The kept 150 bytes start inside the key's body: a whole body line, then its END line.
    out.write(Buffer.from(`${'early line\n'.repeat(50)}-----BEGIN PRIVATE KEY-----\n${`${'QUJD'.repeat(16)}\n`.repeat(5)}-----END PRIVATE KEY-----\nlast error\n`), 'stderr');
    out.write(Buffer.alloc(2000, 'x'));
    const repeated = out.snapshot().text.split(`${STDERR_REPEATED_LABEL}\n`)[1];
    expect(repeated).toBe('last error\n');
  });
});
