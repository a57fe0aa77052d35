/**
 * The candidate's service process, across the restarts a suite may ask for.
 *
 * The service is an exec in the candidate's container, and the engine cannot kill an exec alone.
 * An exec'd process leads its own session and process group (runc makes it so), so the service
 * starts through a one-line shell that writes its own pid, the group's id, to PID_FILE and then
 * becomes the start command (`exec` keeps the pid). A restart signals the whole group (the
 * service and whatever it spawned: `npm start`'s shell and node) with SIGTERM, then SIGKILL after
 * STOP_GRACE_MS (the process alone where a runtime made no group of it), waits until the exec has
 * ended, and starts the same command with the same environment again.
 *
 * The restart protocol with the harness (sandbox-images/grader/harness.mjs): the harness prints
 * "ASSAY_RESTART {id, test}" on its stdout, which the runner watches as it streams; the runner
 * restarts the service, then writes /tmp/assay-restart-<id>.json ({ok, stopMs, reason?}) into the
 * grader container with an exec of its own; the harness waits for that file and then for the
 * port. PID_FILE lives in the candidate's /tmp: candidate code can overwrite it, which can only
 * make its own restart fail.
 */
import type { Logger } from '../../log.ts';
import { SandboxStoppedError, type BackgroundProcess, type CappedText, type SandboxContainer } from '../../sandbox/index.ts';

export const PID_FILE = '/tmp/.assay-service.pid';
/** How long the service gets to stop after SIGTERM before its process group gets SIGKILL. */
export const STOP_GRACE_MS = 3000;
/** How long an exec may take to end after SIGKILL (its output stream closing). */
const KILLED_WAIT_MS = 2000;

/** argv that runs `argv` after recording its pid (the exec's process group) in PID_FILE. */
export function groupLeaderArgv(argv: string[]): string[] {
  // The candidate's command is passed as arguments ("$@"), never as shell text. A full /tmp must
  // not keep the service from starting, so the pid write may fail (the restart then fails).
  return ['sh', '-c', `echo "$$" > ${PID_FILE} 2>/dev/null; exec "$@"`, 'assay-service', ...argv];
}

/** What the runner answers a restart request with (the ack file's content). */
export interface RestartAck {
  ok: boolean;
  stopMs?: number;
  reason?: string;
}

interface Run {
  process: BackgroundProcess;
  /** Ended because a restart stopped it (not a crash). */
  stoppedForRestart: boolean;
}

export class CandidateService {
  private readonly runs: Run[] = [];
  private pending: Promise<void> = Promise.resolve();

  private constructor(
    private readonly box: SandboxContainer,
    private readonly launch: () => Promise<BackgroundProcess>,
    private readonly log: Logger,
  ) {}

  /** Starts the service: `argv` with `env`, output captured as `output` says. */
  static async start(box: SandboxContainer, argv: string[], options: { env: Record<string, string>; outputBytes: number; killAfterOutputBytes: number }, log: Logger): Promise<CandidateService> {
    const service = new CandidateService(box, () => box.execInBackground(groupLeaderArgv(argv), options), log);
    service.runs.push({ process: await service.launch(), stoppedForRestart: false });
    return service;
  }

  /** The process running now (the last one started). */
  get current(): BackgroundProcess {
    return this.runs[this.runs.length - 1]!.process;
  }

  /** Every process started, in order. */
  get processes(): BackgroundProcess[] {
    return this.runs.map((r) => r.process);
  }

  /** Exit codes of processes that ended on their own before a restart replaced them. */
  crashesBeforeRestarts(): (number | null)[] {
    return this.runs.slice(0, -1).flatMap((r) => (r.stoppedForRestart ? [] : [r.process.exitCode() ?? null]));
  }

  /** Every run's output, one after another, each restart marked. */
  output(): CappedText {
    const logs = this.runs.map((r) => r.process.output.snapshot());
    if (logs.length === 1) return logs[0]!;
    return {
      text: logs.map((l, i) => (i === 0 ? l.text : `\n--- restarted by the grader (start ${i + 1}) ---\n${l.text}`)).join(''),
      totalBytes: logs.reduce((s, l) => s + l.totalBytes, 0),
      cutBytes: logs.reduce((s, l) => s + l.cutBytes, 0),
    };
  }

  /**
   * Queues a restart asked for by the harness (request `id`) and answers it in `grader`.
   * Never throws: a failure is the answer (`ok: false`) and a warning in the log.
   */
  requestRestart(id: number, grader: SandboxContainer): void {
    this.pending = this.pending.then(async () => {
      const ack = await this.restart().catch((err: unknown): RestartAck => {
        this.log.warn({ err, containerId: this.box.id }, 'restart of the candidate service failed');
        return { ok: false, reason: err instanceof SandboxStoppedError ? "the candidate's container is no longer running" : 'the runner could not restart it' };
      });
      await answer(grader, id, ack).catch((err: unknown) => this.log.warn({ err, containerId: grader.id }, 'could not answer a restart request'));
    });
  }

  /** Resolves when every restart asked for so far has been answered. */
  settled(): Promise<void> {
    return this.pending;
  }

  private async restart(): Promise<RestartAck> {
    const started = Date.now();
    const run = this.runs[this.runs.length - 1]!;
    // One that already ended crashed on its own; it is simply started again.
    if (run.process.exitCode() === undefined) {
      run.stoppedForRestart = true;
      const group = await this.readGroup();
      await this.signal(group, 'TERM');
      if (!(await endsWithin(run.process, STOP_GRACE_MS))) {
        await this.signal(group, 'KILL');
        if (!(await endsWithin(run.process, KILLED_WAIT_MS))) {
          return { ok: false, stopMs: Date.now() - started, reason: `the service did not stop within ${STOP_GRACE_MS + KILLED_WAIT_MS} ms of SIGTERM and then SIGKILL to its process group` };
        }
      }
    }
    const stopMs = Date.now() - started;
    this.runs.push({ process: await this.launch(), stoppedForRestart: false });
    return { ok: true, stopMs };
  }

  /** The service's process group, as its wrapper recorded it; undefined when unreadable. */
  private async readGroup(): Promise<number | undefined> {
    const out = await this.box.execCaptureStdout(['cat', PID_FILE], 64, 5000);
    const pid = Number(out?.toString('utf8').trim());
    return Number.isSafeInteger(pid) && pid > 1 ? pid : undefined;
  }

  private async signal(group: number | undefined, signal: 'TERM' | 'KILL'): Promise<void> {
    if (group === undefined) return;
    // The shell's own kill (the images carry no /bin/kill); pid and signal are arguments.
    await this.box.execCaptureStdout(['sh', '-c', 'kill -s "$1" -- "-$2" 2>/dev/null || kill -s "$1" "$2"', 'kill', signal, String(group)], 1024, 5000);
  }
}

async function endsWithin(process: BackgroundProcess, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const ended = await Promise.race([process.exited.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)))]);
  clearTimeout(timer);
  return ended;
}

/** Writes the ack file the harness waits for (atomically: a rename). */
async function answer(grader: SandboxContainer, id: number, ack: RestartAck): Promise<void> {
  const file = `/tmp/assay-restart-${id}.json`;
  const written = await grader.execCaptureStdout(['sh', '-c', 'printf "%s" "$1" > "$2.tmp" && mv "$2.tmp" "$2"', 'ack', JSON.stringify(ack), file], 1024, 5000);
  if (!written) throw new Error(`writing ${file} in the grader failed`);
}
