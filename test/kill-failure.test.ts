/**
 * The engine refusing to kill a container must not take the worker down. Every kill Assay fires
 * from a timer or a stream callback (a service that died before listening, an output flood, a
 * deadline) catches and logs its own failure; here the engine answers every kill with a 500, a
 * submission whose service exits at once is graded (the kill of its grader fails), and the same
 * worker then grades the next submission. No promise rejection goes unhandled meanwhile.
 */
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker } from '../runner/devtools/env.ts';
import { useGradingStack } from './support/grading.ts';

/** The real engine, except that every container's kill() fails as an engine error would. */
function engineThatCannotKill(real: Docker, kills: { count: number }): Docker {
  return new Proxy(real, {
    get(target, prop, receiver) {
      if (prop === 'createContainer') {
        return async (options: Docker.ContainerCreateOptions) => {
          const container = await target.createContainer(options);
          container.kill = async () => {
            kills.count++;
            throw Object.assign(new Error('(HTTP code 500) server error - engine refused the kill'), { statusCode: 500 });
          };
          return container;
        };
      }
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
const kills = { count: 0 };

// Unhandled rejections are recorded from before the stack starts until the tests end (this
// afterAll, registered after the stack's, runs before it closes).
beforeAll(() => {
  process.on('unhandledRejection', onUnhandled);
});
const grading = useGradingStack({ env: { ASSAY_WORKER_CONCURRENCY: '1' }, worker: { options: { docker: engineThatCannotKill(docker, kills) } } });
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
});

async function grade(files: Record<string, string> | { dir: string }) {
  const { final, report } = await grading.grade(files, { timeoutMs: 120_000 });
  return { final, report: report! };
}

describe('a kill the engine refuses', () => {
  it('is logged, the submission is still graded, and the worker goes on to the next one', async () => {
    const crashed = await grade({ 'package.json': JSON.stringify({ name: 'x', scripts: { start: 'node server.js' } }), 'server.js': 'process.exit(1)\n' });
    expect(crashed.final.status).toBe('completed');
    expect(crashed.report.steps.find((s) => s.name === 'start')?.reason).toMatch(/exited with code 1 before accepting connections/);
    expect(kills.count, 'the engine was asked to kill (and refused)').toBeGreaterThan(0);

    const next = await grade({ dir: 'challenges/simple-api/reference/node' });
    expect(next.final.status).toBe('completed');
    expect(next.report.score.percent).toBe(100);
    expect(unhandled).toEqual([]);
  });
});
