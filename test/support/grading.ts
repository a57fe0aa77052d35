/**
 * The set-up of every test file that grades for real: a throwaway Redis, git over HTTP on
 * loopback, a stack (API and workers, runner/devtools/stack.ts) and one worker, started in
 * beforeAll and closed in afterAll (the stack, then git, then Redis: the workers drain before
 * their repositories and their Redis go). Call it at the top of a file or a describe; the
 * hooks are registered where it is called.
 *
 * ```ts
 * const grading = useGradingStack({ env: { ASSAY_WORKER_CONCURRENCY: '1' } });
 * it('grades', async () => {
 *   const repo = await grading.git.addRepo('r', { dir });
 *   const record = await grading.stack.submit({ challenge: 'simple-api', repoUrl: repo.url });
 * });
 * ```
 *
 * vitest runs afterAll hooks in the reverse order of their registration: a file's own
 * afterAll registered after this call runs before the stack closes, one registered before it
 * runs after Redis has stopped.
 */
import { afterAll, beforeAll } from 'vitest';
import { startGitServer, type GitServer } from '../../runner/devtools/git-server.ts';
import { startRedis, type TestRedis } from '../../runner/devtools/redis.ts';
import { startStack, type Stack } from '../../runner/devtools/stack.ts';
import { createLogger } from '../../runner/log.ts';
import { closeSteps } from '../../runner/shutdown.ts';
import type { WorkerProcessOptions } from '../../runner/worker/wire.ts';

export interface GradingStackOptions {
  /**
   * Environment of the stack on top of its test defaults (testEnv), or a function returning it
   * when it needs something an earlier beforeAll made (a pip index's URL).
   * @defaultValue none
   */
  env?: Record<string, string> | (() => Record<string, string>);
  /**
   * Start one worker once the stack is up: `true`, or the arguments of Stack.startWorker;
   * `false` where the file starts its own (worker processes, several workers).
   * @defaultValue true
   */
  worker?: boolean | { overrides?: Record<string, string>; options?: WorkerProcessOptions };
  /** Start a stack: `false` where each test starts its own on the file's Redis. @defaultValue true */
  stack?: boolean;
  /** Grade on this Redis (an outer describe's, read in beforeAll) instead of starting and stopping one. */
  redis?: () => TestRedis;
}

/** What beforeAll started; reading a field before it ran (or one not asked for) throws. */
export interface GradingStack {
  readonly redis: TestRedis;
  readonly git: GitServer;
  readonly stack: Stack;
}

/** Registers beforeAll/afterAll that start and close a grading stack; returns their holder. */
export function useGradingStack(opts: GradingStackOptions = {}): GradingStack {
  let redis: TestRedis | undefined;
  let git: GitServer | undefined;
  let stack: Stack | undefined;

  beforeAll(async () => {
    redis = opts.redis ? opts.redis() : await startRedis();
    git = await startGitServer();
    if (opts.stack === false) return;
    stack = await startStack(redis.url, typeof opts.env === 'function' ? opts.env() : opts.env);
    const worker = opts.worker ?? true;
    if (worker === true) await stack.startWorker();
    else if (worker) await stack.startWorker(worker.overrides, worker.options);
  });

  afterAll(() =>
    closeSteps(createLogger('warn'), [
      { name: 'stack', close: () => stack?.close() },
      { name: 'git server', close: () => git?.close() },
      // A Redis passed in belongs to whoever started it.
      { name: 'redis', close: () => (opts.redis ? undefined : redis?.stop()) },
    ])(),
  );

  return {
    get redis() {
      return started(redis, 'redis');
    },
    get git() {
      return started(git, 'git server');
    },
    get stack() {
      return started(stack, 'stack');
    },
  };
}

function started<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`the grading ${what} is not started: read it in a test or a later hook (or ask for it in useGradingStack's options)`);
  return value;
}
