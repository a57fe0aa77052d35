/**
 * Start and test stages of a service challenge. The candidate's service is started inside its
 * network-less container; the trusted grader joins that container's network namespace and runs
 * the hidden HTTP suite against 127.0.0.1. The grader starts while the service boots, and waits
 * for it to accept connections, bounded by the challenge's start timeout.
 */
import { PlatformError } from '../../errors.ts';
import type { Challenge } from '../../challenges/repository.ts';
import type { Flag, Step } from '../../report/schema.ts';
import type { RawResult } from '../../report/score.ts';
import { SandboxContainer, describeVerdict, type DockerClient, type ImageRef, type SandboxSpec } from '../../sandbox/index.ts';
import { createTar } from '../pack/tar.ts';
import { parseHarnessOutput } from './harness-output.ts';

export interface ServiceStageInput {
  docker: DockerClient;
  candidate: SandboxContainer;
  challenge: Challenge;
  graderImage: ImageRef;
  startArgv: string[];
  /** Labels and runtime shared with the candidate's container. */
  specBase: Pick<SandboxSpec, 'jobId' | 'workerId' | 'runtime' | 'deployment'>;
  signal?: AbortSignal;
  onTesting?: () => void;
}

export interface ServiceStageResult {
  start: Step;
  test: Step;
  results: RawResult[];
  /** Why tests without a result did not run. */
  notRunReason?: string;
  flags: Flag[];
}

const GRADER_LIMITS = { memoryMb: 256, cpus: 1, pids: 128, workspaceMb: 32 };
const HARNESS_SLACK_MS = 5_000;

export async function runServiceStages(input: ServiceStageInput): Promise<ServiceStageResult> {
  const { manifest } = input.challenge;
  const { limits } = manifest;
  const port = manifest.service.port;
  const started = Date.now();
  const service = await input.candidate.execInBackground(input.startArgv, { outputBytes: limits.outputBytes, env: { PORT: String(port) } });

  const suiteTar = await createTar(input.challenge.suiteFiles.map((f) => ({ type: 'file' as const, path: `suite/${f.path}`, content: f.content })));
  const grader = await SandboxContainer.start(
    input.docker,
    {
      ...input.specBase,
      image: input.graderImage.tag,
      role: 'grader',
      limits: GRADER_LIMITS,
      network: { mode: 'container', containerId: input.candidate.id },
      command: [
        'node', '/opt/assay/grader/harness.mjs',
        '--suite', `/workspace/suite/${manifest.suite.entry}`,
        '--port', String(port),
        '--ready-timeout-ms', String(limits.startTimeoutMs),
        '--test-timeout-ms', String(limits.perTestTimeoutMs),
        '--total-timeout-ms', String(limits.testTimeoutMs),
        '--max-response-bytes', String(1024 * 1024),
      ],
    },
    suiteTar,
    { outputBytes: 64 * 1024, stdoutBytes: 2 * 1024 * 1024, killAfterOutputBytes: 16 * 1024 * 1024 },
  );
  try {
    // If the service dies before it ever listened, stop waiting for it.
    void service.exited.then(async () => {
      if (!grader.mainOutput().text.includes('ASSAY_READY')) await grader.kill();
    });
    const run = await grader.waitForExit(limits.startTimeoutMs + limits.testTimeoutMs + HARNESS_SLACK_MS, input.signal);
    const parsed = parseHarnessOutput(run.stdout.text);
    const serviceState = await input.candidate.state();
    const serviceLog = service.output.snapshot();
    const flags: Flag[] = [];

    if (parsed.suiteError) throw new PlatformError('SUITE_BROKEN', `the ${manifest.id} suite failed to load: ${parsed.suiteError}`);

    if (!parsed.ready) {
      // Wait for the exit code if the service's end is what stopped the grader.
      if (!parsed.notReady) await Promise.race([service.exited, new Promise((r) => setTimeout(r, 2000))]);
      const exit = service.exitCode();
      if (!parsed.notReady && exit === undefined && !serviceState.oomKilled) {
        throw new PlatformError('SUITE_BROKEN', `the grader ended without a verdict (${describeVerdict(run.verdict, run)}): ${run.output.text.slice(-500)}`);
      }
      const why =
        exit !== undefined
          ? `the service exited with code ${exit} before accepting connections`
          : serviceState.oomKilled
            ? 'the service was killed for using more than its memory limit'
            : (parsed.notReady ?? `nothing accepted connections on port ${port} within ${limits.startTimeoutMs} ms`);
      return {
        start: { name: 'start', status: 'failed', durationMs: Date.now() - started, reason: why, log: serviceLog },
        test: { name: 'test', status: 'skipped', durationMs: 0, reason: 'the service did not start' },
        results: [],
        notRunReason: `not run: ${why}`,
        flags,
      };
    }
    input.onTesting?.();
    if (serviceState.oomKilled) flags.push({ code: 'resource_limit', message: `the service hit its memory limit of ${limits.memoryMb} MB` });
    const serviceExit = service.exitCode();
    if (serviceExit !== undefined) flags.push({ code: 'service_crashed', message: `the service exited with code ${serviceExit} during the tests` });
    const finished = parsed.done;
    const testStep: Step = {
      name: 'test',
      status: finished ? 'passed' : 'failed',
      verdict: run.verdict,
      durationMs: Math.max(0, run.durationMs - parsed.ready.readyMs),
      ...(finished ? {} : { reason: `the grader ${describeVerdict(run.verdict, run)} before every test ran` }),
      log: run.output,
    };
    return {
      start: { name: 'start', status: 'passed', durationMs: parsed.ready.readyMs, log: serviceLog },
      test: testStep,
      results: parsed.results,
      notRunReason: finished ? undefined : 'not run: the test step ran out of time',
      flags,
    };
  } finally {
    await grader.remove();
  }
}
