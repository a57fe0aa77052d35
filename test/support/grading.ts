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
 *   const { final, report } = await grading.grade({ dir: 'challenges/simple-api/reference/node' });
 *   await request(grading.stack.api.app).get(`/v1/submissions/${final.id}`);
 * });
 * ```
 *
 * vitest runs beforeAll hooks in the order of their registration and afterAll hooks in the
 * reverse order: a file's own hooks registered after this call run once the stack is up and
 * before it closes; hooks registered before it (a pip index, a webhook receiver) start before
 * the stack and close after Redis has stopped. useGitServer is git over HTTP alone.
 */
import { afterAll, beforeAll } from 'vitest';
import { startGitServer, type GitServer } from '../../runner/devtools/git-server.ts';
import { startRedis, type TestRedis } from '../../runner/devtools/redis.ts';
import { startStack, type Stack } from '../../runner/devtools/stack.ts';
import { createLogger } from '../../runner/log.ts';
import type { Report } from '../../runner/report/schema.ts';
import { closeSteps } from '../../runner/shutdown.ts';
import type { SubmissionRecord } from '../../runner/store/submissions.ts';
import type { WorkerProcessOptions } from '../../runner/worker/wire.ts';
import { started } from './started.ts';

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

/** Options of GradingStack.grade. */
export interface GradeOptions {
  /** @defaultValue `'simple-api'` */
  challenge?: string;
  /** How long to wait for the final state. @defaultValue Stack.waitForFinal's */
  timeoutMs?: number;
  /** The stack to submit to: another one on the same Redis (one whose registry cannot be reached). @defaultValue the file's */
  on?: Stack;
  /** The repository's name, before a random suffix. @defaultValue `'r'` */
  name?: string;
}

/** A graded submission: its repository, its final record and the report stored for it (if any). */
export interface Graded {
  repo: { url: string; commit: string };
  final: SubmissionRecord;
  report: Report | undefined;
}

/** What beforeAll started; reading a field before it ran (or one not asked for) throws. */
export interface GradingStack {
  readonly redis: TestRedis;
  readonly git: GitServer;
  readonly stack: Stack;
  /** Serves `files` (or a folder, `{ dir }`) as a new repository, submits it and waits until it is final. */
  grade(files: Record<string, string | Buffer> | { dir: string }, opts?: GradeOptions): Promise<Graded>;
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

  const holder: GradingStack = {
    get redis() {
      return started(redis, 'the grading Redis');
    },
    get git() {
      return started(git, 'the grading git server');
    },
    get stack() {
      return started(stack, 'the grading stack (none with `stack: false`)');
    },
    async grade(files, { challenge = 'simple-api', timeoutMs, on = holder.stack, name = 'r' } = {}) {
      const repo = await holder.git.addRepo(`${name}-${Math.random().toString(36).slice(2, 10)}`, files);
      const record = await on.submit({ challenge, repoUrl: repo.url });
      const final = await on.waitForFinal(record.id, timeoutMs);
      return { repo, final, report: await on.store.getReport(record.id) };
    },
  };
  return holder;
}

/** Git over HTTP on loopback alone (fetch tests, gradings without a queue): started in beforeAll, closed in afterAll. */
export function useGitServer(): { readonly server: GitServer } {
  let server: GitServer | undefined;
  beforeAll(async () => {
    server = await startGitServer();
  });
  afterAll(() => server?.close());
  return {
    get server() {
      return started(server, 'the git server');
    },
  };
}
