/**
 * Grading one submission: fetch, pack, install, build, start and test, score, top to bottom. Each
 * stage is a module under runner/stages/ taking the Job (runner/stages/job.ts) and adding its
 * steps and flags to the job's ReportBuilder. The candidate's outcome is data in the report. A
 * SubmissionError (bad URL, missing repository) yields a `failed` report at once; any other
 * error is the platform's and is rethrown so the queue can retry it (runner/worker/worker.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ChallengeRepository } from '../challenges/repository.ts';
import type { Config } from '../config.ts';
import { PlatformError, SubmissionError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { ReportBuilder, type Outcome } from '../report/builder.ts';
import type { Report } from '../report/schema.ts';
import { isEngineUnavailable, type DockerClient, type Images, type WarmContainers } from '../sandbox/index.ts';
import { startAnalysis } from '../stages/analysis/stage.ts';
import { buildStage } from '../stages/build/stage.ts';
import { fetchStage } from '../stages/fetch/stage.ts';
import { installStage } from '../stages/install/stage.ts';
import { JobContainers, type Fingerprinted, type Job } from '../stages/job.ts';
import { startOwnTests } from '../stages/own-tests/stage.ts';
import { packStage } from '../stages/pack/stage.ts';
import { nodeTestsStage } from '../stages/run/node-tests.ts';
import { candidateStopsAreOutcomes } from '../stages/run/outcome.ts';
import { serviceStage, startGrader } from '../stages/run/service.ts';
import { progressLine, type ProgressLine } from './progress.ts';
import { servicesStage } from '../stages/services/stage.ts';
import type { Stage } from '../store/states.ts';

export interface GradeInput {
  submissionId: string;
  attempt: number;
  challengeId: string;
  /** A git URL (checked against the fetch policy) ... */
  repoUrl?: string;
  /** ... or, for authors and the CLI only, a local folder graded as it is. */
  localPath?: string;
  ref?: string;
  /** The subdirectory of the repository where the service lives (the submission's `path`); the root when absent. */
  path?: string;
}

export interface GradeDeps {
  config: Config;
  docker: DockerClient;
  images: Images;
  challenges: ChallengeRepository;
  log: Logger;
  /** Records progress (the worker writes it to the submission record). */
  onStage?: (stage: Stage) => void | Promise<void>;
  /**
   * Takes the container and work-dir cleanup to run after this function returns (the worker
   * tracks it and waits for it on shutdown), so the report can be stored while the containers
   * are still being removed. Without it the cleanup is awaited here.
   */
  deferCleanup?: (cleanup: () => Promise<void>) => void;
  /** The worker's warm containers (./warm.ts): the job takes its grader and analysis container from them (the worker fills them up when it is idle). */
  warm?: WarmContainers;
  /** Takes the similarity fingerprints the analysis stage took (runner/store/similarity.ts compares them). */
  onFingerprints?: (taken: Fingerprinted) => void;
}

export async function gradeSubmission(input: GradeInput, deps: GradeDeps, signal?: AbortSignal): Promise<Report> {
  const log = deps.log.child({ submissionId: input.submissionId, challenge: input.challengeId, attempt: input.attempt });
  const report = new ReportBuilder({ ...input, ref: input.ref ?? 'HEAD', repoUrl: input.repoUrl ?? `file:${input.localPath ?? ''}`, workerId: deps.config.worker.id });
  const containers = new JobContainers(log);
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'assay-job-'));
  const progress = progressLine(log, deps.onStage);
  let failed = false;
  try {
    const job = await openJob(input, deps, progress, { log, report, containers, workDir, signal });
    // Service challenges: the grader starts while the repository is fetched (the candidate joins its namespace).
    const earlyGrader = job.challenge.manifest.kind === 'service' ? containers.track(startGrader(job.docker, job.challenge, job.images.grader, job.specBase, { mode: 'none' }, log, deps.warm?.take('grader'))) : undefined;
    const services = servicesStage(job, earlyGrader); // Postgres, Redis: in the grader's namespace, ready before the service starts
    const analysis = startAnalysis(job); // its container loads the analysers during the fetch; the workspace follows after the pack

    await job.progress('fetching');
    const { repoDir } = await fetchStage(job, { repoUrl: input.repoUrl, localPath: input.localPath, ref: input.ref ?? 'HEAD' });
    await job.progress('packing');
    const packed = await packStage(job, repoDir, input.path);
    analysis.analyse({ repoDir, ...(packed.runnable ? { packedTar: packed.tar } : {}) }); // insights, beside install and tests; scoring waits for them
    if (!packed.runnable) return await score(job, { runtime: null, results: [], notRunReason: `not run: ${packed.reason}` });
    const { candidate, grader, files } = await installStage(job, packed.plan, packed.tar, earlyGrader);
    if (files) startOwnTests(job, { repoDir, ...(input.path ? { subPath: input.path } : {}), plan: packed.plan, files }); // in sandboxes of their own, beside the build and the tests
    const runtime = packed.plan.runtime;
    if (!candidate) return await score(job, { runtime, results: [], notRunReason: 'not run: the dependencies did not install' });
    const built = await buildStage(job, packed.plan, candidate);
    if (!built.ok) return await score(job, { runtime, results: [], notRunReason: `not run: ${built.reason}` }, candidate);
    const tested = await candidateStopsAreOutcomes(job, () =>
      job.challenge.manifest.kind === 'service' ? serviceStage(job, packed.plan, candidate, grader, services) : nodeTestsStage(job, candidate, packed.hidden!),
    );
    return await score(job, { runtime, ...tested }, candidate);
  } catch (err) {
    failed = true;
    if (err instanceof SubmissionError) {
      log.info({ code: err.code }, 'submission could not be graded');
      return report.failed({ code: err.code, message: err.message, fault: 'submission' });
    }
    if (isEngineUnavailable(err)) throw new PlatformError('SANDBOX_UNAVAILABLE', 'the container engine is unavailable', true, { cause: err });
    throw err;
  } finally {
    const cleanup = async () => {
      await report.insightsSettled(); // on an error path the analysis may still be starting its container
      await containers.removeAll();
      await rm(workDir, { recursive: true, force: true }).catch((err: unknown) => log.warn({ err }, 'work dir removal failed'));
    };
    if (deps.deferCleanup) deps.deferCleanup(cleanup);
    else await cleanup();
    // Every stage change is on the record before the report is returned; the run's own error wins over the store's.
    await progress.settled().catch((err: unknown) => {
      if (!failed) throw err;
      log.warn({ err }, 'progress update failed');
    });
  }
}

/** Loads the challenge and builds the Job every stage receives. */
async function openJob(input: GradeInput, deps: GradeDeps, progress: ProgressLine, parts: Pick<Job, 'log' | 'report' | 'containers' | 'workDir' | 'signal'>): Promise<Job> {
  const challenge = await deps.challenges.load(input.challengeId); // UNKNOWN_CHALLENGE: a failed report
  parts.report.setChallenge(challenge.manifest, challenge.suiteHash);
  return {
    ...parts,
    submissionId: input.submissionId,
    attempt: input.attempt,
    challenge,
    config: deps.config,
    docker: deps.docker,
    images: deps.images,
    specBase: { jobId: input.submissionId, workerId: deps.config.worker.id, runtime: deps.config.docker.runtime, deployment: deps.config.redis.prefix },
    progress: async (stage) => progress.record(stage),
    progressSoon: (stage) => progress.recordSoon(stage),
    ...(deps.warm ? { warm: deps.warm } : {}),
    ...(deps.onFingerprints ? { onFingerprints: deps.onFingerprints } : {}),
  };
}

/** The score stage: memory peak of the candidate's container, then points from the manifest. */
async function score(job: Job, outcome: Outcome, candidate?: { memoryPeakMb(): Promise<number | undefined> }): Promise<Report> {
  await job.progress('scoring');
  job.report.setMemoryPeak(await candidate?.memoryPeakMb().catch(() => undefined));
  await job.report.insightsSettled();
  const report = job.report.completed(outcome);
  job.log.info({ score: report.score, flags: report.flags.map((f) => f.code) }, 'graded');
  return report;
}
