/**
 * Grading a submission: fetch, pack, install, start, test, score, report, top to bottom.
 * The candidate's outcome is data in the report. A SubmissionError (bad URL, missing repo)
 * yields a `failed` report at once; any other error is the platform's and is rethrown so the
 * queue can retry it (see runner/worker/worker.ts).
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../config.ts';
import type { Challenge, ChallengeRepository } from '../challenges/repository.ts';
import { PlatformError, SubmissionError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { REPORT_SCHEMA_VERSION, type Flag, type Report, type Step } from '../report/schema.ts';
import { scoreResults, type RawResult } from '../report/score.ts';
import { SandboxContainer, isEngineUnavailable, type DockerClient, type Images, type SandboxNetwork } from '../sandbox/index.ts';
import { fetchRepository } from '../stages/fetch/index.ts';
import { DependencyCache } from '../stages/install/deps-cache.ts';
import { CA_BUNDLE_PATH, runInstall } from '../stages/install/install.ts';
import { pack } from '../stages/pack/pack.ts';
import { planRuntime, type RuntimePlan } from '../stages/runtime.ts';
import { prepareHiddenTests, runNodeTests } from '../stages/run/node-tests.ts';
import { runServiceStages, startGrader } from '../stages/run/service.ts';
import type { Stage } from '../store/states.ts';
import { RUNNER_VERSION } from '../version.ts';


export interface GradeInput {
  submissionId: string;
  attempt: number;
  challengeId: string;
  /** A git URL (checked against the fetch policy) ... */
  repoUrl?: string;
  /** ... or, for authors and the CLI only, a local folder graded as it is. */
  localPath?: string;
  ref?: string;
}

export interface GradeDeps {
  config: Config;
  docker: DockerClient;
  images: Images;
  challenges: ChallengeRepository;
  log: Logger;
  onStage?: (stage: Stage) => void | Promise<void>;
  /**
   * Called with the report as soon as it exists, before the containers are removed, so the
   * result is stored without waiting for the cleanup (which still completes before return).
   */
  onReport?: (report: Report) => Promise<void>;
  /**
   * Takes the container and work-dir cleanup to run after this function returns (the worker
   * tracks it and waits for it on shutdown), so a worker slot is free as soon as the report is
   * stored. Without it the cleanup is awaited here.
   */
  deferCleanup?: (cleanup: () => Promise<void>) => void;
}

/** Files candidates may not ship: they would reconfigure the install. */
const DROPPED_NAMES = ['.npmrc', '.yarnrc', '.yarnrc.yml'];

export async function gradeSubmission(input: GradeInput, deps: GradeDeps, signal?: AbortSignal): Promise<Report> {
  const startedAt = new Date();
  const timings: Record<string, number> = {};
  const steps: Step[] = [];
  const flags: Flag[] = [];
  const log = deps.log.child({ submissionId: input.submissionId, challenge: input.challengeId, attempt: input.attempt });
  const stage = async (s: Stage) => {
    log.info({ stage: s }, 'stage');
    await deps.onStage?.(s);
  };
  const timed = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    try {
      return await fn();
    } finally {
      timings[name] = Date.now() - t0;
    }
  };

  let challenge: Challenge | undefined;
  let commit: string | null = null;
  let memoryPeakMb: number | undefined;
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'assay-job-'));
  const containers: SandboxContainer[] = [];
  let candidateBox: SandboxContainer | undefined;
  // Service challenges: the grader container starts while the repository is fetched; the
  // candidate later joins its network namespace (see runner/stages/run/service.ts).
  let earlyGrader: Promise<SandboxContainer> | undefined;
  const specBase = { jobId: input.submissionId, workerId: deps.config.worker.id, runtime: deps.config.docker.runtime, deployment: deps.config.redis.prefix };
  try {
    challenge = await deps.challenges.load(input.challengeId);
    const { manifest } = challenge;
    const ref = input.ref ?? 'HEAD';
    if (manifest.kind === 'service') {
      earlyGrader = startGrader(deps.docker, challenge, deps.images.grader, specBase, { mode: 'none' });
      earlyGrader.catch(() => undefined); // awaited (and its error surfaced) where it is used
    }

    // 1. Fetch
    await stage('fetching');
    let repoDir: string;
    if (input.localPath) {
      repoDir = path.resolve(input.localPath);
      steps.push({ name: 'fetch', status: 'skipped', durationMs: 0, reason: `graded from the local folder ${repoDir}` });
    } else if (input.repoUrl) {
      repoDir = path.join(workDir, 'repo');
      await mkdir(repoDir);
      const fetched = await timed('fetch', () =>
        fetchRepository(
          {
            repoUrl: input.repoUrl!,
            ref,
            destDir: repoDir,
            policy: deps.config.fetch.policy,
            timeoutMs: deps.config.fetch.timeoutMs,
            maxBytes: deps.config.fetch.maxBytes,
            lowSpeedBytesPerSecond: deps.config.fetch.lowSpeedBytesPerSecond,
            lowSpeedSeconds: deps.config.fetch.lowSpeedSeconds,
            tokens: deps.config.fetch.tokens,
          },
          signal,
        ),
      );
      commit = fetched.commit;
      steps.push({ name: 'fetch', status: 'passed', durationMs: fetched.durationMs });
    } else {
      throw new SubmissionError('URL_REJECTED', 'a repository URL is required');
    }

    // 2. Detect the runtime and pack the workspace.
    await stage('packing');
    const plan = await planRuntime(repoDir, manifest.runtimes, deps.config.install.npmRegistry);
    const hidden = manifest.kind === 'tests' ? prepareHiddenTests(challenge) : undefined;
    const online = manifest.install.network === 'registry';
    const installs = 'runtime' in plan && plan.install.kind === 'run';
    // node_modules from the dependency cache, when this exact lockfile was installed before.
    const cache = new DependencyCache(deps.config.install.cacheDir, deps.config.install.cacheMaxMb * 1024 * 1024);
    const cacheKey = 'runtime' in plan && plan.install.kind === 'run' && plan.install.lockfileHash ? cache.key(plan.install.lockfileHash, deps.images.node.id, deps.config.install.npmRegistry) : undefined;
    const cachedDeps = cacheKey ? await cache.get(cacheKey) : undefined;
    const caBundle = online && deps.config.install.caFile ? await readFile(deps.config.install.caFile) : undefined;
    const packed = await timed('pack', () =>
      pack(
        {
          repoDir,
          limits: deps.config.pack,
          // A committed node_modules would be replaced by the install anyway; dropping it keeps it out of the cache.
          reservedPaths: ['.assay', manifest.suite.workspacePath, ...(installs ? ['node_modules'] : [])],
          droppedNames: DROPPED_NAMES,
          extraFiles: [...(hidden?.files ?? []), ...(caBundle ? [{ path: CA_BUNDLE_PATH, content: caBundle }] : [])],
        },
        signal,
      ),
    );
    steps.push({ name: 'pack', status: 'passed', durationMs: timings.pack ?? 0, reason: `${packed.files} files, ${packed.bytes} bytes` });
    if (packed.droppedCount > 0) {
      flags.push({ code: 'files_dropped', message: `${packed.droppedCount} entries left out: ${packed.dropped.slice(0, 5).map((d) => `${d.path} (${d.reason})`).join(', ')}` });
    }

    if ('missing' in plan) {
      return await finish({ results: [], notRunReason: `not run: ${plan.missing}`, extraSteps: [{ name: 'start', status: 'failed', durationMs: 0, reason: plan.missing }] });
    }

    // 3. Sandbox, install.
    const needsNetwork = plan.install.kind === 'run' && online && !cachedDeps;
    // An install that reaches the registry needs the candidate in its own namespace (on the
    // install bridge); then the early grader is dropped and a new one joins the candidate later.
    const graderOwnsNetwork = earlyGrader && !needsNetwork ? await timed('grader', () => earlyGrader!) : undefined;
    if (earlyGrader && !graderOwnsNetwork) await discardGrader(earlyGrader);
    const network: SandboxNetwork = needsNetwork
      ? { mode: 'bridge', name: deps.config.install.network }
      : graderOwnsNetwork
        ? { mode: 'container', containerId: graderOwnsNetwork.id }
        : { mode: 'none' };
    const image = plan.runtime === 'node' ? deps.images.node : deps.images.python;
    const box = await timed('sandbox', () =>
      SandboxContainer.start(
        deps.docker,
        {
          ...specBase,
          image: image.tag,
          role: 'candidate',
          network,
          limits: { memoryMb: manifest.limits.memoryMb, cpus: manifest.limits.cpus, pids: manifest.limits.pids, workspaceMb: manifest.limits.workspaceMb },
        },
        cachedDeps ? Buffer.concat([cachedDeps, packed.tar]) : packed.tar,
        { outputBytes: manifest.limits.outputBytes },
      ),
    );
    containers.push(box);
    candidateBox = box;
    await stage('installing');
    const install = cachedDeps
      ? ({ name: 'install', status: 'passed', durationMs: 0, reason: `restored node_modules from the dependency cache (lockfile ${cacheKey!.slice(0, 12)})` } satisfies Step)
      : await timed('install', () =>
          runInstall({ box, plan: plan.install, registry: deps.config.install.npmRegistry, online, hasCaBundle: Boolean(caBundle), timeoutMs: manifest.limits.installTimeoutMs, outputBytes: manifest.limits.outputBytes, signal }),
        );
    steps.push(install);
    if (cacheKey && !cachedDeps && install.status === 'passed') {
      // Taken before any candidate code has run: only npm (scripts off) has touched node_modules.
      const archive = await box.execCaptureStdout(['tar', '-c', '-C', '/workspace', 'node_modules'], deps.config.install.cacheMaxMb * 1024 * 1024, 60_000);
      if (archive) await cache.put(cacheKey, archive).catch((err: unknown) => log.warn({ err }, 'dependency cache write failed'));
    }
    if (needsNetwork) await box.disconnect(deps.config.install.network); // before any candidate code runs
    if (install.status === 'failed') {
      if (install.verdict === 'oom_killed' || install.verdict === 'timeout') flags.push({ code: 'resource_limit', message: `the install was ${install.reason}` });
      return await finish({ results: [], notRunReason: 'not run: the dependencies did not install', plan });
    }

    // 4. Start and test.
    if (manifest.kind === 'service') {
      await stage('starting');
      const grader = graderOwnsNetwork ?? (await timed('grader', () => startGrader(deps.docker, challenge!, deps.images.grader, specBase, { mode: 'container', containerId: box.id })));
      if (!graderOwnsNetwork) containers.push(grader);
      const out = await timed('startAndTest', () =>
        runServiceStages({ candidate: box, grader, challenge: challenge!, startArgv: plan.startArgv, signal, onTesting: () => void stage('testing') }),
      );
      steps.push(out.start, out.test);
      flags.push(...out.flags);
      timings.start = out.start.durationMs;
      timings.test = out.test.durationMs;
      return await finish({ results: out.results, notRunReason: out.notRunReason, plan, usedGrader: true });
    }
    await stage('testing');
    const out = await timed('test', () => runNodeTests(box, challenge!, hidden!, signal));
    steps.push(out.test);
    flags.push(...out.flags);
    return await finish({ results: out.results, notRunReason: out.notRunReason, plan });
  } catch (err) {
    if (err instanceof SubmissionError) return await failedReport(err);
    if (isEngineUnavailable(err)) throw new PlatformError('SANDBOX_UNAVAILABLE', 'the container engine is unavailable', true, { cause: err });
    throw err;
  } finally {
    const cleanup = async () => {
      for (const c of containers) {
        await c.remove().catch((cleanupErr: unknown) => log.warn({ err: cleanupErr, containerId: c.id }, 'container removal failed'));
      }
      if (earlyGrader) await discardGrader(earlyGrader);
      await rm(workDir, { recursive: true, force: true }).catch((cleanupErr: unknown) => log.warn({ err: cleanupErr }, 'work dir removal failed'));
    };
    if (deps.deferCleanup) deps.deferCleanup(cleanup);
    else await cleanup();
  }

  async function discardGrader(grader: Promise<SandboxContainer>): Promise<void> {
    await grader.then(
      (g) => g.remove().catch((cleanupErr: unknown) => log.warn({ err: cleanupErr, containerId: g.id }, 'container removal failed')),
      () => undefined,
    );
  }

  function base(): Omit<Report, 'status' | 'score' | 'categories' | 'tests' | 'runtime'> {
    return {
      schemaVersion: REPORT_SCHEMA_VERSION,
      submissionId: input.submissionId,
      attempt: input.attempt,
      challenge: { id: input.challengeId, version: challenge?.manifest.version ?? 'unknown', suiteHash: challenge?.suiteHash ?? '' },
      repoUrl: input.repoUrl ?? `file:${input.localPath ?? ''}`,
      ref: input.ref ?? 'HEAD',
      commit,
      steps,
      flags,
      resources: {
        oomKilled: flags.some((f) => f.code === 'resource_limit' && f.message.includes('memory')),
        memoryLimitMb: challenge?.manifest.limits.memoryMb ?? 0,
        cpus: challenge?.manifest.limits.cpus ?? 0,
        pidsLimit: challenge?.manifest.limits.pids ?? 0,
        ...(memoryPeakMb !== undefined ? { memoryPeakMb } : {}),
      },
      timings: { ...timings, totalMs: Date.now() - startedAt.getTime() },
      runner: { version: RUNNER_VERSION, workerId: deps.config.worker.id, images: {} },
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
    };
  }

  async function finish(o: { results: RawResult[]; notRunReason?: string; plan?: RuntimePlan; extraSteps?: Step[]; usedGrader?: boolean }): Promise<Report> {
    await stage('scoring');
    memoryPeakMb = await candidateBox?.memoryPeakMb().catch(() => undefined);
    steps.push(...(o.extraSteps ?? []));
    const scored = scoreResults(challenge!.manifest.tests, o.results, o.notRunReason);
    flags.push(...scored.flags);
    const report: Report = { ...base(), status: 'completed', runtime: o.plan?.runtime ?? null, score: scored.score, categories: scored.categories, tests: scored.tests };
    if (o.plan) report.runner.images.candidate = o.plan.runtime === 'node' ? deps.images.node : deps.images.python;
    if (o.usedGrader) report.runner.images.grader = deps.images.grader;
    log.info({ score: report.score, flags: flags.map((f) => f.code) }, 'graded');
    await deps.onReport?.(report);
    return report;
  }

  async function failedReport(err: SubmissionError): Promise<Report> {
    log.info({ code: err.code }, 'submission could not be graded');
    const maxPoints = challenge?.manifest.tests.reduce((s, t) => s + t.points, 0) ?? 0;
    const report: Report = {
      ...base(),
      status: 'failed',
      runtime: null,
      score: { points: 0, maxPoints, percent: 0 },
      categories: [],
      tests: [],
      error: { code: err.code, message: err.message, fault: 'submission' },
    };
    await deps.onReport?.(report);
    return report;
  }
}
