/**
 * Fetch stage: the submission's files on the worker's disk. A git URL is fetched under the URL
 * policy (runner/stages/fetch/fetch.ts); a local folder (authors and the CLI only, never the
 * API) is graded as it is. The commit's bounded history (`insights.history`) is fetched once the
 * commit is there, and read while the grading goes on (runner/stages/history/stage.ts).
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { SubmissionError } from '../../errors.ts';
import { noHistory } from '../history/history.ts';
import { startHistory } from '../history/stage.ts';
import type { Job } from '../job.ts';
import { fetchRepository } from './fetch.ts';

export interface FetchStageInput {
  repoUrl?: string;
  localPath?: string;
  ref: string;
}

export interface Fetched {
  repoDir: string;
}

export async function fetchStage(job: Job, input: FetchStageInput): Promise<Fetched> {
  const { historyMaxCommits } = job.config.fetch;
  if (input.localPath) {
    const repoDir = path.resolve(input.localPath);
    job.report.step({ name: 'fetch', status: 'skipped', durationMs: 0, reason: `graded from the local folder ${repoDir}` });
    job.report.insight('history', noHistory('graded from a local folder: no history', historyMaxCommits));
    return { repoDir };
  }
  if (!input.repoUrl) throw new SubmissionError('URL_REJECTED', 'a repository URL is required');
  const repoDir = path.join(job.workDir, 'repo');
  await mkdir(repoDir);
  const { fetch } = job.config;
  let fetchedCommit!: { resolve: (sha: string) => void; reject: (err: unknown) => void };
  const commit = new Promise<string>((resolve, reject) => (fetchedCommit = { resolve, reject }));
  commit.catch(() => undefined); // the fetch's own failure is reported by the fetch
  if (historyMaxCommits > 0) startHistory(job, { repoUrl: input.repoUrl, ref: input.ref }, commit);
  else job.report.insight('history', noHistory('history is turned off (ASSAY_HISTORY_MAX_COMMITS=0)', 0));
  const fetched = await job.report.timed('fetch', () =>
    fetchRepository(
      {
        repoUrl: input.repoUrl!,
        ref: input.ref,
        destDir: repoDir,
        policy: fetch.policy,
        timeoutMs: fetch.timeoutMs,
        maxBytes: fetch.maxBytes,
        lowSpeedBytesPerSecond: fetch.lowSpeedBytesPerSecond,
        lowSpeedSeconds: fetch.lowSpeedSeconds,
        tokens: fetch.tokens,
      },
      job.signal,
    ).then(
      (result) => {
        fetchedCommit.resolve(result.commit);
        return result;
      },
      (err: unknown) => {
        fetchedCommit.reject(err);
        throw err;
      },
    ),
  );
  job.report.setCommit(fetched.commit);
  job.report.step({ name: 'fetch', status: 'passed', durationMs: fetched.durationMs });
  return { repoDir };
}
