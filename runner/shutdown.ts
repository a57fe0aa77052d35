/**
 * How an Assay process ends. Two pieces, used by every entry point (api/main.ts,
 * runner/worker/main.ts, scripts/start.ts) and by the wiring factories:
 *
 * - closeSteps(): an idempotent close() that runs every cleanup in order even when one throws,
 *   logs each failure and rethrows the first (as BullMQ's Worker.close does).
 * - installShutdown(): SIGTERM/SIGINT run the process's close() once and exit 0, or 1 when a
 *   step failed. An unhandled rejection or uncaught exception is logged (fatal) and shuts the
 *   process down the same way, then exits 1: running jobs are handed back by the worker's close,
 *   so a crash never strands a job until its lock expires.
 *
 * Only entry points import this module (it is part of the top layer; docs/architecture.md).
 */
import type { Logger } from './log.ts';

/** Anything with an idempotent close(): a wired process, a server, a child-process group. */
export interface Closable {
  close(): Promise<void>;
}

/** One named cleanup. */
export interface CloseStep {
  /** Shown in the log line when the step fails, e.g. `redis (store)`. */
  name: string;
  close(): unknown;
}

/**
 * Returns a close() that runs `steps` in order, once: a second call returns the first call's
 * promise. Every step runs even if an earlier one throws; each failure is logged (warn) and the
 * first is rethrown once all steps have run.
 */
export function closeSteps(log: Logger, steps: readonly CloseStep[]): () => Promise<void> {
  let closing: Promise<void> | undefined;
  const run = async () => {
    const errors: unknown[] = [];
    for (const step of steps) {
      try {
        await step.close();
      } catch (err) {
        log.warn({ err, step: step.name }, 'close step failed');
        errors.push(err);
      }
    }
    if (errors.length) throw errors[0];
  };
  return () => (closing ??= run());
}

/** The part of an ioredis connection closeConnection() needs (this module does not import ioredis). */
export interface Connection {
  readonly status: string;
  quit(): Promise<unknown>;
  disconnect(): void;
}

/**
 * Closes a Redis connection: QUIT when connected (replies still pending arrive first);
 * otherwise stop reconnecting at once, since QUIT would wait for a Redis that is not there.
 * Closing a closed connection does nothing.
 */
export async function closeConnection(conn: Connection): Promise<void> {
  if (conn.status === 'end') return;
  if (conn.status === 'ready') await conn.quit();
  else conn.disconnect();
}

/** What installShutdown listens to; `process` in production, an EventEmitter in tests. */
export type ProcessEvents = Pick<NodeJS.EventEmitter, 'on' | 'off'>;

export interface ShutdownOptions {
  log: Logger;
  /** Signals that start a graceful shutdown. @defaultValue `['SIGTERM', 'SIGINT']` */
  signals?: readonly NodeJS.Signals[];
  /**
   * How long close() may take before the process exits 1 anyway (a crash may have left it
   * unable to finish). Give the worker more than its shutdown grace period.
   * @defaultValue 120000
   */
  timeoutMs?: number;
  /** The process whose events are handled. @defaultValue `process` */
  process?: ProcessEvents;
  /** Ends the process with a code. @defaultValue `process.exit` */
  exit?: (code: number) => void;
}

export interface Shutdown {
  /** Closes the target once and exits; later calls return the same promise. */
  shutdown(reason: string, code?: number): Promise<void>;
  /** Removes the handlers (tests). */
  uninstall(): void;
}

/**
 * Installs the signal handlers and the last-resort handlers for `target`. Call it as soon as
 * the target is wired; a failure while wiring is the caller's (see startOrExit).
 */
export function installShutdown(target: Closable, opts: ShutdownOptions): Shutdown {
  const { log } = opts;
  const proc = opts.process ?? process;
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  const timeoutMs = opts.timeoutMs ?? 120_000;
  let exitCode = 0;
  let done: Promise<void> | undefined;

  const shutdown = (reason: string, code = 0): Promise<void> => {
    exitCode = Math.max(exitCode, code);
    if (done) return done;
    log.info({ reason }, 'shutting down');
    done = (async () => {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
        timer.unref();
      });
      try {
        if ((await Promise.race([target.close().then(() => 'closed' as const), timedOut])) === 'timeout') {
          log.error({ timeoutMs }, 'shutdown took too long; exiting anyway');
          exitCode = 1;
        }
      } catch (err) {
        log.error({ err }, 'shutdown finished with a failed step');
        exitCode = 1;
      } finally {
        clearTimeout(timer);
      }
      log.info({ code: exitCode }, 'stopped');
      exit(exitCode);
    })();
    return done;
  };

  const onSignal = (signal: NodeJS.Signals) => {
    if (done) log.warn({ signal }, 'already shutting down');
    void shutdown(signal);
  };
  const onRejection = (reason: unknown) => {
    log.fatal({ err: reason }, 'unhandled promise rejection; shutting down');
    void shutdown('unhandledRejection', 1);
  };
  const onException = (err: Error) => {
    log.fatal({ err }, 'uncaught exception; shutting down');
    void shutdown('uncaughtException', 1);
  };
  const signals = opts.signals ?? ['SIGTERM', 'SIGINT'];
  for (const s of signals) proc.on(s, onSignal);
  proc.on('unhandledRejection', onRejection);
  proc.on('uncaughtException', onException);

  return {
    shutdown,
    uninstall() {
      for (const s of signals) proc.off(s, onSignal);
      proc.off('unhandledRejection', onRejection);
      proc.off('uncaughtException', onException);
    },
  };
}

/**
 * Runs a process's wiring; when it fails, logs the reason (fatal) and exits 1. The wiring
 * factories close what they had opened before rethrowing, so nothing is left to clean here.
 */
export async function startOrExit<T>(log: Logger, start: () => Promise<T>, exit: (code: number) => never = (code) => process.exit(code)): Promise<T> {
  try {
    return await start();
  } catch (err) {
    log.fatal({ err }, 'start-up failed');
    return exit(1);
  }
}
