import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { createLogger } from './log.ts';
import { closeConnection, closeSteps, installShutdown } from './shutdown.ts';

const log = createLogger('silent');

/** A stand-in process: emits signals and crashes; `exited` resolves with the code passed to exit. */
function fakeProcess() {
  const proc = new EventEmitter();
  let exit!: (code: number) => void;
  const exited = new Promise<number>((resolve) => (exit = resolve));
  return { proc, exit, exited };
}

describe('closeSteps', () => {
  it('runs every step in order even when one throws, then rethrows the first failure', async () => {
    const ran: string[] = [];
    const first = new Error('queue would not close');
    const close = closeSteps(log, [
      { name: 'worker', close: () => void ran.push('worker') },
      { name: 'queue', close: async () => { ran.push('queue'); throw first; } },
      { name: 'redis', close: async () => { ran.push('redis'); throw new Error('second'); } },
      { name: 'store', close: () => void ran.push('store') },
    ]);
    await expect(close()).rejects.toBe(first);
    expect(ran).toEqual(['worker', 'queue', 'redis', 'store']);
  });

  it('is idempotent: a second close returns the first one and runs nothing again', async () => {
    const step = vi.fn(async () => undefined);
    const close = closeSteps(log, [{ name: 'only', close: step }]);
    const [a, b] = [close(), close()];
    expect(a).toBe(b);
    await a;
    await close();
    expect(step).toHaveBeenCalledTimes(1);
  });
});

describe('closeConnection', () => {
  it('QUITs a ready connection, disconnects one that is still connecting, leaves an ended one alone', async () => {
    const conn = (status: string) => ({ status, quit: vi.fn(async () => 'OK'), disconnect: vi.fn() });
    const ready = conn('ready');
    const reconnecting = conn('reconnecting');
    const ended = conn('end');
    await Promise.all([closeConnection(ready), closeConnection(reconnecting), closeConnection(ended)]);
    expect([ready.quit.mock.calls.length, ready.disconnect.mock.calls.length]).toEqual([1, 0]);
    expect([reconnecting.quit.mock.calls.length, reconnecting.disconnect.mock.calls.length]).toEqual([0, 1]);
    expect([ended.quit.mock.calls.length, ended.disconnect.mock.calls.length]).toEqual([0, 0]);
  });
});

describe('installShutdown', () => {
  it('closes once on SIGTERM, however many signals follow, and exits 0', async () => {
    const { proc, exit, exited } = fakeProcess();
    const close = vi.fn(async () => undefined);
    const { uninstall } = installShutdown({ close }, { log, process: proc, exit });
    proc.emit('SIGTERM', 'SIGTERM');
    proc.emit('SIGINT', 'SIGINT');
    proc.emit('SIGTERM', 'SIGTERM');
    expect(await exited).toBe(0);
    expect(close).toHaveBeenCalledTimes(1);
    uninstall();
    expect(proc.listenerCount('SIGTERM') + proc.listenerCount('uncaughtException') + proc.listenerCount('unhandledRejection')).toBe(0);
  });

  it('exits 1 when a close step failed', async () => {
    const { proc, exit, exited } = fakeProcess();
    installShutdown({ close: async () => Promise.reject(new Error('redis quit failed')) }, { log, process: proc, exit });
    proc.emit('SIGINT', 'SIGINT');
    expect(await exited).toBe(1);
  });

  for (const event of ['unhandledRejection', 'uncaughtException'] as const) {
    it(`logs an ${event} as fatal, closes gracefully and exits 1`, async () => {
      const { proc, exit, exited } = fakeProcess();
      const fatal = vi.fn();
      const close = vi.fn(async () => undefined);
      installShutdown({ close }, { log: Object.assign(createLogger('silent'), { fatal }), process: proc, exit });
      const err = new Error('a promise nobody awaited');
      proc.emit(event, err);
      expect(await exited).toBe(1);
      expect(close).toHaveBeenCalledTimes(1);
      expect(fatal).toHaveBeenCalledWith({ err }, expect.stringContaining('shutting down'));
    });
  }

  it('exits 1 when close does not finish in time', async () => {
    const { proc, exit, exited } = fakeProcess();
    installShutdown({ close: () => new Promise<void>(() => undefined) }, { log, process: proc, exit, timeoutMs: 50 });
    proc.emit('SIGTERM', 'SIGTERM');
    expect(await exited).toBe(1);
  });

  it('a crash during a graceful shutdown still ends in exit 1, with one close', async () => {
    const { proc, exit, exited } = fakeProcess();
    let finish!: () => void;
    const close = vi.fn(() => new Promise<void>((resolve) => (finish = resolve)));
    installShutdown({ close }, { log, process: proc, exit });
    proc.emit('SIGTERM', 'SIGTERM');
    proc.emit('uncaughtException', new Error('while draining'));
    finish();
    expect(await exited).toBe(1);
    expect(close).toHaveBeenCalledTimes(1);
  });
});
