/**
 * What every stage of one grading run receives: the job's identity and challenge, the outside
 * systems it may use, the report it adds to, and the containers it owns. Stages are plain async
 * functions `(job, input) => output`; they add steps and flags to `job.report` and hand every
 * container they start to `job.containers`, which removes them all when the run ends.
 */
import type { Challenge } from '../challenges/repository.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import type { SubmissionPrints } from '../similarity/compare.ts';
import type { SimilarityChoice } from '../similarity/settings.ts';
import type { ReportBuilder } from '../report/builder.ts';
import type { DockerClient, Images, SandboxContainer, SandboxSpec, WarmContainers } from '../sandbox/index.ts';
import type { Stage } from '../store/states.ts';

export interface Job {
  readonly submissionId: string;
  readonly attempt: number;
  readonly challenge: Challenge;
  readonly config: Config;
  readonly docker: DockerClient;
  readonly images: Images;
  /** A child logger carrying submissionId, challenge and attempt. */
  readonly log: Logger;
  readonly signal?: AbortSignal;
  /** A private temporary folder, removed with the job. */
  readonly workDir: string;
  readonly report: ReportBuilder;
  readonly containers: JobContainers;
  /** Labels and placement every container of this job carries (traceable to the job). */
  readonly specBase: Pick<SandboxSpec, 'jobId' | 'workerId' | 'runtime' | 'deployment'>;
  /** Records progress on the submission, in order and in the background (runner/pipeline/progress.ts): a store that is down fails the run at the next stage change. */
  progress(stage: Stage): Promise<void>;
  /** Records progress without waiting; a failure is logged, never thrown. */
  progressSoon(stage: Stage): void;
  /** The worker's warm containers (runner/sandbox/warm.ts), when it keeps them: a stage takes one instead of starting its own. */
  readonly warm?: WarmContainers;
  /** Takes the analyser's similarity fingerprints (kept out of the report; the worker compares them once the report is stored). */
  onFingerprints?: (taken: Fingerprinted) => void;
}

/** A submission's fingerprints and the settings its challenge compares them with. */
export interface Fingerprinted {
  prints: SubmissionPrints;
  settings: SimilarityChoice;
}

/**
 * The containers of one job, including ones still starting. `removeAll()` waits for each to
 * settle and removes it; a removal failure is logged and the rest still go.
 */
export class JobContainers {
  private readonly tracked = new Set<Promise<SandboxContainer>>();

  constructor(private readonly log: Logger) {}

  /** Takes ownership of a container (or one being started) so it is removed with the job. */
  track<T extends SandboxContainer>(container: Promise<T>): Promise<T> {
    this.tracked.add(container);
    container.catch(() => undefined); // a start failure surfaces where the caller awaits it
    return container;
  }

  /** Removes one container now (e.g. a grader that turned out not to be needed). */
  async discard(container: Promise<SandboxContainer>): Promise<void> {
    this.tracked.delete(container);
    await this.removeSettled(container);
  }

  async removeAll(): Promise<void> {
    const all = [...this.tracked];
    this.tracked.clear();
    await Promise.all(all.map((c) => this.removeSettled(c)));
  }

  private async removeSettled(container: Promise<SandboxContainer>): Promise<void> {
    const box = await container.catch(() => undefined); // one that failed to start removed itself
    if (!box) return;
    await box.remove().catch((err: unknown) => this.log.warn({ err, containerId: box.id }, 'container removal failed; the janitor will retry'));
  }
}
