import { describe, expect, it } from 'vitest';
import { attemptPolicy, refusal } from './attempts.ts';

describe('attemptPolicy', () => {
  it('takes each field from the manifest, else from the operator, else none', () => {
    expect(attemptPolicy({}, {})).toEqual({});
    expect(attemptPolicy({}, { max: 5, cooldownSeconds: 60 })).toEqual({ max: 5, cooldownSeconds: 60 });
    expect(attemptPolicy({ attempts: { max: 2 } }, { max: 5, cooldownSeconds: 60 })).toEqual({ max: 2, cooldownSeconds: 60 });
    expect(attemptPolicy({ attempts: { cooldownSeconds: 10 } }, { max: 5 })).toEqual({ max: 5, cooldownSeconds: 10 });
  });

  it('a cool-down of 0 in the manifest overrides the operator default and means none', () => {
    expect(attemptPolicy({ attempts: { cooldownSeconds: 0 } }, { cooldownSeconds: 600 })).toEqual({});
  });
});

describe('refusal', () => {
  it('ATTEMPTS_EXHAUSTED: 429 without Retry-After, naming the limit', () => {
    const e = refusal({ max: 3 }, { reason: 'exhausted', used: 3 });
    expect(e).toMatchObject({ code: 'ATTEMPTS_EXHAUSTED', status: 429, details: { max: 3, used: 3 } });
    expect(e.message).toContain('all 3 attempts');
    expect(e.headers['Retry-After']).toBeUndefined();
  });

  it('ATTEMPT_COOLDOWN: 429 with Retry-After in whole seconds (rounded up) and the time of the next attempt', () => {
    const now = Date.parse('2030-01-01T00:00:00.000Z');
    const e = refusal({ cooldownSeconds: 60 }, { reason: 'cooldown', retryAfterMs: 41_200 }, now);
    expect(e).toMatchObject({ code: 'ATTEMPT_COOLDOWN', status: 429, headers: { 'Retry-After': '42' }, details: { retryAfterSeconds: 42, nextAttemptAt: '2030-01-01T00:00:42Z' } });
    expect(e.message).toBe('the next attempt at this challenge is allowed in 42 s, at 2030-01-01T00:00:42Z (60 s between attempts)');
    expect(refusal({ cooldownSeconds: 1 }, { reason: 'cooldown', retryAfterMs: 3 }, now).headers['Retry-After']).toBe('1');
  });
});
