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
import { startGitServer, type GitServer } from '../runner/devtools/git-server.ts';
import { startRedis, type TestRedis } from '../runner/devtools/redis.ts';
import { startStack, type Stack } from '../runner/devtools/stack.ts';

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

let redis: TestRedis;
let git: GitServer;
let stack: Stack;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
const kills = { count: 0 };

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  [redis, git] = await Promise.all([startRedis(), startGitServer()]);
  stack = await startStack(redis.url, { ASSAY_WORKER_CONCURRENCY: '1' });
  await stack.startWorker({}, { docker: engineThatCannotKill(docker, kills) });
});

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await stack?.close();
  await git?.close();
  await redis?.stop();
});

async function grade(files: Record<string, string> | { dir: string }) {
  const repo = await git.addRepo(`r-${Math.random().toString(36).slice(2, 10)}`, files);
  const record = await stack.submit({ challenge: 'simple-api', repoUrl: repo.url });
  const final = await stack.waitForFinal(record.id, 120_000);
  return { final, report: (await stack.store.getReport(record.id))! };
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
