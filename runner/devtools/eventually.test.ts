import { describe, expect, it } from 'vitest';
import { eventually, EventuallyTimeoutError } from './eventually.ts';

describe('eventually', () => {
  it('resolves with the first truthy value, as soon as it comes', async () => {
    let calls = 0;
    const started = Date.now();
    const value = await eventually(() => (++calls >= 3 ? { ready: calls } : undefined), { timeoutMs: 5000, intervalMs: 10 });
    expect(value).toEqual({ ready: 3 });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('treats a throw as "not yet" and resolves once the check stops throwing', async () => {
    let calls = 0;
    const value = await eventually(
      async () => {
        if (++calls < 3) throw new Error(`attempt ${calls}`);
        return 'done';
      },
      { timeoutMs: 5000, intervalMs: 10 },
    );
    expect(value).toBe('done');
    expect(calls).toBe(3);
  });

  it('fails at the deadline with what it waited for and the last error, kept as the cause', async () => {
    let calls = 0;
    const started = Date.now();
    const err: unknown = await eventually(
      () => {
        throw new Error(`still 0 deliveries (check ${++calls})`);
      },
      { timeoutMs: 200, intervalMs: 20, message: 'a webhook delivery' },
    ).catch((e: unknown) => e);
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(err).toBeInstanceOf(EventuallyTimeoutError);
    expect((err as Error).message).toMatch(/^timed out after 200 ms \(\d+ checks\) waiting for a webhook delivery; last error: still 0 deliveries \(check \d+\)$/);
    expect(((err as Error).cause as Error).message).toBe(`still 0 deliveries (check ${calls})`);
  });

  it('reports the last falsy value when the check never throws', async () => {
    await expect(eventually(() => 0, { timeoutMs: 50, intervalMs: 10 })).rejects.toThrow(/; last result: 0$/);
    await expect(eventually(() => '', { timeoutMs: 50, intervalMs: 10 })).rejects.toThrow(/; last result: ""$/);
  });

  it('does not wait past the deadline for a check that hangs', async () => {
    const started = Date.now();
    await expect(eventually(() => new Promise<never>(() => undefined), { timeoutMs: 100, intervalMs: 10, message: 'a hung probe' })).rejects.toThrow(
      /waiting for a hung probe; the last check was still running at the deadline$/,
    );
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('checks once more at the deadline, so a condition that turns true just before it is seen', async () => {
    const readyAt = Date.now() + 90;
    await expect(eventually(() => Date.now() >= readyAt, { timeoutMs: 100, intervalMs: 60 })).resolves.toBe(true);
  });
});
