/**
 * Warm containers: started before their job, so that the engine's start (and the image's own
 * start-up, e.g. the analysis image loading its analysers) is not on the grading's path. Each
 * serves exactly one job: it has no files until the job that takes it delivers them, and it is
 * removed with that job's containers, never handed back. Nothing distinguishes it from one the
 * job would have started itself but its job label (`warm`, since the job is not known yet; the
 * job's log names the container it took). A worker keeps up to `perKind` of each kind, fills up
 * when it is idle (at start and after each job's cleanup), and removes them when it closes; the
 * janitor removes those of a worker that died, as it does the rest of its containers.
 */
import type { Logger } from '../log.ts';
import type { LaunchedSandbox } from './container.ts';

/** The job label of a container started before its job. */
export const WARM_JOB_ID = 'warm';

/** How long a job waits for a warm container that is still starting before it starts its own. */
export const TAKE_WAIT_MS = 5_000;

export class WarmContainers {
  private readonly kept = new Map<string, Promise<LaunchedSandbox | undefined>[]>();
  private closed = false;

  constructor(
    private readonly perKind: number,
    private readonly log: Logger,
    private readonly takeWaitMs = TAKE_WAIT_MS,
  ) {}

  /** A warm container of this kind, if one is kept and still waiting for its files (one that died meanwhile is removed); the caller owns it from now on. */
  async take(kind: string): Promise<LaunchedSandbox | undefined> {
    const starting = this.kept.get(kind)?.shift();
    if (!starting) return undefined;
    // One still starting after takeWaitMs is stuck in the engine: the job starts its own rather
    // than wait on it without end, and the stuck one is removed if it ever starts.
    let timer: NodeJS.Timeout | undefined;
    const box = await Promise.race([starting, new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), this.takeWaitMs)))]);
    clearTimeout(timer);
    if (box === 'late') {
      this.log.warn({ kind }, 'a warm container was still starting; the job starts its own');
      void starting.then((late) => late?.remove().catch(() => undefined));
      return undefined;
    }
    if (!box?.exited) return box;
    this.log.warn({ kind, containerId: box.id }, 'a warm container had ended; the job starts its own');
    await box.remove().catch(() => undefined);
    return undefined;
  }

  /** Starts containers of this kind until `perKind` are kept. A failed start is logged and leaves a gap for the next fill. */
  fill(kind: string, launch: () => Promise<LaunchedSandbox>): void {
    const list = this.kept.get(kind) ?? [];
    this.kept.set(kind, list);
    while (!this.closed && list.length < this.perKind) {
      const starting = launch().catch((err: unknown) => {
        this.log.warn({ err, kind }, 'a warm container did not start');
        const at = list.indexOf(starting);
        if (at >= 0) list.splice(at, 1); // unless a job took it already
        return undefined;
      });
      list.push(starting);
    }
  }

  /** Resolves once every kept container has started (or failed to) and loaded what its image loads ahead: the worker is idle. */
  async ready(): Promise<void> {
    await Promise.all([...this.kept.values()].flat().map(async (starting) => (await starting)?.settled()));
  }

  /** Stops filling and removes every kept container. Idempotent; a failed removal is logged (the janitor retries). */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.kept.values()].flat();
    this.kept.clear();
    await Promise.all(
      all.map(async (starting) => {
        const box = await starting;
        await box?.remove().catch((err: unknown) => this.log.warn({ err, containerId: box.id }, 'warm container removal failed; the janitor will retry'));
      }),
    );
  }
}
