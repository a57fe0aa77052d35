import { describe, expect, it } from 'vitest';
import { createLogger } from '../log.ts';
import type { Stage } from '../store/states.ts';
import { progressLine } from './progress.ts';

const log = createLogger('silent');

describe('progressLine', () => {
  it('writes the stages in order without waiting for them', async () => {
    const written: Stage[] = [];
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    const line = progressLine(log, async (stage) => {
      if (stage === 'fetching') await slow;
      written.push(stage);
    });
    line.record('fetching');
    line.record('packing');
    line.recordSoon('testing');
    expect(written).toEqual([]); // nothing held the caller up
    release();
    await line.settled();
    expect(written).toEqual(['fetching', 'packing', 'testing']);
  });

  it('fails the run on a store that is down: at the next stage change, and when settled', async () => {
    const line = progressLine(log, async (stage) => {
      if (stage === 'fetching') throw new Error('store down');
    });
    line.record('fetching');
    await expect(line.settled()).rejects.toThrow('store down');
    expect(() => line.record('packing')).toThrow('store down');
  });

  it('only logs a failed update of progress seen mid-stage', async () => {
    const line = progressLine(log, async () => {
      throw new Error('store down');
    });
    line.recordSoon('testing');
    await expect(line.settled()).resolves.toBeUndefined();
  });
});
