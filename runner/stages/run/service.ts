/**
 * Start and test stages of a service challenge. The candidate's service runs with no network;
 * the trusted grader shares one network namespace with it (either the grader owns it and the
 * candidate joins, which lets the grader container start while the repository is fetched, or,
 * after an install that needed the registry, the grader joins the candidate's), and the hidden
 * HTTP suite reaches the service on 127.0.0.1 only. The harness waits for the service to accept
 * connections, bounded by the challenge's start timeout.
 *
 * When the manifest names a `service.driverPort`, Assay's driver (baked into the Node image)
 * runs beside the service: the suite's unit-level checks call the candidate's modules through
 * it, and compare the answers in the grader, so no verdict is computed where candidate code runs.
 *
 * The challenge's services (Postgres, Redis: runner/stages/services/) are ready before the
 * service starts; their variables (DATABASE_URL, PG*, REDIS_URL) are added to its environment,
 * and the harness gets its own connection settings (ASSAY_SERVICES). A suite may restart the
 * service (./candidate-service.ts has the protocol); each restart is in the report.
 *
 * Kills are reported with their cause: the output cap (`output_limit`), memory and the pids
 * limit (`resource_limit`), a service that stopped answering (`service_unresponsive`).
 */
import { PlatformError } from '../../errors.ts';
import type { Logger } from '../../log.ts';
import type { Challenge } from '../../challenges/repository.ts';
import type { Flag, Restart, Step } from '../../report/schema.ts';
import type { RawResult } from '../../report/score.ts';
import type { TestOutcome } from './outcome.ts';
import { SandboxContainer, describeVerdict, type CappedText, type DockerClient, type ImageRef, type LaunchedSandbox, type SandboxNetwork, type SandboxSpec } from '../../sandbox/index.ts';
import type { Job } from '../job.ts';
import { createTar } from '../pack/tar.ts';
import type { RuntimePlan } from '../plan/index.ts';
import { NO_SERVICES, type RunningServices } from '../services/stage.ts';
import { CandidateService } from './candidate-service.ts';
import { parseHarnessOutput, restartRequestId } from './harness-output.ts';
import { exitedReason, withHints } from './start-failure.ts';

const GRADER_LIMITS = { memoryMb: 256, cpus: 1, pids: 128, workspaceMb: 32 };
const HARNESS_SLACK_MS = 5_000;
/** Where the Node image keeps the driver (sandbox-images/node/driver.mjs). */
const DRIVER = '/opt/assay/driver.mjs';
/** Request timeouts in a row after which the harness gives a target up (see the harness). */
const UNRESPONSIVE_AFTER = 3;

/** A grader container waiting for its suite (a warm one is launched before its job: runner/sandbox/warm.ts). */
export function launchGrader(docker: DockerClient, image: ImageRef, specBase: Pick<SandboxSpec, 'jobId' | 'workerId' | 'runtime' | 'deployment'>, network: SandboxNetwork, log?: Logger): Promise<LaunchedSandbox> {
  return SandboxContainer.launch(docker, { ...specBase, image: image.tag, role: 'grader', limits: GRADER_LIMITS, network }, { outputBytes: 16 * 1024, log });
}

/**
 * Starts the grader container holding the suite, idle until the harness is exec'd into it.
 * `network` is none (the grader owns the namespace) or the candidate's container. `warm`, a
 * grader launched before the job with the same network, is used if it is there and takes the suite.
 */
export async function startGrader(
  docker: DockerClient,
  challenge: Challenge,
  image: ImageRef,
  specBase: Pick<SandboxSpec, 'jobId' | 'workerId' | 'runtime' | 'deployment'>,
  network: SandboxNetwork,
  log?: Logger,
  warm?: Promise<LaunchedSandbox | undefined>,
): Promise<SandboxContainer> {
  const suiteTar = await createTar(challenge.suiteFiles.map((f) => ({ type: 'file' as const, path: `suite/${f.path}`, content: f.content })));
  const taken = await warm;
  if (taken) {
    log?.info({ containerId: taken.id }, 'warm grader taken');
    const ready = await taken.deliver(suiteTar).catch((err: unknown) => log?.warn({ err, containerId: taken.id }, 'the warm grader failed; starting another'));
    if (ready) return ready;
  }
  return (await launchGrader(docker, image, specBase, network, log)).deliver(suiteTar);
}

export interface ServiceStageInput {
  candidate: SandboxContainer;
  grader: SandboxContainer;
  challenge: Challenge;
  startArgv: string[];
  /** Extra environment of the start command (e.g. PATH into a virtual environment); PORT is always set. */
  startEnv?: Record<string, string>;
  /** What the start step's reason adds when the service exits before accepting connections (the plan's). */
  startHints?: string[];
  /** The challenge's services (Postgres, Redis): their variables go to the service, their clients' settings to the harness. */
  services?: RunningServices;
  signal?: AbortSignal;
  /** Called once the service accepts connections and the tests begin; must not throw. */
  onTesting?: () => void;
  log: Logger;
}

export interface ServiceStageResult {
  start: Step;
  test: Step;
  results: RawResult[];
  /** Why tests without a result did not run. */
  notRunReason?: string;
  flags: Flag[];
  /** Restarts of the service the suite asked for. */
  restarts: Restart[];
}

export async function runServiceStages(input: ServiceStageInput): Promise<ServiceStageResult> {
  const { candidate, grader } = input;
  const { manifest } = input.challenge;
  const { limits } = manifest;
  const port = manifest.service.port;
  const driverPort = manifest.service.driverPort;
  // Passed explicitly, so a report can name the cap the service ran into.
  const outputCap = limits.outputBytes * 64;
  const started = Date.now();
  const services = input.services ?? NO_SERVICES;
  const candidateService = await CandidateService.start(
    candidate,
    input.startArgv,
    { outputBytes: limits.outputBytes, killAfterOutputBytes: outputCap, env: { ...input.startEnv, ...services.candidateEnv, PORT: String(port) } },
    input.log,
  );
  const service = candidateService.current;
  const driver = driverPort === undefined ? undefined : await candidate.execInBackground(['node', DRIVER, '--port', String(driverPort)], { outputBytes: limits.outputBytes, killAfterOutputBytes: outputCap });

  // The harness's READY line and its restart requests, noticed as they stream (a line may span chunks).
  let ready = false;
  let recent = '';
  let partial = '';
  const onStdout = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    // Checked before trimming: one chunk can carry READY and the first results after it.
    const seen = recent + text;
    if (seen.includes('ASSAY_READY')) ready = true;
    recent = seen.slice(-256);
    const lines = (partial + text).split('\n');
    partial = lines.pop()!.slice(-4096); // a restart request is short; a longer line is something else
    for (const line of lines) {
      const id = restartRequestId(line);
      if (id === undefined) continue;
      ready = true; // only a running suite asks; the service's end that follows must not stop the grader
      candidateService.requestRestart(id, grader);
    }
  };
  // If the service dies before it ever listened, stop waiting for it.
  service.exited
    .then(async () => {
      if (!ready) await grader.kill();
    })
    .catch((err: unknown) => input.log.warn({ err, containerId: grader.id }, 'could not stop the grader after the service died'));
  const run = await grader.exec(
    [
      'node', '/opt/assay/grader/harness.mjs',
      '--suite', `/workspace/suite/${manifest.suite.entry}`,
      '--port', String(port),
      ...(driverPort === undefined ? [] : ['--driver-port', String(driverPort)]),
      '--ready-timeout-ms', String(limits.startTimeoutMs),
      '--test-timeout-ms', String(limits.perTestTimeoutMs),
      '--total-timeout-ms', String(limits.testTimeoutMs),
      '--max-response-bytes', String(1024 * 1024),
      '--unresponsive-after', String(UNRESPONSIVE_AFTER),
    ],
    { timeoutMs: limits.startTimeoutMs + limits.testTimeoutMs + HARNESS_SLACK_MS, outputBytes: 64 * 1024, stdoutBytes: 2 * 1024 * 1024, killAfterOutputBytes: 16 * 1024 * 1024, onStdout, signal: input.signal, env: { ...services.graderEnv } },
  );
  await candidateService.settled(); // no restart still running while the results are read
  const parsed = parseHarnessOutput(run.stdout.text);
  const restarts = parsed.restarts ?? [];
  const serviceState = await candidate.state();
  const serviceLog = withDriverLog(candidateService.output(), driver?.output.snapshot());
  const flags: Flag[] = [];

  if (parsed.suiteError) throw new PlatformError('SUITE_BROKEN', `the ${manifest.id} suite failed to load: ${parsed.suiteError}`);

  // Our own kills first: they explain the exit code that follows them.
  const flooded = [...candidateService.processes, ...(driver ? [driver] : [])].find((p) => p.outputLimited());
  if (flooded) {
    const who = flooded !== driver ? 'the service' : "the driver's process (the candidate's modules)";
    flags.push({ code: 'output_limit', message: `${who} wrote ${flooded.output.totalBytes} bytes of output, over the cap of ${outputCap} bytes, so the container was stopped` });
  }
  if (!serviceState.running && !flooded && !serviceState.oomKilled) {
    flags.push({ code: 'sandbox_stopped', message: "the candidate's container stopped while it was being graded: its own code ended it (for example by signalling its init process)" });
  }
  const pidsFlag = async (): Promise<void> => {
    // The counter is read by an exec in the candidate's container, so none after a kill.
    const refused = flooded ? 0 : await candidate.pidsLimitHits();
    if (refused > 0) flags.push({ code: 'resource_limit', message: `the candidate's container hit its process limit of ${limits.pids} (pids): ${refused} forks or threads were refused` });
  };

  if (!parsed.ready) {
    // Wait for the exit code if the service's end is what stopped the grader.
    if (!parsed.notReady) await Promise.race([service.exited, new Promise((r) => setTimeout(r, 2000))]);
    const exit = service.exitCode();
    if (!parsed.notReady && exit === undefined && !serviceState.oomKilled && !flooded) {
      throw new PlatformError('SUITE_BROKEN', `the grader ended without a verdict (${describeVerdict(run.verdict, run)}): ${run.output.text.slice(-500)}`);
    }
    const killedForMemory = !flooded && (serviceState.oomKilled || (exit === 137 && (await candidate.newOomKills()) > 0));
    const why = flooded
      ? `the service was stopped before accepting connections: it wrote more than ${outputCap} bytes of output`
      : exit !== undefined && !killedForMemory
        ? exitedReason(exit, serviceLog.text, input.startHints)
        : killedForMemory
          ? 'the service was killed for using more than its memory limit'
          : withHints(parsed.notReady ?? `nothing accepted connections on port ${port} within ${limits.startTimeoutMs} ms`, input.startHints);
    if (killedForMemory) flags.push({ code: 'resource_limit', message: `the service hit its memory limit of ${limits.memoryMb} MB` });
    await pidsFlag();
    return {
      start: { name: 'start', status: 'failed', durationMs: Date.now() - started, reason: why, log: serviceLog },
      test: { name: 'test', status: 'skipped', durationMs: 0, reason: 'the service did not start' },
      results: [],
      notRunReason: `not run: ${why}`,
      flags,
      restarts,
    };
  }
  input.onTesting?.();
  const serviceExit = candidateService.current.exitCode();
  // Docker flags OOMKilled only for the main process; the service is an exec'd process, so the
  // memory cgroup's own OOM counter tells whether it was killed for memory.
  const oomKilled = !flooded && (serviceState.oomKilled || (serviceExit === 137 && (await candidate.newOomKills()) > 0));
  if (oomKilled) flags.push({ code: 'resource_limit', message: `the service hit its memory limit of ${limits.memoryMb} MB` });
  if (serviceExit !== undefined) {
    const cause = flooded ? ` (stopped at the output cap of ${outputCap} bytes)` : oomKilled ? ' (killed for memory)' : '';
    flags.push({ code: 'service_crashed', message: `the service exited with code ${serviceExit}${cause} during the tests` });
  } else {
    // It crashed, and a restart the suite asked for brought it back: still a crash.
    const crashed = candidateService.crashesBeforeRestarts()[0];
    if (crashed !== undefined) flags.push({ code: 'service_crashed', message: `the service exited with code ${crashed} during the tests (a restart the tests asked for started it again)` });
  }
  await pidsFlag();
  for (const u of parsed.unresponsive ?? []) {
    const who = u.target === 'driver' ? "the driver (the candidate's modules it calls)" : 'the service';
    flags.push({ code: 'service_unresponsive', message: `${who} stopped answering: ${u.timeouts} requests in a row got no complete response, so the tests left failed at once instead of each waiting for its timeout` });
  }
  if (driver && parsed.ready.driverReady === false) {
    flags.push({ code: 'service_unresponsive', message: `the driver did not accept connections on port ${driverPort} within ${limits.startTimeoutMs} ms, so every check through it failed` });
  }
  const finished = parsed.done;
  return {
    start: { name: 'start', status: 'passed', durationMs: parsed.ready.readyMs, log: serviceLog },
    test: {
      name: 'test',
      status: finished ? 'passed' : 'failed',
      verdict: run.verdict,
      durationMs: Math.max(0, run.durationMs - parsed.ready.readyMs),
      ...(finished ? {} : { reason: `the grader ${describeVerdict(run.verdict, run)} before every test ran` }),
      log: run.output,
    },
    results: parsed.results,
    notRunReason: finished ? undefined : 'not run: the test step ran out of time',
    flags,
    restarts,
  };
}

/** The service's log, followed by the driver's when the candidate's modules printed anything there. */
function withDriverLog(serviceLog: CappedText, driverLog?: CappedText): CappedText {
  if (!driverLog || driverLog.totalBytes === 0) return serviceLog;
  return {
    text: `${serviceLog.text}\n--- output of the candidate's modules in Assay's driver ---\n${driverLog.text}`,
    totalBytes: serviceLog.totalBytes + driverLog.totalBytes,
    cutBytes: serviceLog.cutBytes + driverLog.cutBytes,
  };
}

/**
 * The start and test steps of a service challenge, as a stage: the grader is the one whose
 * namespace the candidate joined, or a new one that joins the candidate's (after an install
 * that needed the install bridge).
 */
export async function serviceStage(job: Job, plan: RuntimePlan, candidate: SandboxContainer, sharedGrader?: SandboxContainer, servicesStarting?: Promise<RunningServices>): Promise<TestOutcome> {
  // The challenge's services (runner/stages/services/) started with the grader; one that did not get ready is the platform's failure.
  const services = (await servicesStarting) ?? NO_SERVICES;
  await job.progress('starting');
  const grader =
    sharedGrader ?? (await job.report.timed('grader', () => job.containers.track(startGrader(job.docker, job.challenge, job.images.grader, job.specBase, { mode: 'container', containerId: candidate.id }, job.log))));
  job.report.useImage('grader', job.images.grader);
  const out = await job.report.timed('startAndTest', () =>
    runServiceStages({ candidate, grader, challenge: job.challenge, startArgv: plan.startArgv, ...(plan.startEnv ? { startEnv: plan.startEnv } : {}), ...(plan.startHints ? { startHints: plan.startHints } : {}), services, signal: job.signal, onTesting: () => job.progressSoon('testing'), log: job.log }),
  );
  for (const restart of out.restarts) job.report.restart(restart);
  job.report.step(out.start);
  job.report.step(out.test);
  job.report.flag(...out.flags);
  job.report.timing('start', out.start.durationMs);
  job.report.timing('test', out.test.durationMs);
  return { results: out.results, ...(out.notRunReason ? { notRunReason: out.notRunReason } : {}) };
}
