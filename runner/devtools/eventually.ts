/**
 * Polling with a deadline, for tests, scripts and benchmarks: the one helper that waits for
 * something to become true when there is no event to wait on. A fixed sleep either wastes time or
 * is too short on a loaded machine; this returns as soon as the condition holds and, when it never
 * does, fails with what the last check saw.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface EventuallyOptions {
  /** How long to keep trying. @defaultValue `10_000` */
  timeoutMs?: number;
  /** Pause between checks. @defaultValue `100` */
  intervalMs?: number;
  /** What is being waited for, as in "timed out after 5000 ms waiting for <message>". */
  message?: string;
}

/** Thrown when the deadline passes; `cause` is the last error the check threw, if it threw. */
export class EventuallyTimeoutError extends Error {
  override name = 'EventuallyTimeoutError';
}

const NOT_YET = Symbol('not yet');

/**
 * Calls `check` until it returns a truthy value without throwing, and resolves with that value.
 * A falsy value or a thrown error (an `expect` inside `check`, for instance) means "not yet".
 * A check still running at the deadline is not waited for. On timeout, rejects with an
 * `EventuallyTimeoutError` whose message names `message` and the last failure (the error thrown,
 * or the falsy value returned).
 */
export async function eventually<T>(check: () => T | Promise<T>, opts: EventuallyOptions = {}): Promise<NonNullable<T>> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const intervalMs = opts.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let last: { error: unknown } | { value: unknown } | undefined;
  let hung = false;
  let checks = 0;
  for (;;) {
    checks++;
    const stop = new AbortController();
    try {
      // A check gets at least one interval, so the last one (at the deadline) can still answer.
      const value = await Promise.race([Promise.resolve().then(check), sleep(Math.max(deadline - Date.now(), intervalMs), NOT_YET, { signal: stop.signal })]);
      if (value === NOT_YET) {
        hung = true;
        break;
      }
      if (value) return value as NonNullable<T>;
      last = { value };
    } catch (error) {
      last = { error };
    } finally {
      stop.abort();
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    await sleep(Math.min(intervalMs, remaining));
  }
  const what = opts.message ? ` waiting for ${opts.message}` : '';
  const details = [
    ...(hung ? ['the last check was still running at the deadline'] : []),
    ...(last === undefined ? [] : ['error' in last ? `last error: ${describe(last.error)}` : `last result: ${describe(last.value)}`]),
  ];
  throw new EventuallyTimeoutError(`timed out after ${timeoutMs} ms (${checks} checks)${what}; ${details.join('; ')}`, last && 'error' in last ? { cause: last.error } : undefined);
}

function describe(value: unknown): string {
  if (value instanceof Error) return value.message;
  if (typeof value === 'string') return JSON.stringify(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
