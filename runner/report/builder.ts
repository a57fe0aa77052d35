/**
 * Collects what the stages of one grading run learn (steps, flags, timings, images, memory peak)
 * and turns it into the one Report of that run. Stages only add to it; scoring and the shape of
 * the report live here, so a new stage never has to know how a report is assembled.
 */
import type { ChallengeManifest } from '../challenges/manifest.ts';
import { RUNNER_VERSION } from '../version.ts';
import type { InsightNote, Insights } from './insights.ts';
import { redactSecrets } from './redact.ts';
import { REPORT_SCHEMA_VERSION, type Flag, type Report, type ReportError, type Restart, type ServiceUsed, type Step } from './schema.ts';
import { scoreResults, type RawResult } from './score.ts';

export interface ReportIdentity {
  submissionId: string;
  attempt: number;
  challengeId: string;
  repoUrl: string;
  ref: string;
  /** The subdirectory graded, when not the root. */
  path?: string;
  workerId: string;
}

/** What the test step produced, ready to be scored. */
export interface Outcome {
  runtime: Report['runtime'];
  results: RawResult[];
  /** Why tests without a result did not run (shown as their message). */
  notRunReason?: string;
}

/** How long the score stage waits for the analyses once the tests are over (each has tighter limits of its own). */
export const ANALYSES_DEADLINE_MS = 60_000;

export class ReportBuilder {
  private readonly startedAt = new Date();
  private readonly steps: Step[] = [];
  private readonly flags: Flag[] = [];
  private readonly timings: Record<string, number> = {};
  private readonly images: Report['runner']['images'] = {};
  private readonly services: ServiceUsed[] = [];
  private readonly restarts: Restart[] = [];
  private manifest?: ChallengeManifest;
  private suiteHash = '';
  private commit: string | null = null;
  private memoryPeakMb?: number;
  private readonly insightParts: Partial<Omit<Insights, 'notes'>> = {};
  private readonly insightNotes: InsightNote[] = [];
  private readonly analyses: { analysis: InsightNote['analysis']; settled: boolean; givenUp?: boolean; done: Promise<void> }[] = [];
  private readonly settleHooks: (() => void)[] = [];

  constructor(private readonly id: ReportIdentity) {}

  /** Set once the challenge is loaded (a run whose challenge does not exist still gets a report). */
  setChallenge(manifest: ChallengeManifest, suiteHash: string): void {
    this.manifest = manifest;
    this.suiteHash = suiteHash;
  }

  setCommit(commit: string): void {
    this.commit = commit;
  }

  setMemoryPeak(mb: number | undefined): void {
    if (mb !== undefined) this.memoryPeakMb = mb;
  }

  useImage(role: 'candidate' | 'grader' | 'analysis', image: { tag: string; id: string; version?: string }): void {
    this.images[role] = { tag: image.tag, id: image.id, ...(image.version ? { version: image.version } : {}) };
  }

  /** A service (Postgres, Redis) started for this run: its image and when it was ready. */
  service(service: ServiceUsed): void {
    this.services.push(service);
  }

  /** A restart of the candidate's service that the suite asked for. */
  restart(restart: Restart): void {
    this.restarts.push(restart);
  }

  /** Adds a step; its log is stored with obvious secrets removed (./redact.ts), for every reader. */
  step(step: Step): void {
    this.steps.push(step.log ? { ...step, log: { ...step.log, text: redactSecrets(step.log.text) } } : step);
  }

  flag(...flags: Flag[]): void {
    this.flags.push(...flags);
  }

  timing(name: string, ms: number): void {
    this.timings[name] = ms;
  }

  /** Runs fn and records its wall-clock time under `name`, whether it succeeds or throws. */
  async timed<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const t0 = Date.now();
    try {
      return await fn();
    } finally {
      this.timing(name, Date.now() - t0);
    }
  }

  /** One analysis's insight (runner/report/insights.ts); insights never change the score. */
  insight<K extends Exclude<keyof Insights, 'notes'>>(key: K, value: NonNullable<Insights[K]>): void {
    this.insightParts[key] = value;
  }

  /** An analysis that was capped, partial, timed out or could not run, in words. */
  insightNote(...notes: InsightNote[]): void {
    this.insightNotes.push(...notes);
  }

  /** An analysis running beside the tests; it reports through insight()/insightNote() and never fails the run. */
  analysing(analysis: InsightNote['analysis'], work: Promise<void>, onUnexpected: (err: unknown) => void): void {
    // An analysis reports its expected failures as notes itself; anything thrown is a bug of
    // Assay's: logged for the operator, noted for the reviewer, and the run goes on.
    const entry = { analysis, settled: false, done: Promise.resolve() };
    entry.done = work
      .catch((err: unknown) => {
        onUnexpected(err);
        this.insightNote({ analysis, code: 'failed', message: "the analysis stopped on an unexpected error (Assay's fault, not the candidate's); the score is unaffected" });
      })
      .finally(() => (entry.settled = true));
    this.analyses.push(entry);
  }

  /**
   * Runs once when the run first waits for its analyses: an analysis started early (its container
   * beside the fetch) that was never given its input learns here that it will not be, and gives up.
   */
  onInsightsSettle(hook: () => void): void {
    this.settleHooks.push(hook);
  }

  /**
   * Waits for every analysis started with analysing() (the score stage, before completed(); the
   * cleanup on every path), for at most `deadlineMs`: each analysis has its own time limits, so
   * one still running then is stuck (e.g. an engine call that never answers), and a stuck
   * analysis must not hold the job, and the worker's slot, for ever. It is noted as timed out.
   */
  async insightsSettled(deadlineMs = ANALYSES_DEADLINE_MS): Promise<void> {
    for (const hook of this.settleHooks.splice(0)) hook();
    let timer: NodeJS.Timeout | undefined;
    const allDone = Promise.all(this.analyses.map((a) => a.done)).then(() => true);
    const inTime = await Promise.race([allDone, new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), deadlineMs)))]);
    clearTimeout(timer);
    if (inTime) return;
    for (const a of this.analyses.filter((x) => !x.settled && !x.givenUp)) {
      a.givenUp = true;
      this.insightNote({ analysis: a.analysis, code: 'timeout', message: `the analysis had not finished ${Math.round(deadlineMs / 1000)} s after the tests; it is left out (Assay's fault, not the candidate's; the score is unaffected)` });
    }
  }

  /** The candidate's code was judged: points come from the manifest and the results only. */
  completed(outcome: Outcome): Report {
    const manifest = this.requireManifest();
    const scored = scoreResults(manifest.tests, outcome.results, outcome.notRunReason);
    this.flag(...scored.flags);
    return { ...this.common(), status: 'completed', runtime: outcome.runtime, score: scored.score, categories: scored.categories, tests: scored.tests };
  }

  /** The run could not be judged (the submission as given, or the platform): no score. */
  failed(error: ReportError): Report {
    const maxPoints = this.manifest?.tests.reduce((s, t) => s + t.points, 0) ?? 0;
    return { ...this.common(), status: 'failed', runtime: null, score: { points: 0, maxPoints, percent: 0 }, categories: [], tests: [], error };
  }

  private insightsOf(): Insights {
    const shown = this.manifest?.insights.showCandidates ?? [];
    return { ...this.insightParts, notes: [...this.insightNotes], ...(shown.length ? { shownToCandidates: [...shown] } : {}) };
  }

  private requireManifest(): ChallengeManifest {
    if (!this.manifest) throw new Error('ReportBuilder.completed() before the challenge was set');
    return this.manifest;
  }

  private common(): Omit<Report, 'status' | 'score' | 'categories' | 'tests' | 'runtime'> {
    const limits = this.manifest?.limits;
    return {
      schemaVersion: REPORT_SCHEMA_VERSION,
      submissionId: this.id.submissionId,
      attempt: this.id.attempt,
      challenge: { id: this.id.challengeId, version: this.manifest?.version ?? 'unknown', suiteHash: this.suiteHash },
      repoUrl: this.id.repoUrl,
      ref: this.id.ref,
      ...(this.id.path ? { path: this.id.path } : {}),
      commit: this.commit,
      steps: [...this.steps],
      flags: [...this.flags],
      resources: {
        oomKilled: this.flags.some((f) => f.code === 'resource_limit' && f.message.includes('memory')),
        memoryLimitMb: limits?.memoryMb ?? 0,
        cpus: limits?.cpus ?? 0,
        pidsLimit: limits?.pids ?? 0,
        ...(this.memoryPeakMb !== undefined ? { memoryPeakMb: this.memoryPeakMb } : {}),
      },
      timings: { ...this.timings, totalMs: Date.now() - this.startedAt.getTime() },
      runner: { version: RUNNER_VERSION, workerId: this.id.workerId, images: { ...this.images } },
      ...(this.services.length ? { services: [...this.services] } : {}),
      ...(this.restarts.length ? { restarts: [...this.restarts] } : {}),
      ...(Object.keys(this.insightParts).length || this.insightNotes.length ? { insights: this.insightsOf() } : {}),
      startedAt: this.startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
    };
  }
}
