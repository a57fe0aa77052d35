import { createHmac } from 'node:crypto';
import type { Request, Response } from 'express';
import { describe, expect, it } from 'vitest';
import { keyFingerprint, SESSION_COOKIE, UiSessions, type ConfiguredKey } from './session.ts';

const SECRET = 'session-secret-0123456789abcdef';
const KEY = 'reviewer-key-0123456789abcdef';
const keys: ConfiguredKey[] = [{ name: 'rita', role: 'reviewer', key: KEY }];

/** The cookie value a login would set, taken from a stand-in Response. */
function issued(sessions: UiSessions, who: { name: string; role: 'reviewer' | 'admin' }, key: string): string {
  let value = '';
  sessions.issue({ cookie: (_name: string, v: string) => (value = v) } as unknown as Response, who, key);
  return value;
}
const requestWith = (cookie: string) => ({ get: (h: string) => (h === 'cookie' ? `${SESSION_COOKIE}=${cookie}` : undefined) }) as unknown as Request;

describe('UiSessions', () => {
  it('records a 16-hex fingerprint of the key, keyed with the session secret, never the key', () => {
    const cookie = issued(new UiSessions(SECRET, keys, false), { name: 'rita', role: 'reviewer' }, KEY);
    const payload = JSON.parse(Buffer.from(cookie.split('.')[0]!, 'base64url').toString('utf8')) as { k: string };
    expect(payload.k).toBe(keyFingerprint(SECRET, KEY));
    expect(payload.k).toMatch(/^[0-9a-f]{16}$/);
    expect(keyFingerprint('another-secret-0123456789', KEY)).not.toBe(payload.k);
    expect(cookie).not.toContain(KEY);
  });

  it('accepts a session only while a key with its name, role and fingerprint is configured', () => {
    const sessions = new UiSessions(SECRET, keys, false);
    const cookie = issued(sessions, { name: 'rita', role: 'reviewer' }, KEY);
    expect(sessions.read(requestWith(cookie))).toMatchObject({ name: 'rita', role: 'reviewer' });
    expect(new UiSessions(SECRET, keys, false).read(requestWith(cookie))).toBeDefined(); // a restart
    expect(new UiSessions(SECRET, [{ ...keys[0]!, key: 'rotated-key-0123456789abcd' }], false).read(requestWith(cookie))).toBeUndefined();
    expect(new UiSessions(SECRET, [{ ...keys[0]!, role: 'admin' }], false).read(requestWith(cookie))).toBeUndefined();
    expect(new UiSessions(SECRET, [], false).read(requestWith(cookie))).toBeUndefined();
    expect(new UiSessions('other-secret-0123456789abc', keys, false).read(requestWith(cookie))).toBeUndefined();
  });

  it('refuses a signed session without a fingerprint (issued before fingerprints) and one for a submitter key', () => {
    const sign = (data: object) => {
      const payload = Buffer.from(JSON.stringify(data)).toString('base64url');
      return `${payload}.${createHmac('sha256', SECRET).update(payload).digest('base64url')}`;
    };
    const e = Math.floor(Date.now() / 1000) + 60;
    const sessions = new UiSessions(SECRET, [...keys, { name: 'sam', role: 'submitter', key: 'submitter-key-0123456789ab' }], false);
    expect(sessions.read(requestWith(sign({ n: 'rita', r: 'reviewer', e, i: 'x' })))).toBeUndefined();
    expect(sessions.read(requestWith(sign({ n: 'rita', r: 'reviewer', k: keyFingerprint(SECRET, KEY), e, i: 'x' })))).toBeDefined();
    expect(sessions.read(requestWith(sign({ n: 'sam', r: 'submitter', k: keyFingerprint(SECRET, 'submitter-key-0123456789ab'), e, i: 'x' })))).toBeUndefined();
    expect(sessions.read(requestWith(sign({ n: 'rita', r: 'reviewer', k: keyFingerprint(SECRET, KEY), e: e - 120, i: 'x' })))).toBeUndefined();
  });
});
