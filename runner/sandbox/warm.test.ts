import { describe, expect, it } from 'vitest';
import { createLogger } from '../log.ts';
import type { LaunchedSandbox } from './container.ts';
import { WarmContainers } from './warm.ts';

/** Stands in for a launched container: take() only reads `exited` and calls remove(); ready() calls settled(). */
function fakeBox(): LaunchedSandbox & { removed: boolean } {
  const box = { exited: false, removed: false, id: 'fake', remove: async () => void (box.removed = true), settled: async () => undefined };
  return box as unknown as LaunchedSandbox & { removed: boolean };
}

describe('WarmContainers.take', () => {
  it('hands over a started container once', async () => {
    const warm = new WarmContainers(1, createLogger('silent'), 50);
    const box = fakeBox();
    warm.fill('grader', async () => box);
    expect(await warm.take('grader')).toBe(box);
    expect(await warm.take('grader')).toBeUndefined();
  });

  it('gives up on one still starting after the wait (the job starts its own), and removes it if it ever starts', async () => {
    const warm = new WarmContainers(1, createLogger('silent'), 50);
    const box = fakeBox();
    let started!: (b: LaunchedSandbox) => void;
    warm.fill('analysis', () => new Promise<LaunchedSandbox>((resolve) => (started = resolve)));
    const begun = Date.now();
    expect(await warm.take('analysis')).toBeUndefined();
    expect(Date.now() - begun).toBeLessThan(2000);
    started(box);
    await new Promise((r) => setTimeout(r, 10));
    expect(box.removed).toBe(true);
  });
});

describe('WarmContainers.ready', () => {
  it('waits until every kept container has started and settled (loaded what its image loads ahead)', async () => {
    const warm = new WarmContainers(1, createLogger('silent'), 50);
    let settle!: () => void;
    const box = { ...fakeBox(), settled: () => new Promise<void>((resolve) => (settle = resolve)) } as unknown as LaunchedSandbox;
    warm.fill('analysis', async () => box);
    let ready = false;
    const waiting = warm.ready().then(() => (ready = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(ready).toBe(false);
    settle();
    await waiting;
    expect(ready).toBe(true);
  });
});
