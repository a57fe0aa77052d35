/**
 * A sandbox container's life: create, receive the job's files, start, exec steps, read capped
 * output, wait with a deadline, kill, inspect, remove. A failed start removes the container and
 * rethrows the original error; removal treats 304/404 as already done and never hides the error
 * that led to it.
 */
import { Writable, type Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { Logger } from '../log.ts';
import { CappedOutput, type CappedText } from './capped-output.ts';
import { readHostCgroupFile } from './cgroup.ts';
import { isAlreadyDone, isConflict } from './docker.ts';
import { buildCreateOptions, type SandboxSpec } from './host-config.ts';
import { verdictOf, type Verdict } from './verdict.ts';

export interface StepRunOptions {
  /** Wall-clock limit; at the deadline the whole container is killed (an exec cannot be killed alone). */
  timeoutMs: number;
  /** Output kept for the report (head and tail). */
  outputBytes: number;
  /** Output beyond this kills the container with verdict `output_limit`. @defaultValue 64 × outputBytes */
  killAfterOutputBytes?: number;
  /** stdout kept separately for machine-readable results. @defaultValue outputBytes */
  stdoutBytes?: number;
  /** Sees every stdout chunk as it arrives (e.g. to notice a readiness line). */
  onStdout?: (chunk: Buffer) => void;
  env?: Record<string, string>;
  workdir?: string;
  signal?: AbortSignal;
}

export interface StepRun {
  verdict: Verdict;
  exitCode: number | null;
  durationMs: number;
  timedOut: boolean;
  outputLimited: boolean;
  oomKilled: boolean;
  /** stdout and stderr interleaved, capped. */
  output: CappedText;
  /** stdout alone, capped at `stdoutBytes`. */
  stdout: CappedText;
}

export interface BackgroundProcess {
  readonly output: CappedOutput;
  /** Resolves with the exit code when the process ends (or the container dies). */
  readonly exited: Promise<number | null>;
  /** Undefined while running; the exit code (or null when unknown) once it ended. */
  exitCode(): number | null | undefined;
  /** Whether its output passed `killAfterOutputBytes`, so the container was killed for it. */
  outputLimited(): boolean;
}

const RECEIVED_MARKER = 'assay:received';
/** Printed on stderr by an image that loads its tools while it waits for its files (the analysis image), once they are loaded. */
const LOADED_MARKER = 'assay:loaded';
/** How long settled() waits for an image's "loaded" line. */
const LOADED_WAIT_MS = 15_000;
const RECEIVE_TIMEOUT_MS = 30_000;
/** How long an exec's stream may stay open after its deadline kill before it is cut. */
const STREAM_GRACE_AFTER_KILL_MS = 10_000;
/** The end of an exec's stderr kept apart, to be repeated at the end of its output (see CappedOutput): a crash's message and stack. */
const STEP_STDERR_TAIL_BYTES = 2048;

/** Collects a multiplexed Docker stream into capped buffers and watches the flood limit. */
class StreamCapture {
  readonly output: CappedOutput;
  readonly stdout: CappedOutput;
  floodedAt?: number;
  private stderrHead = '';
  private markerSeen?: () => void;
  private loadedSeen?: () => void;
  /** Resolves when stderr has carried the receive script's marker line. */
  readonly received = new Promise<void>((resolve) => (this.markerSeen = resolve));
  /** Resolves when stderr has carried the image's "loaded" line (LOADED_MARKER), for images that print one. */
  readonly loaded = new Promise<void>((resolve) => (this.loadedSeen = resolve));

  constructor(
    outputBytes: number,
    stdoutBytes: number,
    private readonly killAfter: number,
    private readonly onFlood: () => void,
    private readonly onStdout?: (chunk: Buffer) => void,
    stderrTailBytes = 0,
  ) {
    this.output = new CappedOutput(outputBytes, { stderrTailBytes });
    this.stdout = new CappedOutput(stdoutBytes);
  }

  attach(docker: Docker, stream: NodeJS.ReadableStream): void {
    const sink = (toStdout: boolean) =>
      new Writable({
        write: (chunk: Buffer, _enc, done) => {
          this.output.write(chunk, toStdout ? 'stdout' : 'stderr');
          if (toStdout) {
            this.stdout.write(chunk);
            this.onStdout?.(chunk);
          } else if (this.stderrHead.length < 4096) {
            this.stderrHead += chunk.toString('utf8');
            if (this.stderrHead.includes(RECEIVED_MARKER)) this.markerSeen?.();
            if (this.stderrHead.includes(LOADED_MARKER)) this.loadedSeen?.();
          }
          if (this.output.totalBytes > this.killAfter && this.floodedAt === undefined) {
            this.floodedAt = Date.now();
            this.onFlood();
          }
          done();
        },
      });
    docker.modem.demuxStream(stream, sink(true), sink(false));
  }
}

function streamEnded(stream: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve) => {
    stream.once('end', () => resolve());
    stream.once('close', () => resolve());
    stream.once('error', () => resolve());
  });
}

/**
 * An exec was asked of a container that is no longer running. After candidate code has run in
 * it, that is the candidate's doing (its code ended the container), not an engine failure.
 */
export class SandboxStoppedError extends Error {
  override name = 'SandboxStoppedError';
  constructor(readonly role: string, readonly containerId: string, options?: { cause?: unknown }) {
    super(`the ${role} container ${containerId.slice(0, 12)} is not running`, options);
  }
}

export class SandboxContainer {
  private removed = false;
  private killed = false;
  private oomKillsSeen = 0;

  private constructor(
    private readonly docker: Docker,
    private readonly container: Docker.Container,
    readonly spec: SandboxSpec,
    private readonly main: StreamCapture,
    private readonly mainStreamEnded: Promise<void>,
    private readonly log?: Logger,
  ) {}

  get id(): string {
    return this.container.id;
  }

  /**
   * Creates and starts a container, streaming `files` (a tar archive) to its stdin, where the
   * image's entry point unpacks them into /workspace before running `spec.command`.
   */
  static async start(docker: Docker, spec: SandboxSpec, files: Readable | Buffer, capture: MainCapture): Promise<SandboxContainer> {
    const launched = await SandboxContainer.launch(docker, spec, capture);
    return launched.deliver(files);
  }

  /**
   * Creates and starts a container whose entry point waits for its files on stdin: give them with
   * deliver() (once), or remove() it. A warm container (./warm.ts) is one launched before its job.
   */
  static async launch(docker: Docker, spec: SandboxSpec, capture: MainCapture): Promise<LaunchedSandbox> {
    const container = await docker.createContainer(buildCreateOptions(spec));
    let sandbox: SandboxContainer | undefined;
    try {
      const stream = (await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as NodeJS.ReadWriteStream;
      const main = new StreamCapture(capture.outputBytes, capture.stdoutBytes ?? capture.outputBytes, capture.killAfterOutputBytes ?? capture.outputBytes * 64, () => sandbox?.killSoon('output flood'), capture.onStdout);
      main.attach(docker, stream);
      sandbox = new SandboxContainer(docker, container, spec, main, streamEnded(stream), capture.log);
      await container.start();
      const box = sandbox;
      const loaded = capture.printsLoaded ? main.loaded : Promise.resolve();
      return new LaunchedSandbox(box, stream, { received: main.received, loaded }, box.mainStreamEnded, () => main.output.snapshot().text);
    } catch (err) {
      await removeQuietly(container);
      throw err;
    }
  }

  /** Resolves when the main process's output stream ends (it exited, or the container died). */
  mainEnded(): Promise<void> {
    return this.mainStreamEnded;
  }

  /** The main process's output so far (stdout and stderr, capped). */
  mainOutput(): CappedText {
    return this.main.output.snapshot();
  }

  /** Starts argv as the container's user with stdout and stderr attached (multiplexed). */
  private async startExec(argv: string[], opts: { env?: Record<string, string>; workdir?: string } = {}): Promise<{ exec: Docker.Exec; stream: NodeJS.ReadableStream }> {
    let exec: Docker.Exec;
    try {
      exec = await this.container.exec({
        Cmd: argv,
        Env: Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`),
        WorkingDir: opts.workdir ?? '/workspace',
        AttachStdout: true,
        AttachStderr: true,
        AttachStdin: false,
        Tty: false,
      });
    } catch (err) {
      // 409: the container is not running. Only code inside it (or a kill of ours) stops it.
      if (isConflict(err)) throw new SandboxStoppedError(this.spec.role, this.id, { cause: err });
      throw err;
    }
    const stream = (await exec.start({ hijack: true, stdin: false })) as NodeJS.ReadableStream;
    return { exec, stream };
  }

  /** Runs argv inside the running container as the sandbox user, bounded in time and output. */
  async exec(argv: string[], opts: StepRunOptions): Promise<StepRun> {
    const started = Date.now();
    let timedOut = false;
    const capture = new StreamCapture(opts.outputBytes, opts.stdoutBytes ?? opts.outputBytes, opts.killAfterOutputBytes ?? opts.outputBytes * 64, () => this.killSoon('output flood'), opts.onStdout, STEP_STDERR_TAIL_BYTES);
    const { exec, stream } = await this.startExec(argv, opts);
    capture.attach(this.docker, stream);
    let giveUp: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      this.killSoon('deadline');
      // A kill that fails or a runtime that never closes the stream must not hold the job forever.
      giveUp = setTimeout(() => (stream as unknown as { destroy(): void }).destroy(), STREAM_GRACE_AFTER_KILL_MS);
    }, opts.timeoutMs);
    const onAbort = () => this.killSoon('aborted');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await streamEnded(stream);
    } finally {
      clearTimeout(timer);
      clearTimeout(giveUp);
      opts.signal?.removeEventListener('abort', onAbort);
    }
    opts.signal?.throwIfAborted();
    const info = await exec.inspect();
    const state = await this.state();
    const outputLimited = capture.floodedAt !== undefined;
    const exitCode = info.ExitCode ?? (this.killed ? 137 : null);
    // Docker flags OOMKilled only when the main process dies; for an exec'd step the kernel's
    // own counter in the container's memory cgroup tells whether the OOM killer struck.
    const oomKilled = state.oomKilled || (exitCode === 137 && !this.killed && (await this.newOomKills()) > 0);
    return {
      verdict: verdictOf({ exitCode, oomKilled, timedOut, outputLimited }),
      exitCode,
      durationMs: Date.now() - started,
      timedOut,
      outputLimited,
      oomKilled,
      output: capture.output.snapshot(),
      stdout: capture.stdout.snapshot(),
    };
  }

  /**
   * Runs argv and returns its raw stdout (e.g. a tar stream), or undefined when it fails or
   * writes more than maxBytes. Used only on trusted commands of the image (tar).
   */
  async execCaptureStdout(argv: string[], maxBytes: number, timeoutMs: number): Promise<Buffer | undefined> {
    const { exec, stream } = await this.startExec(argv);
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    const sink = new Writable({
      write: (chunk: Buffer, _enc, done) => {
        size += chunk.length;
        if (size > maxBytes) tooBig = true;
        else chunks.push(Buffer.from(chunk));
        done();
      },
    });
    this.docker.modem.demuxStream(stream, sink, new Writable({ write: (_c, _e, done) => done() }));
    const timer = setTimeout(() => (stream as unknown as { destroy(): void }).destroy(), timeoutMs);
    await streamEnded(stream);
    clearTimeout(timer);
    const info = await exec.inspect();
    return info.ExitCode === 0 && !tooBig ? Buffer.concat(chunks) : undefined;
  }

  /** Starts argv and returns at once; its output is captured (capped) while it runs. */
  async execInBackground(argv: string[], opts: Omit<StepRunOptions, 'timeoutMs' | 'signal' | 'stdoutBytes'>): Promise<BackgroundProcess> {
    const capture = new StreamCapture(opts.outputBytes, 1024, opts.killAfterOutputBytes ?? opts.outputBytes * 64, () => this.killSoon('output flood'), undefined, STEP_STDERR_TAIL_BYTES);
    const { exec, stream } = await this.startExec(argv, opts);
    capture.attach(this.docker, stream);
    let exitCode: number | null | undefined;
    const exited = streamEnded(stream).then(async () => {
      try {
        exitCode = (await exec.inspect()).ExitCode ?? null;
      } catch {
        exitCode = null;
      }
      return exitCode;
    });
    return { output: capture.output, exited, exitCode: () => exitCode, outputLimited: () => capture.floodedAt !== undefined };
  }

  /** Waits for the main process (spec.command) to exit, killing it at the deadline. */
  async waitForExit(timeoutMs: number, signal?: AbortSignal): Promise<StepRun> {
    const started = Date.now();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      this.killSoon('deadline');
    }, timeoutMs);
    const onAbort = () => this.killSoon('aborted');
    signal?.addEventListener('abort', onAbort, { once: true });
    let exitCode: number | null = null;
    try {
      const result = (await this.container.wait()) as { StatusCode?: number };
      exitCode = result.StatusCode ?? null;
      await this.mainStreamEnded;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
    signal?.throwIfAborted();
    const state = await this.state();
    const outputLimited = this.main.floodedAt !== undefined;
    return {
      verdict: verdictOf({ exitCode, oomKilled: state.oomKilled, timedOut, outputLimited }),
      exitCode,
      durationMs: Date.now() - started,
      timedOut,
      outputLimited,
      oomKilled: state.oomKilled,
      output: this.main.output.snapshot(),
      stdout: this.main.stdout.snapshot(),
    };
  }

  /** Peak memory of the container's cgroup in MB (cgroup v1 or v2), when the kernel reports it. */
  async memoryPeakMb(): Promise<number | undefined> {
    const fromHost = await readHostCgroupFile(this.id, { v1Controller: 'memory', v1: 'memory.max_usage_in_bytes', v2: 'memory.peak' });
    const argv = ['sh', '-c', 'cat /sys/fs/cgroup/memory.peak 2>/dev/null || cat /sys/fs/cgroup/memory/memory.max_usage_in_bytes'];
    const out = fromHost ?? (await this.execCaptureStdout(argv, 4096, 10_000).catch(() => undefined));
    const bytes = Number(out?.toString().trim());
    return Number.isFinite(bytes) && bytes > 0 ? Math.round((bytes / 1024 / 1024) * 10) / 10 : undefined;
  }

  /** OOM kills in this container's memory cgroup since the last call (cgroup v1 or v2). */
  async newOomKills(): Promise<number> {
    const total = await this.cgroupCounter({ v1Controller: 'memory', v1: 'memory.oom_control', v2: 'memory.events' }, 'oom_kill');
    const fresh = total - this.oomKillsSeen;
    this.oomKillsSeen = total;
    return fresh;
  }

  /** How often a fork or clone was refused because the pids limit was reached (cgroup v1 or v2). */
  async pidsLimitHits(): Promise<number> {
    return this.cgroupCounter({ v1Controller: 'pids', v1: 'pids.events', v2: 'pids.events' }, 'max');
  }

  /** Reads `<name> <count>` from the cgroup file, from the host or else from inside the container; 0 when it cannot be read. */
  private async cgroupCounter(file: { v1Controller: string; v1: string; v2: string }, name: string): Promise<number> {
    try {
      const text = (await readHostCgroupFile(this.id, file)) ?? (await this.readInside([`/sys/fs/cgroup/${file.v2}`, `/sys/fs/cgroup/${file.v1Controller}/${file.v1}`]));
      const match = new RegExp(`^${name} (\\d+)$`, 'm').exec(text);
      return match ? Number(match[1]) : 0;
    } catch {
      return 0;
    }
  }

  /** The first of `files` that exists, read by an exec in the container. */
  private async readInside(files: string[]): Promise<string> {
    const { stream } = await this.startExec(['cat', ...files]);
    const capture = new StreamCapture(8192, 8192, 1 << 20, () => {});
    capture.attach(this.docker, stream);
    await streamEnded(stream);
    return capture.stdout.snapshot().text;
  }

  async state(): Promise<{ running: boolean; exitCode: number | null; oomKilled: boolean }> {
    try {
      const info = await this.container.inspect();
      return { running: info.State.Running, exitCode: info.State.Running ? null : info.State.ExitCode, oomKilled: Boolean(info.State.OOMKilled) };
    } catch (err) {
      if (isAlreadyDone(err)) return { running: false, exitCode: null, oomKilled: false };
      throw err;
    }
  }

  /** The networks the container is attached to right now (empty means loopback only). */
  async networks(): Promise<string[]> {
    const info = await this.container.inspect();
    return Object.keys(info.NetworkSettings?.Networks ?? {});
  }

  /** Detaches the container from a network; candidate code must never run while attached. */
  async disconnect(network: string): Promise<void> {
    await this.docker.getNetwork(network).disconnect({ Container: this.container.id, Force: true });
    const still = await this.networks();
    if (still.length > 0) throw new Error(`container ${this.id} is still attached to ${still.join(', ')}`);
  }

  /**
   * Kills without waiting, from a timer or a stream callback: a failure (the engine refusing)
   * is logged, never left as an unhandled rejection; the step then ends by its own deadline.
   */
  killSoon(why: string): void {
    this.kill().catch((err: unknown) => this.log?.warn({ err, containerId: this.id, why }, 'kill failed'));
  }

  async kill(): Promise<void> {
    this.killed = true;
    try {
      await this.container.kill({ signal: 'SIGKILL' });
    } catch (err) {
      if (!isAlreadyDone(err) && !isConflict(err)) throw err;
    }
  }

  /** Force-removes the container; safe to call more than once. */
  async remove(): Promise<void> {
    if (this.removed) return;
    this.removed = true;
    await removeQuietly(this.container, true);
  }
}

/** How a container's main process's output is kept (see SandboxContainer.start). */
export interface MainCapture {
  outputBytes: number;
  stdoutBytes?: number;
  killAfterOutputBytes?: number;
  /** Where a kill that failed in the background is reported. */
  log?: Logger;
  /** Sees every stdout chunk of the main process as it arrives (e.g. a service's readiness line). */
  onStdout?: (chunk: Buffer) => void;
  /** The image prints LOADED_MARKER once it has loaded its tools: LaunchedSandbox.settled() waits for it. */
  printsLoaded?: boolean;
}

/** A started container waiting for its files (SandboxContainer.launch). */
export class LaunchedSandbox {
  private delivered = false;
  private ended = false;

  constructor(
    private readonly sandbox: SandboxContainer,
    private readonly stdin: NodeJS.WritableStream,
    private readonly marks: { received: Promise<void>; loaded: Promise<void> },
    private readonly mainEnded: Promise<void>,
    private readonly output: () => string,
  ) {
    void mainEnded.then(() => (this.ended = true));
  }

  /** Its entry point has ended (or the container died, e.g. with the engine): it can no longer take files. */
  get exited(): boolean {
    return this.ended;
  }

  get id(): string {
    return this.sandbox.id;
  }

  get spec(): SandboxSpec {
    return this.sandbox.spec;
  }

  /**
   * Resolves once the image has loaded its tools (for one that prints LOADED_MARKER), or has
   * ended, or after LOADED_WAIT_MS: until then a warm container still takes CPU.
   */
  async settled(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.marks.loaded, this.mainEnded, new Promise((resolve) => (timer = setTimeout(resolve, LOADED_WAIT_MS)))]);
    clearTimeout(timer);
  }

  /** Streams `files` (a tar archive) to the entry point; resolves once they are unpacked. A failure removes the container. */
  async deliver(files: Readable | Buffer): Promise<SandboxContainer> {
    if (this.delivered) throw new Error(`the ${this.spec.role} container ${this.id.slice(0, 12)} already has its files`);
    this.delivered = true;
    try {
      await writeAndClose(this.stdin, files);
      // Nothing may be exec'd before the files are unpacked; the container dying first is an error.
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        this.marks.received.then(() => 'received' as const),
        this.mainEnded.then(() => 'ended' as const),
        new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), RECEIVE_TIMEOUT_MS))),
      ]);
      clearTimeout(timer);
      if (outcome !== 'received') throw new Error(`sandbox ${this.spec.role} did not receive its files (${outcome}): ${this.output().slice(0, 500)}`);
      return this.sandbox;
    } catch (err) {
      await this.sandbox.remove().catch(() => undefined);
      throw err;
    }
  }

  /** Gives the container up (never delivered, or its job is over). */
  remove(): Promise<void> {
    return this.sandbox.remove();
  }
}

async function writeAndClose(stream: NodeJS.WritableStream, files: Readable | Buffer): Promise<void> {
  if (Buffer.isBuffer(files)) {
    await new Promise<void>((resolve, reject) => stream.write(files, (err) => (err ? reject(err) : resolve())));
  } else {
    for await (const chunk of files) {
      if (!stream.write(chunk as Buffer)) await new Promise((r) => stream.once('drain', r));
    }
  }
  stream.end();
}

/** Removes a container; "already gone" is success, and with `rethrow` other failures surface. */
async function removeQuietly(container: Docker.Container, rethrow = false): Promise<void> {
  try {
    await container.remove({ force: true, v: true });
  } catch (err) {
    if (isAlreadyDone(err) || isConflict(err)) return;
    if (rethrow) throw err;
  }
}
