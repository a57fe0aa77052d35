/**
 * Analysis stage: the insights a reviewer reads beside the score (lint, size, hygiene, the diff
 * against the challenge's starter). Its container starts beside the fetch, the analyses run after
 * the pack beside the install and the tests, and the score stage waits for them
 * (ReportBuilder.analysing / insightsSettled). It never fails the grade and never changes the
 * score: whatever goes wrong becomes a note.
 *
 * - hygiene: on the worker, from the fetched repository's listing (./hygiene.ts);
 * - lint, size, secrets and diff: Assay's analyser (sandbox-images/analysis/analyse.mjs) in a
 *   container of the analysis image with the candidate's service's guarantees (no network,
 *   read-only root, capabilities dropped, limits), given the packed workspace and the starter.
 */
import { PassThrough } from 'node:stream';
import { readStarter } from '../../challenges/repository.ts';
import { similarityChoice } from '../../similarity/settings.ts';
import type { Logger } from '../../log.ts';
import type { InsightNote } from '../../report/insights.ts';
import { describeVerdict, SandboxContainer, type DockerClient, type ImageRef, type LaunchedSandbox, type SandboxLimits, type SandboxSpec } from '../../sandbox/index.ts';
import type { Job } from '../job.ts';
import { createTar } from '../pack/tar.ts';
import { countReadmeLines, hygieneOf, listRepository, readmeOf } from './hygiene.ts';
import { parseAnalyserOutput, type AnalyserResult } from './result.ts';

export interface AnalysisInput {
  /** The fetched repository: hygiene reads its listing (before the pack drops anything). */
  repoDir: string;
  /** The packed workspace (the graded folder), when the pack produced one: what is linted, measured and diffed. */
  packedTar?: Buffer;
}

/** The analyser's own budget: past it, it stops and prints what it has, with a note. */
export const ANALYSIS_BUDGET_MS = 20_000;
/** The container's deadline: the budget plus start-up and output; past it the container is killed. */
export const ANALYSIS_TIMEOUT_MS = ANALYSIS_BUDGET_MS + 15_000;
/** The analysis container's limits. Its workspace (a tmpfs counted in its memory) holds the packed repository and the starter. */
export const ANALYSIS_LIMITS: SandboxLimits = { memoryMb: 768, cpus: 1, pids: 64, workspaceMb: 320, nofile: 256, cpuShares: 128 };
/** Bounds on what the analyser looks at and prints. */
const ANALYSER_OPTIONS = { maxFiles: 3000, maxFileBytes: 1024 * 1024, maxPatchBytes: 256 * 1024 };
/** Bounds on the similarity fingerprints: their count, the source lines kept to show matches, the size of a file fingerprinted. */
const FINGERPRINT_OPTIONS = { maxPrints: 30_000, maxSourceChars: 384 * 1024, maxFileBytes: 256 * 1024 };
/** The analyser's one line of JSON: the insights, the fingerprints (~1 MiB at their caps) and the kept source. */
const STDOUT_BYTES = 4 * 1024 * 1024;

/** What the pipeline holds between the early start (beside the fetch) and the pack. */
export interface AnalysisHandle {
  /** Gives the analyses their input and lets them run; the report waits for them before it is scored. Never throws. */
  analyse(input: AnalysisInput): void;
}

/**
 * Starts the analysis container beside the fetch (it loads the analysers while it waits for its
 * files: sandbox-images/analysis/receive.mjs) and streams it the starter. analyse() streams the
 * packed workspace and starts the hygiene listing. A run that fails before analyse() gives up the
 * container when it first waits for its insights (ReportBuilder.onInsightsSettle), so the cleanup
 * never waits on a container still waiting for its files.
 */
export function startAnalysis(job: Job): AnalysisHandle {
  const image = job.images.analysis;
  const input = new PassThrough();
  // Destroying it (giving up) is the normal end of an analysis that never got its input; the
  // container start sees it through its own read of the stream.
  input.on('error', () => undefined);
  let given = false;
  const giveUp = () => {
    if (!given) input.destroy(new Error('the run ended before the analyses had their input'));
  };
  job.report.onInsightsSettle(giveUp);
  // The starter and the options go first; the workspace follows once packed.
  const head = image ? headerTar(job) : Promise.resolve(undefined);
  const started = image
    ? job.containers.track(
        (async () => {
          head.then((tar) => (tar ? input.write(tar) : undefined)).catch((err: unknown) => input.destroy(err instanceof Error ? err : new Error(String(err))));
          // A warm one (runner/sandbox/warm.ts) has loaded the analysers already.
          const warm = await job.warm?.take('analysis');
          if (warm) job.log.info({ containerId: warm.id }, 'warm analysis container taken');
          return (warm ?? (await launchAnalysis(job.docker, image, job.specBase, job.log))).deliver(input);
        })(),
      )
    : undefined;
  return {
    analyse(analysisInput) {
      given = true;
      const sandboxed = async (notes: InsightNote[]): Promise<AnalyserResult | undefined> => {
        if (!image || !started) {
          notes.push({ analysis: 'lint', code: 'failed', message: 'no analysis image on this worker (scripts/build-images.sh builds it): lint, size and diff were not measured' });
          return undefined;
        }
        if (!analysisInput.packedTar) {
          input.destroy(new Error('nothing to analyse'));
          await job.containers.discard(started);
          notes.push({ analysis: 'lint', code: 'skipped', message: 'the submission was not packed (nothing to run), so it was not linted or measured' });
          return undefined;
        }
        const workspace = analysisInput.packedTar;
        await head.catch(() => undefined); // the starter is in the stream before the workspace
        input.end(workspace);
        return runAnalyser(job, started, notes);
      };
      job.report.analysing('lint', analyse(job, analysisInput, sandboxed), (err) => job.log.error({ err }, 'the analysis failed unexpectedly'));
    },
  };
}

/**
 * An analysis container waiting for its files, loading the analysers meanwhile. A warm one
 * (launched while the worker is idle) also loads typescript-eslint and runs the linter once
 * (sandbox-images/analysis/receive.mjs), about 0.5 CPU-s: free while idle, but a job's own
 * container loads typescript-eslint only when there is TypeScript to lint.
 */
export function launchAnalysis(docker: DockerClient, image: ImageRef, specBase: Pick<SandboxSpec, 'jobId' | 'workerId' | 'runtime' | 'deployment'>, log?: Logger, options: { warm?: boolean } = {}): Promise<LaunchedSandbox> {
  const env = options.warm ? { env: { ASSAY_ANALYSIS_WARM: '1' } } : {};
  const spec: SandboxSpec = { ...specBase, image: image.tag, role: 'analysis', limits: ANALYSIS_LIMITS, network: { mode: 'none' }, ...env };
  return SandboxContainer.launch(docker, spec, { outputBytes: 16 * 1024, stdoutBytes: STDOUT_BYTES, killAfterOutputBytes: 4 * STDOUT_BYTES, printsLoaded: true, ...(log ? { log } : {}) });
}

/** The starter (under .assay/starter/, a path candidates cannot ship) and the analyser's options, as a tar. */
async function headerTar(job: Job): Promise<Buffer> {
  job.report.useImage('analysis', job.images.analysis!);
  const starter = await readStarter(job.challenge);
  const fingerprints = job.onFingerprints && similarityChoice(job.config, job.challenge.manifest).enabled ? { similarity: FINGERPRINT_OPTIONS } : {};
  const options = { ...ANALYSER_OPTIONS, budgetMs: ANALYSIS_BUDGET_MS, exclude: [job.challenge.manifest.suite.workspacePath], ...fingerprints };
  return createTar([
    ...starter.map((f) => ({ type: 'file' as const, path: `.assay/starter/${f.path}`, content: f.content })),
    { type: 'file' as const, path: '.assay/analysis.json', content: Buffer.from(JSON.stringify(options)) },
  ]);
}

async function analyse(job: Job, input: AnalysisInput, sandboxed: (notes: InsightNote[]) => Promise<AnalyserResult | undefined>): Promise<void> {
  const t0 = Date.now();
  job.log.info({ stage: 'analysis' }, 'analysis started');
  const notes: InsightNote[] = [];
  const [listing, analysed] = await Promise.all([
    listRepository(input.repoDir).catch((err: unknown) => {
      job.log.warn({ err }, 'repository listing failed');
      notes.push({ analysis: 'hygiene', code: 'failed', message: 'the repository could not be listed' });
      return undefined;
    }),
    sandboxed(notes),
  ]);
  if (analysed) {
    if (analysed.lint) job.report.insight('lint', analysed.lint);
    job.report.insight('size', analysed.size);
    if (analysed.diff) job.report.insight('diff', analysed.diff);
    if (analysed.similarity) job.onFingerprints?.({ prints: analysed.similarity, settings: similarityChoice(job.config, job.challenge.manifest) });
    notes.push(...analysed.notes);
  }
  if (listing) {
    const readme = readmeOf(listing);
    const lines = readme ? await countReadmeLines(input.repoDir, readme.path).catch(() => undefined) : undefined;
    job.report.insight('hygiene', { ...hygieneOf(listing, lines), secrets: analysed?.secrets ?? [] });
    if (listing.capped) notes.push({ analysis: 'hygiene', code: 'capped', message: 'the repository has too many entries, or too deep: hygiene covers the first ones' });
    if (!analysed) notes.push({ analysis: 'hygiene', code: 'partial', message: 'secret-looking strings were not searched (the analyser did not run)' });
  }
  job.report.insightNote(...notes);
  const durationMs = Date.now() - t0;
  job.report.timing('analysis', durationMs);
  job.log.info({ stage: 'analysis', durationMs, notes: notes.length }, 'analysis done');
}

/**
 * Waits for the analyser's result; undefined (and a note) when it could not give one. The
 * container, exited by then, is removed with the job's others after the report is stored: its
 * removal is no part of the grading's time.
 */
async function runAnalyser(job: Job, started: Promise<SandboxContainer>, notes: InsightNote[]): Promise<AnalyserResult | undefined> {
  const fail = (message: string) => {
    notes.push({ analysis: 'lint', code: 'failed', message: `the analyser ${message}: lint, size and diff were not measured` });
    return undefined;
  };
  try {
    const box = await started;
    const run = await box.waitForExit(ANALYSIS_TIMEOUT_MS, job.signal);
    if (run.timedOut) {
      notes.push({ analysis: 'lint', code: 'timeout', message: `the analyser did not finish in ${ANALYSIS_TIMEOUT_MS / 1000} s: lint, size and diff were not measured` });
      return undefined;
    }
    if (run.stdout.cutBytes > 0) return fail('printed more than its output limit');
    if (run.exitCode !== 0) return fail(`${describeVerdict(run.verdict, run, { memoryMb: ANALYSIS_LIMITS.memoryMb })} (${lastLine(run.output.text)})`);
    const parsed = parseAnalyserOutput(run.stdout.text);
    if (!parsed.ok) return fail(`could not be read: ${parsed.reason}`);
    job.log.debug({ durationMs: parsed.result.durationMs, cpuMs: parsed.result.cpuMs }, 'analyser finished');
    if (parsed.result.cpuMs !== undefined) job.report.timing('analyserCpu', parsed.result.cpuMs);
    return parsed.result;
  } catch (err) {
    if (job.signal?.aborted) return undefined;
    job.log.warn({ err }, 'analysis failed');
    return fail(`could not run (${err instanceof Error ? err.message.slice(0, 200) : 'unknown error'})`);
  }
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n').filter((l) => l && !l.includes('assay:received') && !l.includes('assay:loaded'));
  return (lines.pop() ?? 'no output').slice(0, 200);
}
