import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signPayload, verifySignature } from './sign.ts';

const SECRET = 'whsec-0123456789abcdef';
const BODY = JSON.stringify({ event: 'submission.finished', id: 'abc', score: { percent: 100 } });

describe('webhook signatures', () => {
  it('signs t.body with HMAC-SHA256 in the documented header format', () => {
    const header = signPayload(SECRET, BODY, 1_700_000_000);
    const expected = createHmac('sha256', SECRET).update(`1700000000.${BODY}`).digest('hex');
    expect(header).toBe(`t=1700000000,v1=${expected}`);
  });

  it('verifies its own signature within the tolerance', () => {
    const header = signPayload(SECRET, BODY, 1_700_000_000);
    expect(verifySignature(SECRET, BODY, header, 300, 1_700_000_100)).toEqual({ ok: true, timestamp: 1_700_000_000 });
    expect(verifySignature(SECRET, Buffer.from(BODY), header, 300, 1_700_000_100).ok).toBe(true);
  });

  it('rejects a changed body, another secret, an old timestamp and a forged timestamp', () => {
    const header = signPayload(SECRET, BODY, 1_700_000_000);
    expect(verifySignature(SECRET, BODY.replace('100', '99'), header, 300, 1_700_000_000)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifySignature('another-secret-123456', BODY, header, 300, 1_700_000_000)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifySignature(SECRET, BODY, header, 300, 1_700_000_301)).toEqual({ ok: false, reason: 'expired' });
    const moved = header.replace('t=1700000000', 't=1700000500');
    expect(verifySignature(SECRET, BODY, moved, 300, 1_700_000_500)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('rejects malformed headers', () => {
    for (const bad of [undefined, '', 'v1=abc', 't=1700000000', 't=abc,v1=' + 'a'.repeat(64), 't=1700000000,v1=xyz', 'garbage']) {
      expect(verifySignature(SECRET, BODY, bad, 300, 1_700_000_000)).toEqual({ ok: false, reason: 'malformed' });
    }
  });

  it('accepts any of several v1 values (secret rotation)', () => {
    const good = signPayload(SECRET, BODY, 1_700_000_000);
    const old = signPayload('old-secret-0123456789', BODY, 1_700_000_000).split(',')[1];
    expect(verifySignature(SECRET, BODY, `${good},${old}`, 300, 1_700_000_000).ok).toBe(true);
  });
});
